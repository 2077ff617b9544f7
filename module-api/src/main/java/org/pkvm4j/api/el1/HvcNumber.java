package org.pkvm4j.api.el1;

import org.pkvm4j.api.Smccc;

/**
 * The number of a registered EL2 handler: a dynamic host hypercall id, 128..255.
 *
 * <p>Kernel counterpart: the return value of {@code pkvm_register_el2_mod_call}. The host puts
 * {@link #smcccFunctionId()} ({@code KVM_HOST_SMCCC_ID(id)}, 0xC6000080..0xC60000FF) in x0 to call
 * it. Only the {@link Pkvm} of the module that registered it accepts it.
 *
 * @param id the hypercall id, 128..255
 * @since 0.1
 */
public record HvcNumber(int id) {
    /**
     * Checks that {@code id} is a dynamic hypercall id.
     *
     * @param id the hypercall id, 128..255
     */
    public HvcNumber {
        if (id < Smccc.DYNAMIC_HCALLS_BASE || id >= Smccc.DYNAMIC_HCALLS_BASE + Smccc.MAX_DYNAMIC_HCALLS) {
            throw new IllegalArgumentException("not a dynamic hypercall id: " + id + " (expected 128..255)");
        }
    }

    /**
     * The value x0 carries to call this handler: {@code 0xC6000000 + id}.
     *
     * @return the SMCCC function id of this hypercall
     */
    public long smcccFunctionId() {
        return Smccc.kvmHostSmcccId(id);
    }

    @Override
    public String toString() {
        return "HvcNumber[%d, 0x%X]".formatted(id, smcccFunctionId());
    }
}
