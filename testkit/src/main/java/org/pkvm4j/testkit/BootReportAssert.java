package org.pkvm4j.testkit;

import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Assertions;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.host.log.KernelLog;

/**
 * Fluent checks of a {@link BootReport}: {@code assertThat(kernel).isProtected().hasModule("kvstore").deprivileged()}.
 *
 * <p>Made from a {@link org.pkvm4j.host.HostKernel}, a failure quotes the kernel log lines that
 * explain it; made from a bare report, it quotes the report.
 */
public final class BootReportAssert {
    private final BootReport report;
    private final KernelLog log;

    BootReportAssert(BootReport report, KernelLog log) {
        this.report = Objects.requireNonNull(report, "report");
        this.log = log;
    }

    /** The report under test. */
    public BootReport report() {
        return report;
    }

    /** Every module in {@code kvm-arm.protected_modules=} loaded. */
    public BootReportAssert isProtected() {
        if (!(report.security() instanceof SecurityState.Protected)) {
            fail("expected a protected boot, but it is " + report.security().describe(), subject());
        }
        return this;
    }

    /** A listed module failed: the system is insecure. */
    public BootReportAssert isInsecure() {
        if (!(report.security() instanceof SecurityState.Insecure)) {
            fail("expected an insecure boot, but it is " + report.security().describe(), null);
        }
        return this;
    }

    /** The system is insecure because {@code module} failed with {@code errno}. */
    public BootReportAssert isInsecure(String module, Errno errno) {
        if (!(report.security() instanceof SecurityState.Insecure insecure)
                || !PkvmDevice.sameName(insecure.module(), module) || insecure.errno() != errno) {
            fail("expected an insecure boot because " + module + " failed with " + errno + ", but it is "
                    + report.security().describe(), module);
        }
        return this;
    }

    /** pKVM is off ({@code kvm-arm.mode=} other than protected). */
    public BootReportAssert isUnprotected() {
        if (!(report.security() instanceof SecurityState.Unprotected)) {
            fail("expected an unprotected boot (pKVM off), but it is " + report.security().describe(), null);
        }
        return this;
    }

    /** Module {@code name} loaded at boot. */
    public BootReportAssert hasModule(String name) {
        if (find(name) == null) {
            fail("expected module " + name + " to be loaded at boot, but the boot loaded " + names(), name);
        }
        return this;
    }

    /** Module {@code name} loaded at boot with an EL2 part and {@code hvcs} registered handlers. */
    public BootReportAssert hasModule(String name, int hvcs) {
        hasModule(name);
        LoadedModule m = find(name);
        if (!m.isPkvmModule() || m.hvcs().size() != hvcs) {
            fail("expected module " + name + " with an EL2 part and " + hvcs + " HVC(s), but it has "
                    + (m.isPkvmModule() ? "HVCs " + m.hvcs().stream().map(h -> h.id()).toList() : "no EL2 part"), name);
        }
        return this;
    }

    /** Module {@code name} did not load at boot. */
    public BootReportAssert doesNotHaveModule(String name) {
        if (find(name) != null) {
            fail("expected module " + name + " not to be loaded, but the boot loaded " + names(), name);
        }
        return this;
    }

    /** Every CPU finalized: the host dropped its privileges. */
    public BootReportAssert deprivileged() {
        if (!report.deprivileged()) {
            fail("expected the host to be deprivileged on every CPU, but it is not", null);
        }
        return this;
    }

    /** The host kept its privileges (pKVM off, or a finalize failed). */
    public BootReportAssert notDeprivileged() {
        if (report.deprivileged()) {
            fail("expected the host not to be deprivileged, but every CPU finalized", null);
        }
        return this;
    }

    /** No hyp panic. */
    public BootReportAssert hasNoPanic() {
        report.panic().ifPresent(p -> fail("expected no hyp panic, but CPU" + p.cpu() + " panicked: " + p.reason(), null));
        return this;
    }

    /** A hyp panic stopped the machine. */
    public BootReportAssert panicked() {
        if (report.panic().isEmpty()) {
            fail("expected a hyp panic, but there was none", null);
        }
        return this;
    }

    private LoadedModule find(String name) {
        return report.modules().stream().filter(m -> PkvmDevice.sameName(m.name(), name)).findFirst().orElse(null);
    }

    private List<String> names() {
        return report.modules().stream().map(LoadedModule::name).toList();
    }

    /** The module the report's state is about, if any: the one that failed. */
    private String subject() {
        return report.security() instanceof SecurityState.Insecure i ? i.module() : null;
    }

    private void fail(String message, String module) {
        String context;
        if (log == null) {
            context = "boot report: cmdline \"" + report.cmdline() + "\", modules " + names() + ", "
                    + report.security().describe() + ", deprivileged " + report.deprivileged()
                    + report.panic().map(p -> ", hyp panic: " + p.reason()).orElse("");
        } else {
            context = module == null ? Dmesg.problems(log) : Dmesg.about(log, module);
        }
        Assertions.fail(message + "\n" + context);
    }
}
