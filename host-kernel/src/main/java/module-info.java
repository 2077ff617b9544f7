/**
 * The host kernel: EL1.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/*.c} (pkvm.c's module loader and {@code
 * kvm-arm.protected_modules=}), the init sequence, modprobe, and a shell. It builds the machine,
 * installs the hypervisor, loads vendor modules into their own layers and deprivileges itself.
 * After that it reaches EL2 only by trapping, through {@link org.pkvm4j.host.hvc.HvcGateway}.
 */
module org.pkvm4j.host {
    requires transitive org.pkvm4j.machine;
    requires org.apache.logging.log4j;
    requires info.picocli;
    // pkvm explore: the CPU time of the booting thread (ThreadMXBean).
    requires java.management;

    exports org.pkvm4j.host;
    exports org.pkvm4j.host.abi;
    exports org.pkvm4j.host.attest;
    exports org.pkvm4j.host.cli;
    exports org.pkvm4j.host.cmdline;
    exports org.pkvm4j.host.dev;
    exports org.pkvm4j.host.diag;
    exports org.pkvm4j.host.explore;
    exports org.pkvm4j.host.hvc;
    exports org.pkvm4j.host.initramfs;
    exports org.pkvm4j.host.json;
    exports org.pkvm4j.host.kvm;
    exports org.pkvm4j.host.loader;
    exports org.pkvm4j.host.log;
    exports org.pkvm4j.host.preempt;
    exports org.pkvm4j.host.shell;
    exports org.pkvm4j.host.trace;
    exports org.pkvm4j.host.verify;
    // picocli instantiates the commands and fills their options reflectively.
    opens org.pkvm4j.host.cli to info.picocli;

    uses org.pkvm4j.api.el1.KernelModule;
    uses org.pkvm4j.machine.HypervisorImage;
}
