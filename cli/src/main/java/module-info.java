/**
 * {@code pkvm}: the command line over the host kernel and the author tools.
 *
 * <p>Kernel counterpart: the kmod tools ({@code modprobe}, {@code lsmod}, {@code modinfo}), {@code
 * dmesg}, a shell's scripts. Its main class is {@link org.pkvm4j.cli.Main}; nothing below it knows
 * it exists (docs/adr/0012-house-split.md).
 */
module org.pkvm4j.cli {
    requires org.pkvm4j.tools;
    // explore's outcomes and runs are made of the kernel's values (HostKernel, FaultPlan, Errno).
    requires transitive org.pkvm4j.host;
    requires info.picocli;
    requires org.apache.logging.log4j;
    requires tools.jackson.core;
    // pkvm explore: the CPU time of the booting thread (ThreadMXBean).
    requires java.management;

    // Main.run for embedders and the integration tests; explore's outcomes for the benchmarks.
    exports org.pkvm4j.cli;
    exports org.pkvm4j.cli.explore;
    // picocli instantiates the commands and fills their options reflectively.
    opens org.pkvm4j.cli to info.picocli;
}
