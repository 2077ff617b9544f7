package org.pkvm4j.hypervisor.module;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2Code;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.PanicCause;
import org.pkvm4j.machine.MachineConfig;

/**
 * The module-loading hypercalls and the table of loaded EL2 modules.
 *
 * <p>Kernel counterpart: {@code __pkvm_alloc_module_va}, {@code __pkvm_init_module}, {@code
 * __pkvm_unmap_module_page} and {@code __pkvm_register_hcall} in {@code nvhe/modules.c}. All of
 * them sit in the privileged band: the dispatcher refuses them once the host is deprivileged, so
 * nothing here needs to check that again. These are the workers: they take plain values and return
 * the result or {@code -errno}, which {@code HostHcalls}' {@code handle___X} wrappers unpack from
 * and write to the host's registers; a failed call leaves the table as it was.
 *
 * <p>Module pages: {@code __pkvm_init_module} maps every page of the image at its token's VA before
 * it links anything, each with {@code __pkvm_map_module_page(pfn, va, prot, false)} (which the kernel's
 * EL1 loader issues page by page): the page is donated host→hyp, so a loaded module's pages are hyp
 * OWNED, host NOPAGE annotated HYP, and mapped at EL2 with its section's permissions ({@link
 * El2Image.Sections}: text R+X, rodata R, data RW). A load that fails after that, and an unload
 * ({@code __pkvm_unmap_module_page}), unmap them and donate them back.
 */
public final class El2Modules {
    /** Start of the hyp VA window for module sections: the start of the private range. */
    public static final long MODULE_VA_BASE = HypVaSpace.PRIVATE_VA_BASE;
    /** Size of that window: 128 MiB, mirroring the kernel's module area. */
    public static final long MODULE_VA_SIZE = HypVaSpace.MODULE_VA_SIZE;

    private final HypPlatform platform;
    private final HypVaSpace va;
    private final ModuleOpsTable ops;
    private final DynamicHcalls hcalls;
    private final InjectedFaults faults;
    private final long allocBytes;
    private final SymbolLinker linker = new SymbolLinker();
    private final List<El2Module> loaded = new ArrayList<>();
    private final List<long[]> reserved = new ArrayList<>();
    /** The first pfn of each loaded module's donated pages (nrPages: its image's). */
    private final Map<El2Module, Long> pagesOf = new IdentityHashMap<>();
    /** Each loaded module's owner-bound ops: what its init (and later code) registered. */
    private final Map<El2Module, ModuleOpsTable> opsOf = new IdentityHashMap<>();
    /** The containment of every loaded module, also while its init runs: read without this monitor. */
    private final List<ModuleContainment> live = new CopyOnWriteArrayList<>();

    /**
     * Module loading on {@code platform}; every init receives {@code ops}; module pages change hands
     * through {@code memProtect} and are mapped in a VA space of their own.
     */
    public El2Modules(HypPlatform platform, MemProtect memProtect, ModuleOpsTable ops, DynamicHcalls hcalls) {
        this(platform, new HypVaSpace(memProtect, platform.nrCpus()), ops, hcalls, null);
    }

    /** Module loading whose pages are mapped in the hypervisor's VA space {@code va}. */
    public El2Modules(HypPlatform platform, HypVaSpace va, ModuleOpsTable ops, DynamicHcalls hcalls) {
        this(platform, va, ops, hcalls, null);
    }

    /**
     * Module loading whose pages are mapped in the hypervisor's VA space {@code va}, with the faults
     * this hypervisor was booted to inject (null: none).
     */
    public El2Modules(HypPlatform platform, HypVaSpace va, ModuleOpsTable ops, DynamicHcalls hcalls, InjectedFaults faults) {
        this(platform, va, ops, hcalls, faults, HypOptions.DEFAULT_ALLOC_BYTES);
    }

    /**
     * As above, and the code of each module may allocate at most {@code allocBytes} in one trap (0:
     * no budget; code running off its trap is stopped all the same).
     */
    public El2Modules(HypPlatform platform, HypVaSpace va, ModuleOpsTable ops, DynamicHcalls hcalls, InjectedFaults faults,
            long allocBytes) {
        this.faults = faults;
        this.allocBytes = allocBytes;
        this.platform = platform;
        this.va = va;
        this.ops = ops;
        this.hcalls = hcalls;
    }

    /** {@code __pkvm_alloc_module_va(nr_pages)}: the VA (the load's token), or -EINVAL / -ENOMEM. */
    public synchronized long allocModuleVa(long nrPages) {
        long at = va.allocModuleVa(nrPages);
        if (at > 0) {
            reserved.add(new long[] {at, nrPages});
        }
        return at;
    }

    /**
     * {@code __pkvm_init_module} on {@code cpu}: {@code pa} of the placed image, {@code token} (a
     * reserved VA), {@code initVa} (hyp VA of the init symbol). Takes the image, links it and runs its
     * init with the ops table.
     *
     * @return 0, the init's -errno, -EINVAL for a bad image, token or init address, a page's -errno
     *     if mapping fails, -ENOEXEC if it cannot be linked. An init that throws anything but {@link
     *     PkvmException}, or a link error, panics the hypervisor: the trap then ends in {@code
     *     HypPanicException} on its way out and the host never reads what this returns.
     */
    public synchronized long initModule(Cpu cpu, long pa, long token, long initVa) {
        long[] reservation = reservationAt(token);
        El2Image image = reservation == null ? null : platform.takeModuleImage(pa);
        if (image == null || image.nrPages() > reservation[1]) {
            return Errno.EINVAL.negated();
        }
        Optional<El2Image.Symbol> init = image.symbolAt(initVa - token);
        if (init.isEmpty() || init.get().kind() != El2Image.Kind.INIT || (pa & (MachineConfig.PAGE_SIZE - 1)) != 0) {
            return Errno.EINVAL.negated();
        }
        long pfn = pa >>> Dram.PAGE_SHIFT;
        int mapped = mapPages(image, pfn, token);
        if (mapped != 0) {
            return mapped;
        }
        El2Module module = new El2Module(image, token, reservation[1],
                new ModuleContainment(image.moduleName(), platform, ops.console()));
        MethodHandle initFn;
        try {
            linker.grantAccess(image);
            initFn = linker.linkInit(image, init.get());
            module.containment().stopWith(linker.stopSwitch(image));
            linker.chargeTo(image, new El2Memory(platform, module.containment(), allocBytes));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            unmapPages(token, image.nrPages());
            LinkageError link = linkError(e);
            if (link != null) {
                // The EL2 loader refused a name while the JVM linked the module's code (a JDK class off
                // the run-time allow-list, reached only when the static checks were bypassed): a link
                // error inside EL2 is a hyp panic naming the module and the class, as any at run time.
                platform.panic(cpu, "EL2 module %s failed to link: %s".formatted(module.name(), PanicCause.describe(link)), link);
            }
            return Errno.ENOEXEC.negated();
        }
        reserved.remove(reservation);
        loaded.add(module);
        pagesOf.put(module, pfn);
        ModuleOpsTable moduleOps = ops.forModule(module.containment());
        opsOf.put(module, moduleOps);
        live.add(module.containment());
        Errno injected = faults == null ? null : faults.initModule(module.name());
        if (injected != null) {
            forget(module);
            return injected.negated();
        }
        // The init, and a vendor exception's errno(), run published as the module's code on this CPU.
        Errno failed = null;
        Throwable escaped = null;
        El2Code outer = platform.enterEl2(cpu, module.containment().code(init.get().name()));
        try {
            try {
                initFn.invokeExact((ModuleOps) moduleOps);
            } catch (PkvmException e) {
                failed = e.errno() == null ? Errno.EINVAL : e.errno();
            }
        } catch (Throwable t) {
            escaped = t;
        } finally {
            platform.exitEl2(cpu, outer);
        }
        if (escaped != null) {
            forget(module);
            platform.panic(cpu, "EL2 init %s of module %s threw %s".formatted(init.get().name(), module.name(),
                    PanicCause.describe(escaped)), escaped);
            return Errno.EFAULT.negated(); // never read: see above
        }
        if (failed != null) {
            forget(module);
            return failed.negated();
        }
        return 0;
    }

    /**
     * Stops the code of every loaded EL2 module: sets each one's preemption flag, so that its code
     * throws at its next poll (method entry, loop back-edge, exception handler) and unwinds to the
     * hypervisor. Called when the machine panics; does not take this object's monitor, which a
     * stuck init may hold.
     *
     * @return how many modules had a flag to set
     */
    public int stopAll() {
        int n = 0;
        for (ModuleContainment c : live) {
            if (c.stop()) {
                n++;
            }
        }
        return n;
    }

    /**
     * {@code __pkvm_unmap_module_page} of the load at {@code token}: unloads that module, or drops a
     * reservation no module was loaded into.
     *
     * @return 0, or -EINVAL if {@code token} is neither
     */
    public synchronized long unmapModule(long token) {
        long[] reservation = reservationAt(token);
        if (reservation != null) {
            reserved.remove(reservation);
            return 0;
        }
        El2Module module = moduleAt(token);
        if (module == null || module.token() != token) {
            return Errno.EINVAL.negated();
        }
        forget(module);
        return 0;
    }

    /**
     * {@code __pkvm_register_hcall(hfn)}: {@code hfn} is the hyp VA of a handler symbol inside a
     * loaded module.
     *
     * @return the new hypercall id, or -EINVAL (not a handler symbol of a loaded module), -ENOEXEC
     *     (it cannot be linked) or -ENOMEM (128 handlers already)
     */
    public synchronized long registerHcall(long hfn) {
        El2Module module = moduleAt(hfn);
        Optional<El2Image.Symbol> symbol = module == null ? Optional.empty() : module.image().symbolAt(hfn - module.token());
        if (symbol.isEmpty() || symbol.get().kind() == El2Image.Kind.INIT) {
            return Errno.EINVAL.negated();
        }
        Errno injected = faults == null ? null : faults.registerHcall(module.name());
        if (injected != null) {
            return injected.negated();
        }
        // get-then-put rather than computeIfAbsent with a lambda: the hyp layer is new on every boot,
        // and so would be the lambda's class (ADR 0018). Guarded by this object's monitor.
        Hcall hcall = module.linked().get(symbol.get().name());
        if (hcall == null) {
            try {
                hcall = link(module, symbol.get());
            } catch (LinkFailure e) {
                return Errno.ENOEXEC.negated();
            }
            module.linked().put(symbol.get().name(), hcall);
        }
        return hcalls.register(hcall);
    }

    /** Links a handler symbol; the kernel may register one function twice, so each is linked once. */
    private Hcall link(El2Module module, El2Image.Symbol s) {
        try {
            return s.kind() == El2Image.Kind.HVC_USER_PT_REGS
                    ? new Hcall.UserPtRegsCall(module, s.name(), linker.linkUserPtRegs(module.image(), s))
                    : new Hcall.KvmCpuContextCall(module, s.name(), linker.linkKvmCpuContext(module.image(), s));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            throw new LinkFailure(e);
        }
    }

    /** A symbol that could not be linked; answered with -ENOEXEC. */
    private static final class LinkFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LinkFailure(Throwable cause) {
            super(cause);
        }
    }

    /** Names of the loaded EL2 modules, in load order. */
    public synchronized List<String> loadedNames() {
        return loaded.stream().map(El2Module::name).toList();
    }

    /**
     * The EL2 permissions of page {@code index} of an image: its section's ({@code
     * __pkvm_load_el2_module}: text R+X, rodata R, data and bss RW).
     */
    static int sectionProt(El2Image.Sections sections, long index) {
        if (index < sections.textPages()) {
            return Prot.RX;
        }
        return index < sections.textPages() + sections.rodataPages() ? Prot.R : Prot.RW;
    }

    /**
     * {@code __pkvm_map_module_page} for every page of {@code image}, at {@code token} upwards; on a
     * failure the pages mapped so far are unmapped and given back.
     *
     * @return 0 or the failing page's -errno
     */
    private int mapPages(El2Image image, long pfn, long token) {
        long nr = image.nrPages();
        for (long i = 0; i < nr; i++) {
            int ret = va.mapModulePage(pfn + i, token + i * MachineConfig.PAGE_SIZE, sectionProt(image.sections(), i), false);
            if (ret != 0) {
                unmapPages(token, i);
                return ret;
            }
        }
        return 0;
    }

    /** {@code __pkvm_unmap_module_page} of {@code nrPages} pages from {@code token}; this class mapped them, so it cannot fail. */
    private void unmapPages(long token, long nrPages) {
        for (long i = 0; i < nrPages; i++) {
            int ret = va.unmapModulePage(token + i * MachineConfig.PAGE_SIZE, false);
            if (ret != 0) {
                throw new IllegalStateException("BUG: unmapping module page at 0x%x failed: %d".formatted(token + i * MachineConfig.PAGE_SIZE, ret));
            }
        }
    }

    /**
     * Undoes a module: its hypercalls, then what it registered through its ops (notifier, serial
     * driver, perm-fault handlers, fixmap slots, private mappings), then its pages go back to the
     * host, so no code of it is reachable once they are the host's.
     */
    private void forget(El2Module module) {
        loaded.remove(module);
        module.containment().kill();
        live.remove(module.containment());
        hcalls.revoke(module);
        ModuleOpsTable moduleOps = opsOf.remove(module);
        if (moduleOps != null) {
            moduleOps.undoRegistrations();
        }
        if (pagesOf.remove(module) != null) {
            unmapPages(module.token(), module.image().nrPages());
        }
    }


    private long[] reservationAt(long token) {
        for (long[] r : reserved) {
            if (r[0] == token) {
                return r;
            }
        }
        return null;
    }

    private El2Module moduleAt(long va) {
        for (El2Module m : loaded) {
            if (m.contains(va)) {
                return m;
            }
        }
        return null;
    }

    /** The link error behind a failed symbol lookup ({@code Lookup} wraps it in a reflective exception), if any. */
    private static LinkageError linkError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof LinkageError e) {
                return e;
            }
        }
        return null;
    }
}
