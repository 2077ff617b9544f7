package org.pkvm4j.bench;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.UserPtRegsHandler;

/**
 * The baseline: the benchmark modules' EL2 handler body, in eight distinct classes on the class
 * path, called as a plain {@link UserPtRegsHandler}. {@code H0} alone is the one-handler shape; all
 * eight called in turn make the call site megamorphic, like the hypervisor's dispatch of eight
 * modules' handlers.
 */
final class DirectHandlers {
    private DirectHandlers() {
    }

    /** One instance of each of the eight classes, in order. */
    static UserPtRegsHandler[] all() {
        return new UserPtRegsHandler[] {new H0(), new H1(), new H2(), new H3(), new H4(), new H5(), new H6(), new H7()};
    }

    static final class H0 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H1 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H2 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H3 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H4 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H5 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H6 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }

    static final class H7 implements UserPtRegsHandler {
        @Override
        public void handle(UserPtRegs regs) {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
        }
    }
}
