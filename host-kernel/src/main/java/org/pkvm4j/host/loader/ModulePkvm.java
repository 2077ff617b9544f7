package org.pkvm4j.host.loader;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.ModuleRam;

/**
 * The {@link Pkvm} of one module: {@code THIS_MODULE} made an object.
 *
 * <p>Kernel counterpart: {@code __pkvm_load_el2_module}, {@code __pkvm_register_el2_call} and the
 * {@code pkvm_el2_mod_call} macro in {@code arch/arm64/kvm/pkvm.c}. It remembers the token it got
 * and the HVC numbers it registered, refuses those of other modules, and can undo its loads when
 * the module's init fails.
 */
final class ModulePkvm implements Pkvm {
    private final String module;
    private final ProtectedMode protectedMode;
    private final HvcGateway gateway;
    private final ModuleRam moduleRam;
    private final VendorLayers layers;
    private final El2Part el2;
    // One bit per dynamic id 128..255 this module registered: the check on every call is a bit test.
    private final long[] ownedHvcs = new long[Smccc.MAX_DYNAMIC_HCALLS / Long.SIZE];
    private final List<HvcNumber> registered = new ArrayList<>();
    private El2ModuleToken token;
    // Where the loaded EL2 image sits in module RAM: freed by a rollback, or its range leaks.
    private long imagePa = -1;

    /**
     * The EL2 part of the checked module file, and how its layer's loader is set up.
     *
     * @param part its descriptor, jar and approved classes
     * @param symbols its symbol table
     * @param sections its section sizes
     * @param jdkAdmitted the JDK classes its loader resolves
     * @param hooks what the hypervisor's build adds to its classes
     */
    record El2Part(CheckedModule.Part part, El2SymbolTable symbols, El2Image.Sections sections,
            java.util.function.Predicate<String> jdkAdmitted, El2ClassHooks hooks) {
    }

    ModulePkvm(String module, ProtectedMode protectedMode, HvcGateway gateway, ModuleRam moduleRam,
            VendorLayers layers, Optional<El2Part> el2) {
        this.module = module;
        this.protectedMode = protectedMode;
        this.gateway = gateway;
        this.moduleRam = moduleRam;
        this.layers = layers;
        this.el2 = el2.orElse(null);
    }

    @Override
    public synchronized El2ModuleToken loadEl2Module(String initSymbol) {
        protectedMode.checkModuleLoadingOpen(module, "pkvm_load_el2_module");
        if (el2 == null) {
            throw new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT, module + ": Unknown symbol " + initSymbol
                    + " (the module file has no EL2 part)");
        }
        if (token != null) {
            throw new Refusal(ErrorCode.LOAD_NOT_OWNER, Errno.EEXIST, module + ": EL2 part already loaded at " + token);
        }
        El2Image.Symbol init = symbol(initSymbol);
        if (init.kind() != El2Image.Kind.INIT) {
            throw new Refusal(ErrorCode.LOAD_NOT_OWNER, Errno.EINVAL, module + ": " + initSymbol + " is a handler, not an init");
        }
        // The EL2 layer is defined only now, while the host is still privileged, and handed over
        // whole: the host keeps neither the layer, its controller nor a class of it.
        ModuleLayer.Controller controller = layers.defineEl2(module, el2.part(), el2.jdkAdmitted(), el2.hooks());
        Module el2Module = controller.layer().findModule(el2.part().descriptor().name()).orElseThrow();
        El2Image.Sections sections = el2.sections();
        El2Image image = new El2Image(module, el2Module, controller, el2.symbols().symbols(), sections.sizeBytes(), sections,
                el2.hooks().stopFlag());
        // Real DRAM pages: __pkvm_init_module donates them to EL2, for good on success.
        long pa = moduleRam.place(image);
        boolean kept = false;
        try {
            long hypVa = gateway.hostHcall(HostHcall.PKVM_ALLOC_MODULE_VA, image.nrPages(), 0, 0);
            gateway.hostHcall(HostHcall.PKVM_INIT_MODULE, pa, hypVa, hypVa + init.offset());
            token = new El2ModuleToken(hypVa);
            imagePa = pa;
            kept = true;
            return token;
        } catch (PkvmException e) {
            throw new Refusal(ErrorCode.LOAD_INIT_FAILED, e.errno(), module + ": EL2 init " + initSymbol + " failed: " + e.getMessage(), e);
        } finally {
            if (!kept) {
                // EL2 did not keep the image and gave its pages back (or never took them): free both.
                moduleRam.free(pa);
            }
        }
    }

    @Override
    public synchronized HvcNumber registerEl2ModCall(String handlerSymbol, El2ModuleToken token) {
        protectedMode.checkModuleLoadingOpen(module, "pkvm_register_el2_mod_call");
        // The token's value, not El2ModuleToken.equals: the same test without linking a record's
        // equals bootstrap on the boot's path (ADR 0018).
        if (token == null || this.token == null || token.hypVa() != this.token.hypVa()) {
            throw new Refusal(ErrorCode.LOAD_NOT_OWNER, Errno.EINVAL, module + ": " + token + " is not a token of this module"
                    + (this.token == null ? " (its EL2 part is not loaded)" : " (its token is " + this.token + ")"));
        }
        El2Image.Symbol handler = symbol(handlerSymbol);
        if (handler.kind() == El2Image.Kind.INIT) {
            throw new Refusal(ErrorCode.LOAD_NOT_OWNER, Errno.EINVAL, module + ": " + handlerSymbol + " is an init, not a handler");
        }
        long id;
        try {
            id = gateway.hostHcall(HostHcall.PKVM_REGISTER_HCALL, token.hypVa() + handler.offset(), 0, 0);
        } catch (PkvmException e) {
            // __pkvm_register_dyn_hcall's one refusal: every one of the 128 slots is taken.
            throw e.errno() == Errno.ENOMEM ? new Refusal(ErrorCode.LOAD_HCALL_TABLE_FULL, Errno.ENOMEM,
                    module + ": cannot register " + handlerSymbol + ": all " + Smccc.MAX_DYNAMIC_HCALLS
                    + " module hypercalls are taken", e) : e;
        }
        HvcNumber hvc = new HvcNumber((int) id);
        int bit = hvc.id() - Smccc.DYNAMIC_HCALLS_BASE;
        ownedHvcs[bit >>> 6] |= 1L << bit;
        registered.add(hvc);
        return hvc;
    }

    @Override
    public long el2ModCall(HvcNumber hvc) {
        return el2ModCall(hvc, 0, 0, 0);
    }

    @Override
    public long el2ModCall(HvcNumber hvc, long a1) {
        return el2ModCall(hvc, a1, 0, 0);
    }

    @Override
    public long el2ModCall(HvcNumber hvc, long a1, long a2) {
        return el2ModCall(hvc, a1, a2, 0);
    }

    @Override
    public long el2ModCall(HvcNumber hvc, long a1, long a2, long a3) {
        checkOwned(hvc);
        return gateway.el2ModCall(hvc.smcccFunctionId(), a1, a2, a3);
    }

    @Override
    public SmcccRes el2ModCallSmccc(HvcNumber hvc, long a1, long a2, long a3) {
        checkOwned(hvc);
        return gateway.hvc(hvc.smcccFunctionId(), a1, a2, a3);
    }

    /** The trap gateway this module's calls go through. */
    HvcGateway gateway() {
        return gateway;
    }

    /** The token of the loaded EL2 part, if any. */
    synchronized Optional<El2ModuleToken> token() {
        return Optional.ofNullable(token);
    }

    /** The HVC numbers registered, in order. */
    synchronized List<HvcNumber> registered() {
        return List.copyOf(registered);
    }

    /**
     * Undoes this module's EL2 work after its init failed: unmaps the EL2 part, which also revokes
     * its handlers. Possible only before deprivilege, which is the only time anything was loaded.
     */
    synchronized void rollback() {
        if (token != null) {
            gateway.hostHcall(HostHcall.PKVM_UNMAP_MODULE_PAGE, token.hypVa(), 0, 0);
            token = null;
            // EL2 gave the image's pages back to the host: its module RAM range is free again.
            moduleRam.free(imagePa);
            imagePa = -1;
        }
        registered.clear();
        Arrays.fill(ownedHvcs, 0);
    }

    private void checkOwned(HvcNumber hvc) {
        int bit = hvc.id() - Smccc.DYNAMIC_HCALLS_BASE;
        if ((ownedHvcs[bit >>> 6] & (1L << bit)) == 0) {
            throw new Refusal(ErrorCode.LOAD_NOT_OWNER, Errno.EPERM, module + ": " + hvc + " was not registered by this module");
        }
    }

    private El2Image.Symbol symbol(String name) {
        return el2.symbols().find(name).orElseThrow(() -> new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT,
                module + ": Unknown symbol " + name + " (err " + Errno.ENOENT.negated() + ")"));
    }
}
