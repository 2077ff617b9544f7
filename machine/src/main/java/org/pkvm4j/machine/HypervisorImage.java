package org.pkvm4j.machine;

/**
 * A hypervisor image the boot code can install at EL2: the service the hypervisor module provides.
 *
 * <p>Kernel counterpart: the nVHE hypervisor object linked into the kernel image and entered by
 * {@code __pkvm_init}. Boot code finds the one provider of its hyp layer with {@code
 * ServiceLoader.load(hypLayer, HypervisorImage.class)}, hands it the privileged capabilities and
 * installs the vector it returns; then it drops every reference to it.
 */
public interface HypervisorImage {
    /**
     * Initialises the hypervisor on {@code platform} and returns its exception vector.
     *
     * @param platform the privileged machine capabilities; only the hypervisor may hold them
     * @param options the hypervisor's boot options (for example {@code kvm-arm.mode=protected})
     */
    El2Vector pkvmInit(HypPlatform platform, HypOptions options);
}
