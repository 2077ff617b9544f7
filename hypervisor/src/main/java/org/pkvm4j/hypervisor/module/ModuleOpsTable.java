package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HostStage2Leaf;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypSpinLock;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
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
    }

    private ModuleOpsTable(ModuleOpsTable shared, ModuleRegistrations owned) {
        this.console = shared.console;
        this.platform = shared.platform;
        this.memProtect = shared.memProtect;
        this.va = shared.va;
        this.permFaultHandlers = shared.permFaultHandlers;
        this.abtNotifiers = shared.abtNotifiers;
        this.owned = owned;
    }

    /**
     * A view of these ops bound to one module: it acts on the same tables and records what the
     * module registers (notifier, serial driver, perm-fault handlers, fixmap slots, private
     * mappings), so that {@link #undoRegistrations} removes exactly that when the module's init
     * fails or it is unloaded.
     */
    ModuleOpsTable forModule() {
        return new ModuleOpsTable(this, new ModuleRegistrations(platform.nrCpus()));
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
        console.registerSerialDriver(driver);
        if (owned != null) {
            owned.serialDriver(driver);
        }
    }

    @Override
    public void putc(char c) {
        console.putc(c);
    }

    @Override
    public void puts(String s) {
        console.puts(s);
    }

    @Override
    public void putx64(long x) {
        console.putx64(x);
    }

    @Override
    public int smpProcessorId() {
        return platform.currentCpu().id();
    }

    @Override
    public int nrCpus() {
        return platform.nrCpus();
    }

    /** The hypervisor's own spinlock kind ({@code hyp_spinlock_t}), one per call. */
    @Override
    public HypSpinLock newSpinLock() {
        return new HypSpinLock();
    }

    /** The machine's counter ({@code CNTVCT_EL0}) in nanoseconds since power-on. */
    @Override
    public long getTime() {
        return platform.uptimeNanos();
    }

    @Override
    public void hostDonateHyp(long pfn, long nrPages) {
        check(memProtect.hostDonateHyp(pfn, nrPages), "host_donate_hyp", pfn);
    }

    @Override
    public void hypDonateHost(long pfn, long nrPages) {
        check(memProtect.hypDonateHost(pfn, nrPages), "hyp_donate_host", pfn);
    }

    @Override
    public void hostShareHyp(long pfn) {
        check(memProtect.hostShareHyp(pfn), "host_share_hyp", pfn);
    }

    @Override
    public void hostUnshareHyp(long pfn) {
        check(memProtect.hostUnshareHyp(pfn), "host_unshare_hyp", pfn);
    }

    @Override
    public void pinSharedMem(long from, long to) {
        check(memProtect.hypPinSharedMem(from, to), "pin_shared_mem", from);
    }

    @Override
    public void unpinSharedMem(long from, long to) {
        memProtect.hypUnpinSharedMem(from, to);
    }

    @Override
    public void memcpy(long dstVa, long srcVa, long size) {
        va.memcpy(dstVa, srcVa, size);
    }

    @Override
    public void memset(long va, int c, long size) {
        this.va.memset(va, (byte) c, size);
    }

    @Override
    public long hypPa(long va) {
        return va;
    }

    @Override
    public long hypVa(long pa) {
        return pa;
    }

    @Override
    public void flushDcacheToPoc(long va, long size) {
        // Nothing to clean: DRAM is one coherent MemorySegment, the model has no caches.
    }

    @Override
    public long load64(long va) {
        return this.va.load64(va);
    }

    @Override
    public void store64(long va, long value) {
        this.va.store64(va, value);
    }

    @Override
    public byte load8(long va) {
        return this.va.load8(va);
    }

    @Override
    public void store8(long va, byte value) {
        this.va.store8(va, value);
    }

    @Override
    public void hostStage2ModProt(long pfn, int prot, long nrPages) {
        check(memProtect.hostStage2ModProt(pfn, prot, nrPages), "host_stage2_mod_prot", pfn);
    }

    @Override
    public void registerHostPermFaultHandler(HostPermFaultHandler handler) {
        permFaultHandlers.register(handler);
        if (owned != null) {
            owned.permFaultHandler(handler);
        }
    }

    @Override
    public HostStage2Leaf hostStage2GetLeaf(long phys) {
        HostStage2Leaf leaf = memProtect.hostStage2GetLeaf(phys);
        if (leaf == null) {
            throw new PkvmException(Errno.ERANGE, "host_stage2_get_leaf(0x%x): outside the PA range".formatted(phys));
        }
        return leaf;
    }

    @Override
    public void registerIllegalAbtNotifier(IllegalAbtNotifier notifier) {
        abtNotifiers.register(notifier);
        if (owned != null) {
            owned.illegalAbtNotifier(notifier);
        }
    }

    @Override
    public long fixmapMap(long phys) {
        int cpu = smpProcessorId();
        long at = checkVa(va.fixmapMap(cpu, phys), "fixmap_map", phys);
        if (owned != null) {
            owned.fixmapMapped(cpu, phys);
        }
        return at;
    }

    @Override
    public void fixmapUnmap() {
        int cpu = smpProcessorId();
        va.fixmapUnmap(cpu);
        if (owned != null) {
            owned.fixmapUnmapped(cpu);
        }
    }

    @Override
    public long createPrivateMapping(long phys, long size, int prot) {
        long at = checkVa(va.createPrivateMapping(phys, size, prot), "create_private_mapping", phys);
        if (owned != null) {
            owned.privateMapping(at, phys, size);
        }
        return at;
    }

    @Override
    public long allocModuleVa(long nrPages) {
        return checkVa(va.allocModuleVa(nrPages), "alloc_module_va", nrPages);
    }

    @Override
    public void mapModulePage(long pfn, long va, int prot, boolean isProtected) {
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
}
