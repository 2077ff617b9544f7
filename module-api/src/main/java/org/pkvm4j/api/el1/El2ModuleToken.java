package org.pkvm4j.api.el1;

/**
 * Identifies one loaded EL2 module: the hyp VA at which its sections start.
 *
 * <p>Kernel counterpart: the {@code token} of {@code pkvm_load_el2_module} ("the only information
 * needed is this addr so let's use it as an identifier"). Only the {@link Pkvm} of the module that
 * loaded it accepts it.
 *
 * @param hypVa the hypervisor virtual address of the module's first section
 * @since 0.1
 */
public record El2ModuleToken(long hypVa) {
    @Override
    public String toString() {
        return "El2ModuleToken[0x%x]".formatted(hypVa);
    }
}
