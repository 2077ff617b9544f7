package org.pkvm4j.testkit;

import java.util.Objects;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/**
 * The two ways a call on a device fails that a module's tests check: an ioctl or HVC coming back
 * with an errno ({@link PkvmException}), and a host access the host stage-2 refused ({@link
 * Stage2Fault}, the abort EL2 injects). Reached through {@link PkvmAssertions}.
 */
final class CallAssertions {
    private CallAssertions() {
    }

    static PkvmException assertErrno(Errno expected, Executable call) {
        Objects.requireNonNull(expected, "expected");
        Throwable thrown = run(call);
        if (thrown == null) {
            throw new AssertionFailedError("expected the call to fail with " + expected + ", but it returned normally");
        }
        if (!(thrown instanceof PkvmException e)) {
            throw new AssertionFailedError("expected the call to fail with " + expected + ", but it threw " + thrown, thrown);
        }
        if (e.errno() != expected) {
            throw new AssertionFailedError("expected the call to fail with " + expected + ", but it failed with "
                    + e.errno() + ": " + e.getMessage(), expected, e.errno(), e);
        }
        return e;
    }

    static Stage2Fault assertStage2Fault(OwnerId owner, Executable access) {
        Objects.requireNonNull(owner, "owner");
        Throwable thrown = run(access);
        if (thrown == null) {
            throw new AssertionFailedError("expected a host stage-2 fault on a page owned by " + owner
                    + ", but the access completed");
        }
        if (!(thrown instanceof Stage2Fault fault)) {
            throw new AssertionFailedError("expected a host stage-2 fault on a page owned by " + owner
                    + ", but the access threw " + thrown, thrown);
        }
        if (fault.owner() != owner) {
            throw new AssertionFailedError("expected a host stage-2 fault on a page owned by " + owner + ", but got: "
                    + fault.getMessage(), owner, fault.owner(), fault);
        }
        return fault;
    }

    /** What {@code call} threw, or null; errors (a failed assertion inside it, a VM error) propagate. */
    private static Throwable run(Executable call) {
        try {
            call.execute();
            return null;
        } catch (Error e) {
            throw e;
        } catch (Throwable t) {
            return t;
        }
    }
}
