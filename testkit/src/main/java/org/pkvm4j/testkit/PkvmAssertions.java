package org.pkvm4j.testkit;

import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;

/** Entry points of the fluent assertions; import them statically. */
public final class PkvmAssertions {
    private PkvmAssertions() {
    }

    /** Checks of a device's boot report whose failures quote its kernel log. */
    public static BootReportAssert assertThat(HostKernel kernel) {
        return new BootReportAssert(kernel.bootReport(), kernel.log());
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
}
