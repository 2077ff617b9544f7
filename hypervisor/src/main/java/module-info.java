/**
 * The pKVM hypervisor: the EL2 runtime.
 *
 * <p>Kernel counterpart: {@code arch/arm64/kvm/hyp/nvhe/}. Boot code defines this module in its own
 * layer (a child of the boot layer), finds its one {@link org.pkvm4j.machine.HypervisorImage} and
 * installs the vector it returns. It exports nothing: the host reaches it only through {@code HVC},
 * vendor EL2 code only through the {@link org.pkvm4j.api.el2.ModuleOps} object it is handed.
 */
module org.pkvm4j.hypervisor {
    requires org.pkvm4j.machine;

    provides org.pkvm4j.machine.HypervisorImage with org.pkvm4j.hypervisor.setup.PkvmImage;
}
