package org.pkvm4j.hypervisor.module;

import java.util.function.BooleanSupplier;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.DeviceResetHandler;
import org.pkvm4j.api.el2.GuestSmcHandler;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.Hcr;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el2.DefaultTrapHandler;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HostSmcHandler;
import org.pkvm4j.api.el2.HypPanicNotifier;
import org.pkvm4j.api.el2.SerrorMask;
import org.pkvm4j.api.el2.SerrorUnmask;
import org.pkvm4j.api.el2.HostStage2Leaf;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.IotlbGather;
import org.pkvm4j.api.el2.IotlbSync;
import org.pkvm4j.api.el2.KvmCpuContextAbtNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPanicNotifier;
import org.pkvm4j.api.el2.KvmCpuContextPermFaultHandler;
import org.pkvm4j.api.el2.KvmCpuContextPsciNotifier;
import org.pkvm4j.api.el2.KvmCpuContextSmcHandler;
import org.pkvm4j.api.el2.KvmCpuContextTrapHandler;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.PsciNotifier;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypSpinLock;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypPanicNotifiers;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.hypervisor.traps.SerrorControl;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2SysReg;
import org.pkvm4j.machine.HypKmi;
import org.pkvm4j.machine.HypRequest;
import org.pkvm4j.machine.MachineConfig;
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
    private final KvmIommu iommu;
    private final PkvmDevices devices;
    private final SmcRegistry smc;
    private final HypTraps traps;
    /** The device's KMI: the members it lacks are refused. */
    private final KmiGate kmi;
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
        this(console, platform, memProtect, permFaultHandlers, va, abtNotifiers,
                new KvmIommu(memProtect, platform.memory(), console::puts), new PkvmDevices());
    }

    /**
     * As the other constructor, over the hypervisor's IOMMU layer {@code iommu} (its pools, its idmap
     * domain) and its assignable {@code devices}.
     */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers, HypVaSpace va, IllegalAbtNotifiers abtNotifiers, KvmIommu iommu,
            PkvmDevices devices) {
        this(console, platform, memProtect, permFaultHandlers, va, abtNotifiers, iommu, devices, new SmcRegistry());
    }

    /** As the other, with the SMC, PSCI and TRNG registrations going to {@code smc}. */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers, HypVaSpace va, IllegalAbtNotifiers abtNotifiers, KvmIommu iommu,
            PkvmDevices devices, SmcRegistry smc) {
        this(console, platform, memProtect, permFaultHandlers, va, abtNotifiers, iommu, devices, smc,
                HypTraps.create(platform, console, va));
    }

    /** As the other constructor, with the trap state {@code traps} the trap entry shares; every member offered. */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers, HypVaSpace va, IllegalAbtNotifiers abtNotifiers, KvmIommu iommu,
            PkvmDevices devices, SmcRegistry smc, HypTraps traps) {
        this(console, platform, memProtect, permFaultHandlers, va, abtNotifiers, iommu, devices, smc, traps, HypKmi.EVERY);
    }

    /** As the other constructor, offering the members of the device's KMI {@code kmi} only (ADR 0022). */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers, HypVaSpace va, IllegalAbtNotifiers abtNotifiers, KvmIommu iommu,
            PkvmDevices devices, SmcRegistry smc, HypTraps traps, HypKmi kmi) {
        this.kmi = KmiGate.of(kmi);
        this.iommu = iommu;
        this.devices = devices;
        this.smc = smc;
        this.traps = traps;
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
        this.iommu = shared.iommu;
        this.devices = shared.devices;
        this.smc = shared.smc;
        this.traps = shared.traps;
        this.kmi = shared.kmi;
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
     * inside a trap running that module's code. Reports the refusal otherwise. A member the device's
     * KMI lacks is refused either way ({@code ENOSYS}).
     *
     * @throws PkvmException {@code ENOSYS} for a member the device's KMI lacks
     */
    private boolean allowed(String op) {
        if (module != null && !module.onCpu()) {
            module.opsRefused(op);
            return false;
        }
        kmi.check(op);
        return true;
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
            owned.undoIommu(memProtect, va, devices);
            owned.undoSmc(smc);
            owned.undoTraps(traps, module);
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
        return new HypSpinLock(new Panicked(platform));
    }

    /**
     * Whether the machine hyp-panicked: what a module's lock gives up on. A named class, not {@code
     * platform::panicked}: this class is defined anew in every boot's hyp layer, where a method
     * reference would link its call site again on every boot.
     */
    private record Panicked(HypPlatform platform) implements BooleanSupplier {
        @Override
        public boolean getAsBoolean() {
            return platform.panicked();
        }
    }

    /** The machine's counter ({@code CNTVCT_EL0}) in nanoseconds since power-on. */
    @Override
    public long getTime() {
        allowed("getTime");
        return platform.uptimeNanos();
    }

    @Override
    public void hostDonateHyp(long pfn, long nrPages) {
        require("hostDonateHyp(long, long)");
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
        require("flushDcacheToPoc"); // it has errnos now (EFAULT, EINVAL): off the CPU is EPERM, as for every such member
        // Nothing to clean (DRAM is one coherent MemorySegment), but the range must be EL2's to read.
        this.va.flushDcacheToPoc(va, size);
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
        require("hostStage2ModProt(long, int, long)");
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

    // ---------------------------------------------------------------- iommu

    @Override
    public void hostDonateHyp(long pfn, long nrPages, boolean acceptMmio) {
        require("hostDonateHyp(long, long, boolean)");
        check(memProtect.hostDonateHyp(pfn, nrPages, acceptMmio), "host_donate_hyp", pfn);
    }

    @Override
    public void hostDonateHypProt(long pfn, long nrPages, boolean acceptMmio, int prot) {
        require("hostDonateHypProt");
        check(memProtect.hostDonateHypProt(pfn, nrPages, acceptMmio, prot), "host_donate_hyp_prot", pfn);
    }

    @Override
    public void hostDonateSglistHyp(long[] sglist) {
        require("hostDonateSglistHyp");
        if (sglist == null) {
            throw new PkvmException(Errno.EINVAL, "host_donate_sglist_hyp: no list");
        }
        // Copied first: the module cannot change an entry between its check and its donation.
        check(memProtect.hostDonateSglistHyp(sglist.clone()), "host_donate_sglist_hyp", sglist.length);
    }

    @Override
    public long kernHypVa(long kernVa) {
        allowed("kernHypVa"); // pure: answered anyway, but an off-CPU call is still reported
        return kernVa;
    }

    @Override
    public void hostStage2ModProt(long pfn, int prot, long nrPages, boolean updateIommu) {
        require("hostStage2ModProt(long, int, long, boolean)");
        check(memProtect.hostStage2ModProt(pfn, prot, nrPages, updateIommu), "host_stage2_mod_prot", pfn);
    }

    @Override
    public long iommuDonatePages(int order, boolean request) {
        if (!allowed("iommuDonatePages")) {
            return 0;
        }
        return iommu.donatePages(order, request, false);
    }

    @Override
    public void iommuReclaimPages(long va, int order) {
        if (!allowed("iommuReclaimPages")) {
            return;
        }
        iommu.reclaimPages(va, order, false);
    }

    @Override
    public long iommuDonatePagesAtomic(int order) {
        if (!allowed("iommuDonatePagesAtomic")) {
            return 0;
        }
        return iommu.donatePages(order, false, true);
    }

    @Override
    public void iommuReclaimPagesAtomic(long va, int order) {
        if (!allowed("iommuReclaimPagesAtomic")) {
            return;
        }
        iommu.reclaimPages(va, order, true);
    }

    @Override
    public void iommuInitDevice(long phys) {
        require("iommuInitDevice");
        check(iommu.initDevice(phys), "iommu_init_device", phys);
    }

    @Override
    public IotlbGather iommuIotlbGatherAddPage(IotlbSync sync, IotlbGather gather, long iova, long size) {
        require("iommuIotlbGatherAddPage");
        if (sync == null || gather == null) {
            throw new PkvmException(Errno.EINVAL, "iommu_iotlb_gather_add_page: no sync or no gather");
        }
        IotlbSync contained = module == null ? sync
                : new ContainedCallbacks.IommuIotlbSync(sync, module.code("iotlb_sync"), platform);
        return KvmIommu.gatherAddPage(contained, gather, iova, size);
    }

    @Override
    public void iommuSnapshotHostStage2(long rootVa) {
        require("iommuSnapshotHostStage2");
        check(iommu.snapshotHostStage2(rootVa), "iommu_snapshot_host_stage2", rootVa);
    }

    @Override
    public void iommuFlushUnmapCache(long[] paddrs, long[] sizes) {
        require("iommuFlushUnmapCache");
        if (paddrs == null || sizes == null || paddrs.length != sizes.length) {
            throw new PkvmException(Errno.EINVAL, "iommu_flush_unmap_cache: the address and size arrays differ");
        }
        long[] p = paddrs.clone();
        long[] z = sizes.clone();
        if (p.length != z.length) {
            throw new PkvmException(Errno.EINVAL, "iommu_flush_unmap_cache: the address and size arrays differ");
        }
        iommu.flushUnmapCache(p, z);
    }

    @Override
    public void pkvmUseDma(long phys, long size) {
        require("pkvmUseDma");
        check(memProtect.useDma(phys, size), "pkvm_use_dma", phys);
    }

    @Override
    public void pkvmUnuseDma(long phys, long size) {
        require("pkvmUnuseDma");
        check(memProtect.unuseDma(phys, size), "pkvm_unuse_dma", phys);
    }

    @Override
    public void mapModulePages(long pfn, long va, long nrPages, int prot, boolean isProtected) {
        require("mapModulePages");
        check(this.va.mapModulePages(pfn, va, nrPages, prot, isProtected), "map_module_pages", pfn);
    }

    @Override
    public void unmapModulePages(long pfn, long va, long nrPages) {
        require("unmapModulePages");
        check(this.va.unmapModulePages(pfn, va, nrPages), "unmap_module_pages", pfn);
    }

    @Override
    public long linearMapEarly(long phys, long size, int prot) {
        require("linearMapEarly");
        check(memProtect.linearMapEarly(phys, size, prot), "linear_map_early", phys);
        if (owned != null) {
            owned.linearMapped(phys, size);
        }
        return phys; // hyp VA = PA in the linear map
    }

    @Override
    public void linearUnmapEarly(long va, long size) {
        require("linearUnmapEarly");
        check(memProtect.linearUnmapEarly(va, size), "linear_unmap_early", va);
        if (owned != null) {
            owned.linearUnmapped(va, size);
        }
    }

    @Override
    public long fixblockMap(long phys) {
        require("fixblockMap");
        int cpu = smpProcessorId();
        long at = checkVa(va.fixblockMap(cpu, phys), "fixblock_map", phys);
        if (owned != null) {
            owned.fixblockMapped(cpu);
        }
        return at;
    }

    @Override
    public void fixblockUnmap() {
        if (!allowed("fixblockUnmap")) {
            return;
        }
        va.fixblockUnmap(smpProcessorId());
    }

    @Override
    public void deviceRegisterReset(long phys, long cookie, DeviceResetHandler handler) {
        require("deviceRegisterReset");
        if (handler == null) {
            throw new PkvmException(Errno.EINVAL, "device_register_reset(0x%x): no callback".formatted(phys));
        }
        DeviceResetHandler registered = module == null ? handler
                : new ContainedCallbacks.DeviceReset(handler, module.code("device_reset"), platform);
        check(devices.registerReset(phys, cookie, registered), "device_register_reset", phys);
        if (owned != null) {
            owned.deviceReset(registered);
        }
    }

    // ---------------------------------------------------------------- traps

    /** The trap bits {@code update_hcr_el2} may change here: the ones the machine gives meaning to. */
    private static final long HCR_MODULE_TRAPS = Hcr.TID1 | Hcr.TID2 | Hcr.TID3 | Hcr.TACR | Hcr.TVM | Hcr.TRVM;

    /** The CPU the caller runs on: a module's code, its trap's CPU; the shared table, the thread's. */
    private Cpu cpu() {
        return module == null ? platform.currentCpu() : platform.el2Cpu();
    }

    /** The name events of this view are recorded under. */
    private String moduleName() {
        return module == null ? "pkvm" : module.name();
    }

    @Override
    public void updateHcrEl2(long set, long clear) {
        require("updateHcrEl2");
        if (((set | clear) & ~HCR_MODULE_TRAPS) != 0) {
            throw new PkvmException(Errno.EINVAL, "update_hcr_el2(0x%x, 0x%x): bits 0x%x are not trap bits pkvm4j models"
                    .formatted(set, clear, (set | clear) & ~HCR_MODULE_TRAPS));
        }
        traps.params().update(cpu(), El2SysReg.HCR_EL2, set, clear);
    }

    @Override
    public void updateHfgwtrEl2(long set, long clear) {
        require("updateHfgwtrEl2");
        traps.params().update(cpu(), El2SysReg.HFGWTR_EL2, set, clear);
    }

    @Override
    public void registerDefaultTrapHandler(DefaultTrapHandler handler) {
        require("registerDefaultTrapHandler");
        DefaultTrapHandler registered = module == null || handler == null ? handler
                : new ContainedCallbacks.TrapHandler(handler, module, module.code("default_trap_handler"), platform);
        traps.trapHandlers().register(registered);
        if (owned != null) {
            owned.trapHandler(registered);
        }
    }

    @Override
    public long readSysreg(SysReg reg) {
        require("readSysreg");
        return platform.readEl1Sysreg(cpu(), reg);
    }

    @Override
    public void writeSysreg(SysReg reg, long value) {
        require("writeSysreg");
        if (reg == null || reg.readOnly()) {
            throw new PkvmException(Errno.EINVAL, "write_sysreg: %s is read-only".formatted(reg));
        }
        platform.writeEl1Sysreg(cpu(), reg, value);
    }

    @Override
    public void registerHypPanicNotifier(HypPanicNotifier notifier) {
        require("registerHypPanicNotifier");
        if (notifier == null) {
            throw new PkvmException(Errno.EINVAL, "register_hyp_panic_notifier: no callback");
        }
        HypPanicNotifiers.Notifier registered = module != null
                ? new ContainedCallbacks.PanicNotifier(notifier, module, module.code("hyp_panic_notifier"), platform)
                : new HypPanicNotifiers.Notifier() { // the shared table: hypervisor code, not contained
                    @Override
                    public void run(Cpu cpu) {
                        notifier.onHypPanic(cpu.regs());
                    }

                    @Override
                    public String module() {
                        return "pkvm";
                    }
                };
        traps.panicNotifiers().register(registered);
        if (owned != null) {
            owned.panicNotifier(registered);
        }
    }

    @Override
    public void registerUnmaskSerror(SerrorUnmask unmask, SerrorMask mask) {
        require("registerUnmaskSerror");
        SerrorControl.Pair registered = module == null || unmask == null || mask == null ? new SerrorControl.Pair(unmask, mask)
                : new SerrorControl.Pair(new ContainedCallbacks.Unmask(unmask, module.code("unmask_serror"), platform),
                        new ContainedCallbacks.Mask(mask, module.code("mask_serror"), platform));
        traps.serror().register(registered);
        if (owned != null) {
            owned.serror(registered);
        }
    }

    @Override
    public long tracingReserveEntry(long length) {
        if (!allowed("tracingReserveEntry")) {
            return 0;
        }
        return traps.tracing().reserve(cpu(), length);
    }

    @Override
    public void tracingCommitEntry() {
        if (!allowed("tracingCommitEntry")) {
            return;
        }
        traps.tracing().commit(cpu(), moduleName());
    }

    @Override
    public void tracingModHypPrintk(int fmtId, long a, long b, long c, long d) {
        if (!allowed("tracingModHypPrintk")) {
            return;
        }
        traps.tracing().printk(cpu(), moduleName(), fmtId, a, b, c, d);
    }

    @Override
    public long hypAlloc(long size) {
        if (!allowed("hypAlloc")) {
            return 0;
        }
        return traps.heap().alloc(cpu().id(), size, module);
    }

    @Override
    public int hypAllocErrno() {
        if (!allowed("hypAllocErrno")) {
            return (int) Errno.EPERM.negated();
        }
        return traps.heap().errno(cpu().id());
    }

    @Override
    public void hypFree(long va) {
        require("hypFree");
        if (va != 0) {
            check(traps.heap().free(va, module), "hyp_free", va);
        }
    }

    @Override
    public int hypAllocMissingDonations() {
        if (!allowed("hypAllocMissingDonations")) {
            return 0;
        }
        return traps.heap().missingDonations(cpu().id());
    }

    @Override
    public void requestHypAlloc() {
        require("requestHypAlloc");
        Cpu cpu = cpu();
        int missing = traps.heap().missingDonations(cpu.id());
        if (missing == 0) {
            throw new PkvmException(Errno.ENOENT, "request_hyp_alloc: no donation is missing on CPU%d".formatted(cpu.id()));
        }
        if (platform.hypAllocRequested(cpu)) {
            throw new PkvmException(Errno.EBUSY, "request_hyp_alloc: a request is pending on CPU%d".formatted(cpu.id()));
        }
        platform.requestHypAlloc(cpu, missing);
    }

    @Override
    public void udelay(long usecs) {
        require("udelay");
        if (usecs < 0 || usecs > MAX_UDELAY_US) {
            throw new PkvmException(Errno.EINVAL, "udelay(%d): 0..%d us".formatted(usecs, MAX_UDELAY_US));
        }
        long end = platform.uptimeNanos() + usecs * 1_000;
        // A busy-wait, as the kernel's: the module stays published on this CPU, so the lockup
        // watchdog sees a loop of udelays; after a panic the wait ends at once and the module's
        // next poll unwinds it.
        while (platform.uptimeNanos() < end && !platform.panicked()) {
            Thread.onSpinWait();
        }
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

    // ---------------------------------------------------------------- smc

    @Override
    public void registerHostSmcHandler(HostSmcHandler handler) {
        require("registerHostSmcHandler");
        HostSmcHandler registered = module == null || handler == null ? handler
                : new ContainedCallbacks.HostSmc(handler, module, module.code("host_smc_handler"), platform);
        smc.registerHostSmcHandler(registered);
        if (owned != null) {
            owned.hostSmcHandler(registered);
        }
    }

    @Override
    public void registerGuestSmcHandler(GuestSmcHandler handler) {
        require("registerGuestSmcHandler");
        GuestSmcHandler registered = module == null || handler == null ? handler
                : new ContainedCallbacks.GuestSmc(handler, module, module.code("guest_smc_handler"), platform);
        smc.registerGuestSmcHandler(registered);
        if (owned != null) {
            owned.guestSmcHandler(registered);
        }
    }

    @Override
    public void registerPsciNotifier(PsciNotifier notifier) {
        require("registerPsciNotifier");
        PsciNotifier registered = module == null || notifier == null ? notifier
                : new ContainedCallbacks.Psci(notifier, module, module.code("psci_notifier"), platform);
        smc.registerPsciNotifier(registered);
        if (owned != null) {
            owned.psciNotifier(registered);
        }
    }

    @Override
    public void registerGuestTrngOps(GuestTrngOps ops) {
        require("registerGuestTrngOps");
        // The record's fields are read once, here: the UUID is data, only rnd64 is vendor code.
        GuestTrngOps registered = module == null || ops == null || ops.rnd64() == null ? ops
                : new GuestTrngOps(ops.uuidHigh(), ops.uuidLow(),
                        new ContainedCallbacks.Rnd64(ops.rnd64(), module.code("trng_rnd64"), platform));
        smc.registerGuestTrngOps(registered);
        if (owned != null) {
            owned.trngOps(registered);
        }
    }

    // ---------------------------------------------------------------- kmi: the android14-5.15 shapes

    @Override
    public void hostStage2ModProt(long pfn, int prot) {
        require("hostStage2ModProt(long, int)");
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

    @Override
    public void registerHostSmcHandlerCtxt(KvmCpuContextSmcHandler handler) {
        require("registerHostSmcHandlerCtxt");
        HostSmcHandler registered = handler == null ? null : module == null
                ? regs -> handler.handle(new KvmCpuContext(regs))
                : new ContainedCallbacks.CtxtHostSmc(handler, module, module.code("host_smc_handler"), platform);
        // android14-5.15: one slot (cmpxchg on default_host_smc_handler), not the later 16.
        smc.registerOnlyHostSmcHandler(registered);
        if (owned != null) {
            owned.hostSmcHandler(registered);
        }
    }

    @Override
    public void registerDefaultTrapHandlerCtxt(KvmCpuContextTrapHandler handler) {
        require("registerDefaultTrapHandlerCtxt");
        DefaultTrapHandler registered = handler == null ? null : module == null
                ? (regs, esr) -> handler.handle(new KvmCpuContext(regs), esr)
                : new ContainedCallbacks.CtxtTrapHandler(handler, module, module.code("default_trap_handler"), platform);
        traps.trapHandlers().register(registered);
        if (owned != null) {
            owned.trapHandler(registered);
        }
    }

    @Override
    public void registerPsciNotifierCtxt(KvmCpuContextPsciNotifier notifier) {
        require("registerPsciNotifierCtxt");
        PsciNotifier registered = notifier == null ? null : module == null
                ? (event, regs) -> notifier.notify(event, new KvmCpuContext(regs))
                : new ContainedCallbacks.CtxtPsci(notifier, module, module.code("psci_notifier"), platform);
        smc.registerPsciNotifier(registered);
        if (owned != null) {
            owned.psciNotifier(registered);
        }
    }

    @Override
    public void registerHypPanicNotifierCtxt(KvmCpuContextPanicNotifier notifier) {
        require("registerHypPanicNotifierCtxt");
        if (notifier == null) {
            throw new PkvmException(Errno.EINVAL, "register_hyp_panic_notifier: no callback");
        }
        HypPanicNotifiers.Notifier registered = module != null
                ? new ContainedCallbacks.CtxtPanicNotifier(notifier, module, module.code("hyp_panic_notifier"), platform)
                : new HypPanicNotifiers.Notifier() { // the shared table: hypervisor code, not contained
                    @Override
                    public void run(Cpu cpu) {
                        notifier.onHypPanic(new KvmCpuContext(cpu.regs()));
                    }

                    @Override
                    public String module() {
                        return "pkvm";
                    }
                };
        traps.panicNotifiers().register(registered);
        if (owned != null) {
            owned.panicNotifier(registered);
        }
    }

    /** {@code KVM_HYP_REQ_TYPE_MEM}. */
    private static final int HYP_REQ_TYPE_MEM = 1;
    /** The most pages one request may ask for: what the host serves at most ({@code HvcGateway}). */
    private static final int HYP_REQ_MAX_PAGES = 4096;

    @Override
    public void iommuRequest(long reqVa) {
        require("iommuRequest");
        int type = va.load8(reqVa) & 0xFF;
        int dest = va.load8(reqVa + 8) & 0xFF;
        int nrPages = load32(reqVa + 12);
        int szAlloc = load32(reqVa + 16);
        if (type != HYP_REQ_TYPE_MEM || (dest != HypRequest.DEST_HYP_ALLOC && dest != HypRequest.DEST_HYP_IOMMU)
                || nrPages < 1 || nrPages > HYP_REQ_MAX_PAGES
                || (dest == HypRequest.DEST_HYP_IOMMU && szAlloc != MachineConfig.PAGE_SIZE)) {
            throw new PkvmException(Errno.EINVAL, "iommu_request: type %d dest %d nr_pages %d sz_alloc %d: not a request the host serves"
                    .formatted(type, dest, nrPages, szAlloc));
        }
        Cpu cpu = cpu();
        if (!platform.postHypRequest(cpu, HypRequest.of(dest, nrPages))) {
            throw new PkvmException(Errno.EBUSY, "iommu_request: a request is pending on CPU%d".formatted(cpu.id()));
        }
    }

    /** A little-endian 32-bit EL2 load, byte by byte (any alignment). */
    private int load32(long at) {
        int v = 0;
        for (int i = 3; i >= 0; i--) {
            v = v << 8 | (va.load8(at + i) & 0xFF);
        }
        return v;
    }

    @Override
    public void registerHypEventIds(long start, long end) {
        require("registerHypEventIds");
        traps.tracing().registerEventIds(start, end, module, MAX_EVENT_ID_MOD);
        if (owned != null) {
            owned.eventIds();
        }
    }
}
