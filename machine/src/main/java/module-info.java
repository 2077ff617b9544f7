/**
 * The simulated arm64 machine both exception levels use and neither owns.
 *
 * <p>Kernel counterpart: the hardware. The host holds a {@link org.pkvm4j.machine.Machine} and its
 * CPUs, which can only trap; the privileged capabilities (the EL2 vector register, the module images
 * the host placed in memory, the panic line) are handed out once, as a
 * {@link org.pkvm4j.machine.HypPlatform}, to the hypervisor image the boot code installs.
 */
module org.pkvm4j.machine {
    requires transitive org.pkvm4j.api;
    // com.sun.management.ThreadMXBean: the per-thread allocation counters the lockup detector samples.
    requires jdk.management;

    exports org.pkvm4j.machine;
}
