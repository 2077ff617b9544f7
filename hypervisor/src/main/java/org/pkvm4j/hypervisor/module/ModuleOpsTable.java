package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HostStage2Leaf;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPermFaultHandler;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypSpinLock;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;

/**
 * The hypervisor's {@code pkvm_module_ops}: one shared table, and for each module init an
 * owner-bound view of it ({@link #forModule}) that records the module's registrations.
 *
 * <p>Kernel counterpart: {@code static const struct pkvm_module_ops module_ops} in {@code
 * nvhe/modules.c}. Its fields are private to the hyp layer; vendor code holds it only through the
 * {@link ModuleOps} interface, and strong encapsulation keeps reflection out. The memory members
 * delegate to {@link MemProtect}, whose {@code int} results (0 or a negative errno) become a {@link
 * PkvmException} carrying the errno here, the one place EL2 code sees them.
 */
public final class ModuleOpsTable implements ModuleOps {
    private final HypConsole console;
    private final HypPlatform platform;
    private final MemProtect memProtect;
    private final HypVaSpace va;
    private final HostPermFaultHandlers permFaultHandlers;
    private final IllegalAbtNotifiers abtNotifiers;
    /** What the module this view belongs to registered; null for the shared table. */
    private final ModuleRegistrations owned;
    /** The module this view belongs to; null for the shared table, which no module is handed. */
    private final ModuleContainment module;

    /**
     * The ops over the hypervisor's console, platform, page ownership, perm-fault handlers, its VA
     * space {@code va} (EL2 accesses, private mappings, the fixmap, the module window) and the
     * illegal-abort notifier slot.
     */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers, HypVaSpace va, IllegalAbtNotifiers abtNotifiers) {
        this.console = console;
        this.platform = platform;
        this.memProtect = memProtect;
        this.va = va;
        this.permFaultHandlers = permFaultHandlers;
        this.abtNotifiers = abtNotifiers;
        this.owned = null;
        this.module = null;
    }

    private ModuleOpsTable(ModuleOpsTable shared, ModuleRegistrations owned, ModuleContainment module) {
        this.console = shared.console;
        this.platform = shared.platform;
        this.memProtect = shared.memProtect;
        this.va = shared.va;
        this.permFaultHandlers = shared.permFaultHandlers;
        this.abtNotifiers = shared.abtNotifiers;
        this.owned = owned;
        this.module = module;
    }

    /**
     * A view of these ops bound to one module: it acts on the same tables and records what the
     * module registers (notifier, serial driver, perm-fault handlers, fixmap slots, private
     * mappings), so that {@link #undoRegistrations} removes exactly that when the module's init
     * fails or it is unloaded.
     *
     * <p>Every member of the view first checks that the calling thread runs {@code module}'s code on
     * one of the machine's CPUs, inside a trap, and that the module is alive; otherwise the call
     * changes nothing, is reported once per module, and a member that has an errno fails with
     * {@code EPERM} (ARCHITECTURE.md §1.6). Callbacks it registers are wrapped so that they run
     * published as the module's code, with its register views.
     */
    ModuleOpsTable forModule(ModuleContainment module) {
        return new ModuleOpsTable(this, new ModuleRegistrations(platform.nrCpus()), module);
    }

    /**
     * Whether this call may act: always for the shared table; for a module's view, only on a CPU
     * inside a trap running that module's code. Reports the refusal otherwise.
     */
    private boolean allowed(String op) {
        if (module == null || module.onCpu()) {
            return true;
        }
        module.opsRefused(op);
        return false;
    }

    /** As {@link #allowed}, for a member that has an errno: a refusal is {@code EPERM}. */
    private void require(String op) {
        if (!allowed(op)) {
            throw new PkvmException(Errno.EPERM, "%s: not inside a trap running this module's code".formatted(op));
        }
    }

    /** The console these ops print to (the hypervisor's own reports go straight to its UART). */
    HypConsole console() {
        return console;
    }

    /** Undoes what the module this view belongs to registered and still holds; nothing for the shared table. */
    void undoRegistrations() {
        if (owned != null) {
            owned.undo(console, permFaultHandlers, abtNotifiers, va);
        }
    }

    /** The ops with a VA space of their own and no notifier slot shared with the fault path (unit tests). */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers) {
        this(console, platform, memProtect, permFaultHandlers, new HypVaSpace(memProtect, platform.nrCpus()),
                new IllegalAbtNotifiers());
    }

    @Override
    public void registerSerialDriver(SerialDriver driver) {
        require("registerSerialDriver");
        SerialDriver registered = module == null || driver == null ? driver
                : new ContainedCallbacks.Serial(driver, module.code("serial_driver"), platform, platform.uart());
        console.registerSerialDriver(registered);
        if (owned != null) {
            owned.serialDriver(registered);
        }
    }

    @Override
    public void putc(char c) {
        if (!allowed("putc")) {
            return;
        }
        console.putc(c);
    }

    @Override
    public void puts(String s) {
        if (!allowed("puts")) {
            return;
        }
        console.puts(s);
    }

    @Override
    public void putx64(long x) {
        if (!allowed("putx64")) {
            return;
        }
        console.putx64(x);
    }

    @Override
    public int smpProcessorId() {
        if (!allowed("smpProcessorId")) {
            return -1;
        }
        // A module's code: the CPU it runs on; the shared table (no module): the thread's CPU.
        Cpu cpu = module == null ? platform.currentCpu() : platform.el2Cpu();
        return cpu.id();
    }

    @Override
    public int nrCpus() {
        allowed("nrCpus"); // pure: answered anyway, but an off-CPU call is still reported
        return platform.nrCpus();
    }

    /** The hypervisor's own spinlock kind ({@code hyp_spinlock_t}), one per call. */
    @Override
    public HypSpinLock newSpinLock() {
        allowed("newSpinLock"); // harmless off a trap, but reported like every other member
        return new HypSpinLock(platform::panicked);
    }

    /** The machine's counter ({@code CNTVCT_EL0}) in nanoseconds since power-on. */
    @Override
    public long getTime() {
        allowed("getTime");
        return platform.uptimeNanos();
    }

    @Override
    public void hostDonateHyp(long pfn, long nrPages) {
        require("hostDonateHyp");
        check(memProtect.hostDonateHyp(pfn, nrPages), "host_donate_hyp", pfn);
    }

    @Override
    public void hypDonateHost(long pfn, long nrPages) {
        require("hypDonateHost");
        check(memProtect.hypDonateHost(pfn, nrPages), "hyp_donate_host", pfn);
    }

    @Override
    public void hostShareHyp(long pfn) {
        require("hostShareHyp");
        check(memProtect.hostShareHyp(pfn), "host_share_hyp", pfn);
    }

    @Override
    public void hostUnshareHyp(long pfn) {
        require("hostUnshareHyp");
        check(memProtect.hostUnshareHyp(pfn), "host_unshare_hyp", pfn);
    }

    @Override
    public void pinSharedMem(long from, long to) {
        require("pinSharedMem");
        check(memProtect.hypPinSharedMem(from, to), "pin_shared_mem", from);
    }

    @Override
    public void unpinSharedMem(long from, long to) {
        if (!allowed("unpinSharedMem")) {
            return;
        }
        memProtect.hypUnpinSharedMem(from, to);
    }

    @Override
    public void memcpy(long dstVa, long srcVa, long size) {
        require("memcpy");
        va.memcpy(dstVa, srcVa, size);
    }

    @Override
    public void memset(long va, int c, long size) {
        require("memset");
        this.va.memset(va, (byte) c, size);
    }

    @Override
    public long hypPa(long va) {
        allowed("hypPa"); // pure: answered anyway, but an off-CPU call is still reported
        return va;
    }

    @Override
    public long hypVa(long pa) {
        allowed("hypVa"); // pure: answered anyway, but an off-CPU call is still reported
        return pa;
    }

    @Override
    public void flushDcacheToPoc(long va, long size) {
        allowed("flushDcacheToPoc"); // pure: answered anyway, but an off-CPU call is still reported
        // Nothing to clean: DRAM is one coherent MemorySegment, the model has no caches.
    }

    @Override
    public long load64(long va) {
        require("load64");
        return this.va.load64(va);
    }

    @Override
    public void store64(long va, long value) {
        require("store64");
        this.va.store64(va, value);
    }

    @Override
    public byte load8(long va) {
        require("load8");
        return this.va.load8(va);
    }

    @Override
    public void store8(long va, byte value) {
        require("store8");
        this.va.store8(va, value);
    }

    @Override
    public void hostStage2ModProt(long pfn, int prot, long nrPages) {
        require("hostStage2ModProt");
        check(memProtect.hostStage2ModProt(pfn, prot, nrPages), "host_stage2_mod_prot", pfn);
    }

    @Override
    public void registerHostPermFaultHandler(HostPermFaultHandler handler) {
        require("registerHostPermFaultHandler");
        HostPermFaultHandler registered = module == null || handler == null ? handler
                : new ContainedCallbacks.PermFaultHandler(handler, module, module.code("host_perm_fault_handler"), platform);
        permFaultHandlers.register(registered);
        if (owned != null) {
            owned.permFaultHandler(registered);
        }
    }

    @Override
    public HostStage2Leaf hostStage2GetLeaf(long phys) {
        require("hostStage2GetLeaf");
        HostStage2Leaf leaf = memProtect.hostStage2GetLeaf(phys);
        if (leaf == null) {
            throw new PkvmException(Errno.ERANGE, "host_stage2_get_leaf(0x%x): outside the PA range".formatted(phys));
        }
        return leaf;
    }

    @Override
    public void registerIllegalAbtNotifier(IllegalAbtNotifier notifier) {
        require("registerIllegalAbtNotifier");
        IllegalAbtNotifier registered = module == null || notifier == null ? notifier
                : new ContainedCallbacks.AbtNotifier(notifier, module, module.code("illegal_abt_notifier"), platform);
        abtNotifiers.register(registered);
        if (owned != null) {
            owned.illegalAbtNotifier(registered);
        }
    }

    @Override
    public long fixmapMap(long phys) {
        require("fixmapMap");
        int cpu = smpProcessorId();
        long at = checkVa(va.fixmapMap(cpu, phys), "fixmap_map", phys);
        if (owned != null) {
            owned.fixmapMapped(cpu, phys);
        }
        return at;
    }

    @Override
    public void fixmapUnmap() {
        if (!allowed("fixmapUnmap")) {
            return;
        }
        int cpu = smpProcessorId();
        va.fixmapUnmap(cpu);
        if (owned != null) {
            owned.fixmapUnmapped(cpu);
        }
    }

    @Override
    public long createPrivateMapping(long phys, long size, int prot) {
        require("createPrivateMapping");
        long at = checkVa(va.createPrivateMapping(phys, size, prot), "create_private_mapping", phys);
        if (owned != null) {
            owned.privateMapping(at, phys, size);
        }
        return at;
    }

    @Override
    public long allocModuleVa(long nrPages) {
        require("allocModuleVa");
        return checkVa(va.allocModuleVa(nrPages), "alloc_module_va", nrPages);
    }

    @Override
    public void mapModulePage(long pfn, long va, int prot, boolean isProtected) {
        require("mapModulePage");
        check(this.va.mapModulePage(pfn, va, prot, isProtected), "map_module_page", pfn);
    }

    /** A VA or a negative errno (hyp VAs are below 2^48, never negative). */
    private static long checkVa(long ret, String op, long arg) {
        if (ret < 0) {
            check((int) ret, op, arg);
        }
        return ret;
    }

    private static void check(int ret, String op, long arg) {
        if (ret != 0) {
            Errno errno = Errno.fromNegated(ret);
            throw new PkvmException(errno, "%s(0x%x): %s".formatted(op, arg, errno));
        }
    }

    // ---------------------------------------------------------------- kmi: the android14-5.15 shapes

    @Override
    public void hostStage2ModProt(long pfn, int prot) {
        require("hostStage2ModProt");
        check(memProtect.hostStage2ModProt(pfn, prot, 1), "host_stage2_mod_prot", pfn);
    }

    @Override
    public void registerHostPermFaultHandlerCtxt(KvmCpuContextPermFaultHandler handler) {
        require("registerHostPermFaultHandlerCtxt");
        HostPermFaultHandler registered = handler == null ? null : module == null
                ? (regs, esr, addr) -> handler.handle(new KvmCpuContext(regs), esr, addr)
                : new ContainedCallbacks.CtxtPermFaultHandler(handler, module, module.code("host_perm_fault_handler"), platform);
        permFaultHandlers.register(registered);
        if (owned != null) {
            owned.permFaultHandler(registered);
        }
    }

    @Override
    public void registerIllegalAbtNotifierCtxt(KvmCpuContextAbtNotifier notifier) {
        require("registerIllegalAbtNotifierCtxt");
        IllegalAbtNotifier registered = notifier == null ? null : module == null
                ? regs -> notifier.onIllegalAbort(new KvmCpuContext(regs))
                : new ContainedCallbacks.CtxtAbtNotifier(notifier, module, module.code("illegal_abt_notifier"), platform);
        abtNotifiers.register(registered);
        if (owned != null) {
            owned.illegalAbtNotifier(registered);
        }
    }
}
