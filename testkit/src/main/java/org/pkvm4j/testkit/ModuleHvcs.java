package org.pkvm4j.testkit;

import java.util.List;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Calls a loaded module's EL2 handlers as the module itself would: through the {@link Pkvm} bound
 * to it ({@code THIS_MODULE}), by the index of the handler in registration order.
 *
 * <p>Index 0 is the first {@code registerEl2ModCall} of the module's init. A call returns x1, or
 * throws {@link org.pkvm4j.api.PkvmException} when x0 is not {@code SMCCC_RET_SUCCESS}; a handler
 * that reports an error in x1 (a negative errno) returns it.
 */
public final class ModuleHvcs {
    private final LoadedModule module;
    private final Pkvm pkvm;

    ModuleHvcs(LoadedModule module, Pkvm pkvm) {
        this.module = module;
        this.pkvm = pkvm;
    }

    /** The module's name. */
    public String name() {
        return module.name();
    }

    /** What {@code lsmod} shows of it. */
    public LoadedModule module() {
        return module;
    }

    /** Its {@code Pkvm}, for the calls this class has no shortcut for. */
    public Pkvm pkvm() {
        return pkvm;
    }

    /** Its HVC numbers, in registration order. */
    public List<HvcNumber> hvcs() {
        return module.hvcs();
    }

    /**
     * The HVC number of its {@code index}-th handler.
     *
     * @throws IllegalArgumentException if it registered fewer handlers
     */
    public HvcNumber hvc(int index) {
        List<HvcNumber> hvcs = module.hvcs();
        if (index < 0 || index >= hvcs.size()) {
            throw new IllegalArgumentException(module.name() + " registered " + hvcs.size()
                    + " EL2 handler(s) " + hvcs.stream().map(HvcNumber::id).toList() + "; there is no handler " + index);
        }
        return hvcs.get(index);
    }

    /** {@code pkvm_el2_mod_call(hvc)}: x1. */
    public long call(int index) {
        return pkvm.el2ModCall(hvc(index));
    }

    /** {@code pkvm_el2_mod_call(hvc, a1)}: x1. */
    public long call(int index, long a1) {
        return pkvm.el2ModCall(hvc(index), a1);
    }

    /** {@code pkvm_el2_mod_call(hvc, a1, a2)}: x1. */
    public long call(int index, long a1, long a2) {
        return pkvm.el2ModCall(hvc(index), a1, a2);
    }

    /** {@code pkvm_el2_mod_call(hvc, a1, a2, a3)}: x1. */
    public long call(int index, long a1, long a2, long a3) {
        return pkvm.el2ModCall(hvc(index), a1, a2, a3);
    }

    /** The call with every result register (x0..x3). */
    public SmcccRes callSmccc(int index, long a1, long a2, long a3) {
        return pkvm.el2ModCallSmccc(hvc(index), a1, a2, a3);
    }

    @Override
    public String toString() {
        return module.name() + " HVCs " + module.hvcs().stream().map(HvcNumber::id).toList();
    }
}
