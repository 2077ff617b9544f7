package org.pkvm4j.host;

import java.util.Objects;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.cmdline.ProtectedModules;

/**
 * One fault a boot injects into one vendor module: a value, so tests, the test kit and {@code pkvm
 * explore} can name, compare and print fault points.
 *
 * <p>EL1 faults are injected by the host's loader; EL2 faults are handed to the hypervisor at
 * {@code __pkvm_init}, while the host is still privileged, and injected by EL2 itself (as a debug
 * build of the hypervisor would); nothing reaches into EL2 afterwards. Every fault that fires is
 * logged in {@code dmesg} as an injected fault. Module names are normalized as modprobe compares
 * them ({@code -} equals {@code _}).
 */
public sealed interface BootFault {

    /** The module the fault targets. */
    String module();

    /** Its kind. */
    Kind kind();

    /** The kinds of fault, with the spelling {@code pkvm explore --faults} takes. */
    enum Kind {
        /** {@link El1InitFails}. */
        EL1_INIT("el1-init"),
        /** {@link El2InitFails}. */
        EL2_INIT("el2-init"),
        /** {@link HcallRegistrationFails}. */
        REGISTER("register"),
        /** {@link LoadsLate}. */
        LATE("late");

        private final String spelling;

        Kind(String spelling) {
            this.spelling = spelling;
        }

        /** The spelling on the command line. */
        public String spelling() {
            return spelling;
        }

        /** The kind spelled {@code s}, or an exception listing the spellings. */
        public static Kind parse(String s) {
            for (Kind k : values()) {
                if (k.spelling.equals(s.trim())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown fault kind '" + s + "'; expected one of el1-init, el2-init,"
                    + " register, late");
        }
    }

    /**
     * The module's EL1 init fails with {@code errno} after it ran (after its EL2 load and handler
     * registrations), so the loader must undo all of it.
     *
     * @param module the module
     * @param errno what the init returns
     */
    record El1InitFails(String module, Errno errno) implements BootFault {
        /** Normalizes the name; checks for nulls. */
        public El1InitFails {
            module = ProtectedModules.normalize(Objects.requireNonNull(module, "module"));
            Objects.requireNonNull(errno, "errno");
        }

        @Override
        public Kind kind() {
            return Kind.EL1_INIT;
        }

        @Override
        public String toString() {
            return module + ": EL1 init fails with " + errno.name();
        }
    }

    /**
     * The module's EL2 init fails with {@code errno}: {@code __pkvm_init_module} answers it at EL2
     * without running the init.
     *
     * @param module the module
     * @param errno what the EL2 init returns
     */
    record El2InitFails(String module, Errno errno) implements BootFault {
        /** Normalizes the name; checks for nulls. */
        public El2InitFails {
            module = ProtectedModules.normalize(Objects.requireNonNull(module, "module"));
            Objects.requireNonNull(errno, "errno");
        }

        @Override
        public Kind kind() {
            return Kind.EL2_INIT;
        }

        @Override
        public String toString() {
            return module + ": EL2 init fails with " + errno.name();
        }
    }

    /**
     * The module's {@code nth} {@code __pkvm_register_hcall} (from 1) fails at EL2 with {@code errno}.
     *
     * @param module the module
     * @param nth which of its registrations fails, from 1
     * @param errno what EL2 answers ({@code ENOMEM}: no free slot)
     */
    record HcallRegistrationFails(String module, int nth, Errno errno) implements BootFault {
        /** Normalizes the name; checks for nulls and a positive {@code nth}. */
        public HcallRegistrationFails {
            module = ProtectedModules.normalize(Objects.requireNonNull(module, "module"));
            Objects.requireNonNull(errno, "errno");
            if (nth < 1) {
                throw new IllegalArgumentException("nth counts from 1, was " + nth);
            }
        }

        /** The {@code nth} registration fails with {@code ENOMEM}, as when the table is full. */
        public HcallRegistrationFails(String module, int nth) {
            this(module, nth, Errno.ENOMEM);
        }

        @Override
        public Kind kind() {
            return Kind.REGISTER;
        }

        @Override
        public String toString() {
            return module + ": __pkvm_register_hcall #" + nth + " fails with " + errno.name();
        }
    }

    /**
     * The module is taken out of {@code kvm-arm.protected_modules=} and modprobed after
     * deprivilege instead, as a device whose vendor forgot to list it.
     *
     * @param module the module
     */
    record LoadsLate(String module) implements BootFault {
        /** Normalizes the name; checks for null. */
        public LoadsLate {
            module = ProtectedModules.normalize(Objects.requireNonNull(module, "module"));
        }

        @Override
        public Kind kind() {
            return Kind.LATE;
        }

        @Override
        public String toString() {
            return module + ": loads after deprivilege";
        }
    }
}
