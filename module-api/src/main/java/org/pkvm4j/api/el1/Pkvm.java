package org.pkvm4j.api.el1;

import org.pkvm4j.api.PkvmException;

/**
 * The pKVM calls of one EL1 module: load its EL2 part, register EL2 handlers, call them.
 *
 * <p>Kernel counterpart: the EL1 functions of {@code asm/kvm_pkvm_module.h}. An instance is bound
 * to the module it was handed to, like {@code THIS_MODULE} in the C macros: a token or HVC number
 * of another module is refused. Loading and registration are only possible before the host is
 * deprivileged; calls keep working afterwards.
 *
 * @since 0.1
 */
public interface Pkvm {

    /**
     * Loads this module's EL2 part and runs its init at EL2.
     *
     * <p>Kernel counterpart: {@code pkvm_load_el2_module(__kvm_nvhe_<initSymbol>, &token)}. The
     * EL2 pages are handed to the hypervisor, the init runs there with the ops table, and the token
     * (the hyp VA of the module's sections) comes back.
     *
     * @return the token of the module's EL2 part
     * @param initSymbol the {@code @El2Symbol} name of the EL2 init, for example {@code
     *     "pkvm_driver_hyp_init"}
     * @throws PkvmException {@code EOPNOTSUPP} after deprivilege or with pKVM off; {@code ENOENT}
     *     for an unknown symbol or a module without EL2 part; {@code EEXIST} if already loaded;
     *     {@code ENOMEM} if the hypervisor has no VA left; the init's own errno if it failed
     */
    El2ModuleToken loadEl2Module(String initSymbol);

    /**
     * Registers an EL2 handler as a dynamic hypercall and returns its number.
     *
     * <p>Kernel counterpart: {@code pkvm_register_el2_mod_call(__kvm_nvhe_<handlerSymbol>,
     * token)}, which issues {@code __pkvm_register_hcall}.
     *
     * @param handlerSymbol the {@code @El2Symbol} name of the handler
     * @param token the token {@link #loadEl2Module} returned
     * @return the handler's hypercall number
     * @throws PkvmException {@code ENOMEM} when the hypervisor holds 128 handlers already; {@code
     *     EINVAL} for a token that is not this module's; {@code ENOENT} for an unknown symbol;
     *     {@code EOPNOTSUPP} after deprivilege
     */
    HvcNumber registerEl2ModCall(String handlerSymbol, El2ModuleToken token);

    /**
     * Calls an EL2 handler with no argument and returns x1.
     *
     * <p>Kernel counterpart: {@code pkvm_el2_mod_call(hvc_number)}.
     *
     * @param hvc a hypercall number this module registered
     * @return x1 as the handler left it
     * @throws PkvmException {@code EPERM} for an HVC number this module did not register; the
     *     SMCCC status as {@code EOPNOTSUPP} if x0 is not {@code SMCCC_RET_SUCCESS}
     */
    long el2ModCall(HvcNumber hvc);

    /**
     * As {@link #el2ModCall(HvcNumber)}, with x1 = {@code a1}.
     *
     * @param hvc a hypercall number this module registered
     * @param a1 x1
     * @return x1 as the handler left it
     */
    long el2ModCall(HvcNumber hvc, long a1);

    /**
     * As {@link #el2ModCall(HvcNumber)}, with x1, x2 = {@code a1, a2}.
     *
     * @param hvc a hypercall number this module registered
     * @param a1 x1
     * @param a2 x2
     * @return x1 as the handler left it
     */
    long el2ModCall(HvcNumber hvc, long a1, long a2);

    /**
     * As {@link #el2ModCall(HvcNumber)}, with x1..x3 = {@code a1..a3}.
     *
     * @param hvc a hypercall number this module registered
     * @param a1 x1
     * @param a2 x2
     * @param a3 x3
     * @return x1 as the handler left it
     */
    long el2ModCall(HvcNumber hvc, long a1, long a2, long a3);

    /**
     * Calls an EL2 handler and returns x0..x3 as they came back, without checking x0.
     *
     * <p>Kernel counterpart: {@code pkvm_el2_mod_call_smccc} (android16-6.12).
     *
     * @param hvc a hypercall number this module registered
     * @param a1 x1
     * @param a2 x2
     * @param a3 x3
     * @return x0..x3 as the handler left them
     * @throws PkvmException {@code EPERM} for an HVC number this module did not register
     */
    SmcccRes el2ModCallSmccc(HvcNumber hvc, long a1, long a2, long a3);
}
