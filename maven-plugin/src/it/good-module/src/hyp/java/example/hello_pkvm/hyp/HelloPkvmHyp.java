package example.hello_pkvm.hyp;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/** The EL2 code of hello_pkvm ({@code hyp/el2.c}). */
public final class HelloPkvmHyp {
    private HelloPkvmHyp() {
    }

    /** {@code int hello_pkvm_hyp_init(const struct pkvm_module_ops *ops)}: throw PkvmException to fail the load. */
    @El2Symbol("hello_pkvm_hyp_init")
    public static void init(ModuleOps ops) {
        ops.puts("hello_pkvm: EL2 init");
    }

    /** {@code void hello_pkvm_hyp_hvc(struct user_pt_regs *regs)}: x1 = a1 + 1. */
    @El2Symbol("hello_pkvm_hyp_hvc")
    public static void hvc(UserPtRegs regs) {
        // EL2 code is not preemptible: keep it short, never block.
        long a1 = regs.get(1);
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, a1 + 1);
    }
}
