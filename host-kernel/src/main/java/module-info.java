/**
 * The host kernel: EL1.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/*.c} (pkvm.c's module loader and {@code
 * kvm-arm.protected_modules=}), the init sequence and modprobe with its checks. It builds the
 * machine, installs the hypervisor, loads vendor modules into their own layers and deprivileges
 * itself. After that it reaches EL2 only by trapping, through {@link org.pkvm4j.host.hvc.HvcGateway}.
 *
 * <p>It exports what a booted device's users need (the test kit and a module's tests run in the
 * unnamed module, so these exports cannot be qualified): the kernel, its boot configuration and
 * report, loaded modules, the trap gateway and devices it hands out, KVM, the log, the trace, the
 * measurement log and the check pipeline's refusals. The ABI machinery behind modversions and the
 * EL2 code verifier only the author tools and the CLI call. It knows nothing of the CLI (docs/adr/0012-house-split.md).
 */
// "module": the qualified exports below name modules built after this one, which javac cannot see yet.
@SuppressWarnings("module")
module org.pkvm4j.host {
    requires transitive org.pkvm4j.machine;
    // KernelLog's printers take the caller's Log4j Logger.
    requires transitive org.apache.logging.log4j;
    // The trace and the measurement log are written as JSON (MeasurementLog.writeJson takes a generator).
    requires transitive tools.jackson.core;

    exports org.pkvm4j.host;
    exports org.pkvm4j.host.attest;
    exports org.pkvm4j.host.cmdline;
    exports org.pkvm4j.host.dev;
    exports org.pkvm4j.host.diag;
    exports org.pkvm4j.host.hvc;
    exports org.pkvm4j.host.initramfs;
    exports org.pkvm4j.host.kmi;
    exports org.pkvm4j.host.kvm;
    exports org.pkvm4j.host.loader;
    exports org.pkvm4j.host.log;
    exports org.pkvm4j.host.trace;
    // The ABI model behind modversions and the EL2 code rules: the tools dump, diff, stamp and
    // verify with them, the CLI prints them; modprobe runs them itself.
    exports org.pkvm4j.host.abi to org.pkvm4j.tools, org.pkvm4j.cli;
    exports org.pkvm4j.host.verify to org.pkvm4j.tools, org.pkvm4j.cli;

    uses org.pkvm4j.api.el1.KernelModule;
    uses org.pkvm4j.machine.HypervisorImage;
}
