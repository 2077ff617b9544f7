package example.hello_pkvm;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;

/** {@code module_init(hello_pkvm_init)}: loads the EL2 code, registers its handler, calls it once. */
public final class HelloPkvm implements KernelModule {
    /** ServiceLoader's constructor. */
    public HelloPkvm() {
    }

    @Override
    public void init(ModuleContext ctx) {
        Pkvm pkvm = ctx.pkvm();
        // pkvm_load_el2_module(__kvm_nvhe_hello_pkvm_hyp_init, &token)
        El2ModuleToken token = pkvm.loadEl2Module("hello_pkvm_hyp_init");
        // hvc_number = pkvm_register_el2_mod_call(__kvm_nvhe_hello_pkvm_hyp_hvc, token)
        HvcNumber hvc = pkvm.registerEl2ModCall("hello_pkvm_hyp_hcv", token);
        // pkvm_el2_mod_call(hvc_number, 41)
        long x1 = pkvm.el2ModCall(hvc, 41);
        if (x1 != 42) {
            throw new PkvmException(Errno.EIO, "hello_pkvm_hyp_hvc answered " + x1 + ", expected 42");
        }
        ctx.printk("EL2 handler registered as HVC " + hvc.id() + ", answered " + x1);
    }
}
