package org.pkvm4j.testkit;

import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Assertions;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
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
    /** The device, for the checks that ask it (HVCs, protected VMs); null for a bare report. */
    private final HostKernel kernel;

    BootReportAssert(BootReport report, KernelLog log) {
        this(report, log, null);
    }

    BootReportAssert(HostKernel kernel) {
        this(kernel.bootReport(), kernel.log(), kernel);
    }

    private BootReportAssert(BootReport report, KernelLog log, HostKernel kernel) {
        this.report = Objects.requireNonNull(report, "report");
        this.log = log;
        this.kernel = kernel;
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

    /**
     * Loaded module {@code name}'s {@code index}-th handler (registration order, from 0) answers
     * its HVC: called from the host with zero arguments, EL2 does not say {@code NOT_SUPPORTED}.
     */
    public BootReportAssert hvcAnswers(String name, int index) {
        HostKernel k = device("hvcAnswers");
        LoadedModule m = HvcProbe.loaded(k, name).orElse(null);
        if (m == null) {
            fail("expected HVC " + index + " of " + name + " to answer, but " + name + " is not loaded (lsmod: "
                    + k.lsmod().stream().map(LoadedModule::name).toList() + ")", name);
        } else if (index < 0 || index >= m.hvcs().size()) {
            fail("expected HVC " + index + " of " + name + " to answer, but it registered " + m.hvcs().size()
                    + " handler(s) " + ids(m), name);
        } else if (!HvcProbe.answers(k, m.hvcs().get(index).id())) {
            fail("expected HVC " + index + " of " + name + " (id " + m.hvcs().get(index).id()
                    + ") to answer, but EL2 returns SMCCC_RET_NOT_SUPPORTED", name);
        }
        return this;
    }

    /**
     * No HVC of module {@code name} answers: if it is loaded, none of its handlers; if not (a failed
     * load), no HVC id that belongs to no loaded module, so the failed load left no handler behind.
     */
    public BootReportAssert noHvcAnswers(String name) {
        HostKernel k = device("noHvcAnswers");
        LoadedModule m = HvcProbe.loaded(k, name).orElse(null);
        if (m != null) {
            List<Integer> answering = m.hvcs().stream().map(h -> h.id()).filter(id -> HvcProbe.answers(k, id)).toList();
            if (!answering.isEmpty()) {
                fail("expected no HVC of " + name + " to answer, but it is loaded and ids " + answering + " of "
                        + ids(m) + " answer", name);
            }
        } else {
            List<Integer> strays = HvcProbe.strays(k);
            if (!strays.isEmpty()) {
                fail("expected no HVC of " + name + " to answer; it is not loaded, but ids " + strays
                        + " answer and belong to no loaded module (a handler its failed load left behind?)", name);
            }
        }
        return this;
    }

    /** {@code createVm(KVM_VM_TYPE_ARM_PROTECTED)} fails with {@code EPERM}, as on an insecure device. */
    public BootReportAssert protectedVmsRefused() {
        HvcProbe.protectedVmRefusal(device("protectedVmsRefused")).ifPresentOrElse(e -> {
            if (e.errno() != Errno.EPERM) {
                fail("expected protected VMs to be refused with EPERM, but createVm failed with " + e.errno()
                        + ": " + e.getMessage(), subject());
            }
        }, () -> fail("expected protected VMs to be refused, but createVm(KVM_VM_TYPE_ARM_PROTECTED) succeeded ("
                + report.security().describe() + ")", subject()));
        return this;
    }

    /** {@code createVm(KVM_VM_TYPE_ARM_PROTECTED)} succeeds (the VM is destroyed again). */
    public BootReportAssert protectedVmsAllowed() {
        HvcProbe.protectedVmRefusal(device("protectedVmsAllowed")).ifPresent(e -> fail(
                "expected a protected VM to start, but createVm(KVM_VM_TYPE_ARM_PROTECTED) failed with " + e.errno()
                        + ": " + e.getMessage(), subject()));
        return this;
    }

    /** Module {@code name} was modprobed after deprivilege ({@code LATE} fault) and refused with {@code errno}. */
    public BootReportAssert lateLoadRefused(String name, Errno errno) {
        BootReport.LateLoad late = report.lateLoads().stream().filter(l -> PkvmDevice.sameName(l.module(), name))
                .findFirst().orElse(null);
        if (late == null) {
            fail("expected a late load of " + name + " refused with " + errno + ", but the late loads are "
                    + report.lateLoads().stream().map(BootReport.LateLoad::module).toList(), name);
        } else if (late.errno().orElse(null) != errno) {
            fail("expected the late load of " + name + " to be refused with " + errno + ", but it "
                    + late.errno().map(e -> "was refused with " + e).orElse("loaded") + ": " + late.message(), name);
        }
        return this;
    }

    private HostKernel device(String check) {
        if (kernel == null) {
            throw new IllegalStateException(check + " asks the device: use assertThat(kernel) or assertThat(device),"
                    + " not assertThat(report)");
        }
        return kernel;
    }

    private static List<Integer> ids(LoadedModule m) {
        return m.hvcs().stream().map(h -> h.id()).toList();
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
