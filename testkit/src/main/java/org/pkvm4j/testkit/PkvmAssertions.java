package org.pkvm4j.testkit;

import org.junit.jupiter.api.function.Executable;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/** Entry points of the fluent assertions; import them statically. */
public final class PkvmAssertions {
    private PkvmAssertions() {
    }

    /** Checks of a device's boot report whose failures quote its kernel log. */
    public static BootReportAssert assertThat(HostKernel kernel) {
        return new BootReportAssert(kernel);
    }

    /** Checks of a device's boot report whose failures quote its kernel log. */
    public static BootReportAssert assertThat(PkvmDevice device) {
        return assertThat(device.kernel());
    }

    /** Checks of a bare boot report; failures quote the report (prefer {@link #assertThat(HostKernel)}). */
    public static BootReportAssert assertThat(BootReport report) {
        return new BootReportAssert(report, null);
    }

    /** Checks of a kernel log. */
    public static KernelLogAssert assertThat(KernelLog log) {
        return new KernelLogAssert(log);
    }

    /**
     * {@code call} (an ioctl, an HVC through {@link ModuleHvcs}) fails with {@code expected}:
     * {@code assertErrno(Errno.EBUSY, () -> kernel.ioctl("page_guard", 1, arg))}.
     *
     * @return the exception, for its message
     */
    public static PkvmException assertErrno(Errno expected, Executable call) {
        return CallAssertions.assertErrno(expected, call);
    }

    /**
     * The host access {@code access} faults at stage 2 on a page owned by {@code owner} (HOST: the
     * host still owns it but lost the permission; HYP: donated to EL2):
     * {@code assertStage2Fault(OwnerId.HYP, () -> host.load64(pa))}.
     *
     * @return the fault, for its address and direction
     */
    public static Stage2Fault assertStage2Fault(OwnerId owner, Executable access) {
        return CallAssertions.assertStage2Fault(owner, access);
    }
}
