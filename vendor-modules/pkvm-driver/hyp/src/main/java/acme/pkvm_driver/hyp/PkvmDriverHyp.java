package acme.pkvm_driver.hyp;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/** The EL2 code of pkvm_driver: {@code pkvm_driver_hyp_init} and {@code pkvm_driver_hyp_hvc}. */
public final class PkvmDriverHyp {
    private PkvmDriverHyp() {
    }

    /** {@code int pkvm_driver_hyp_init(const struct pkvm_module_ops *ops)}. */
    @El2Symbol("pkvm_driver_hyp_init")
    public static void init(ModuleOps ops) {
        ops.puts("pkvm_driver: EL2 init");
    }

    /** {@code void pkvm_driver_hyp_hvc(struct user_pt_regs *regs)}: the Android-15 handler. */
    @El2Symbol("pkvm_driver_hyp_hvc")
    public static void hvc(UserPtRegs regs) {
        // EL2 code is not preemptible: handle the call and return.
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, 0);
    }
}
