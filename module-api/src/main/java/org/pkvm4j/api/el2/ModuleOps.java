package org.pkvm4j.api.el2;

/**
 * The only door from EL2 vendor code into the hypervisor: one method per {@code pkvm_module_ops}
 * callback.
 *
 * <p>Kernel counterpart: {@code struct pkvm_module_ops} in {@code asm/kvm_pkvm_module.h}; the
 * hypervisor owns one instance ({@code module_ops} in {@code nvhe/modules.c}) and passes it to every
 * module's EL2 init. Vendor code calls this interface and never implements it. Like every EL2 call
 * it runs to completion: nothing here blocks.
 *
 * @since 0.1
 */
public interface ModuleOps {

    /**
     * Installs the EL2 console: every later {@link #putc}, {@link #puts} and {@link #putx64} goes
     * through {@code driver}.
     *
     * <p>Kernel counterpart: {@code register_serial_driver(void (*hyp_putc_cb)(char))}. Until a
     * driver is registered, the hypervisor writes to the machine's UART itself.
     *
     * @param driver the console driver to install
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a driver is already registered
     */
    void registerSerialDriver(SerialDriver driver);

    /**
     * Prints one character on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code putc}.
     *
     * @param c the character
     */
    void putc(char c);

    /**
     * Prints a string and a newline on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code puts}.
     *
     * @param s the string, without its newline
     */
    void puts(String s);

    /**
     * Prints a 64-bit value in hex ({@code 0x...}) and a newline on the hypervisor console.
     *
     * <p>Kernel counterpart: {@code putx64}.
     *
     * @param x the value
     */
    void putx64(long x);

    /**
     * The number of the CPU this EL2 code runs on, 0..nr_cpus-1; stable for the whole call.
     *
     * <p>Kernel counterpart: {@code hyp_smp_processor_id}. Per-CPU EL2 state indexed by this
     * number needs no lock: a CPU runs one trap at a time.
     *
     * @return this CPU's number
     */
    int smpProcessorId();

    /**
     * The number of CPUs of the machine ({@code nr_cpus}), for sizing per-CPU state in an init.
     *
     * <p>Kernel counterpart: {@code hyp_nr_cpus}, which modules read through their linker map.
     *
     * @return the number of CPUs
     */
    int nrCpus();

    /**
     * A new spinlock, free, for module state that several CPUs change: EL2 code may spin, never
     * sleep, so this is the only lock it may take.
     *
     * <p>Kernel counterpart: a module's {@code hyp_spinlock_t}, set up with {@code
     * hyp_spin_lock_init}; the hypervisor's own locks are the same kind. Take them in the EL2 init:
     * a lock is a small object of EL2 memory, like the state it guards.
     *
     * @return a new lock, not held
     */
    HypSpinLock newSpinLock();

    /**
     * The hypervisor's clock: nanoseconds since the machine powered on, monotonic, the same on every
     * CPU. EL2 code has no other clock: the JDK's clocks are the host's and refused at EL2.
     *
     * <p>Kernel counterpart: the {@code get_time} member of newer {@code pkvm_module_ops} layouts,
     * over the hypervisor's {@code hyp_clock()} ({@code CNTVCT_EL0} scaled to nanoseconds).
     *
     * @return nanoseconds since power-on
     */
    long getTime();

    // ---------------------------------------------------------------- memory ownership

    /**
     * Donates {@code nrPages} host pages from {@code pfn} to the hypervisor for good: the host loses
     * access (a host load or store faults, the abort naming owner HYP) and EL2 owns them, mapped RW
     * (usable with {@link #load64}, {@link #store64}, {@link #memcpy}, {@link #memset}).
     *
     * <p>Kernel counterpart: {@code host_donate_hyp(pfn, nr_pages, accept_mmio)} ({@code
     * __pkvm_host_donate_hyp}); pkvm4j donates memory only, as with {@code accept_mmio = false}.
     * Pre: every page host OWNED (and not restricted by {@link #hostStage2ModProt}), hyp NOPAGE.
     * All or nothing.
     *
     * @param pfn the first page frame number
     * @param nrPages how many pages
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if the range leaves the PA range, overflows
     *     or straddles memory and MMIO; {@code EPERM} if it is not memory or a page is in the wrong state
     */
    void hostDonateHyp(long pfn, long nrPages);

    /**
     * Gives {@code nrPages} hypervisor-owned pages from {@code pfn} back to the host: EL2 unmaps them
     * and the host may access them again. The contents are not cleared: a module that kept secrets
     * there must {@link #memset} them first (the kernel zeroes only guest-private pages it reclaims).
     *
     * <p>Kernel counterpart: {@code hyp_donate_host(pfn, nr_pages)} ({@code __pkvm_hyp_donate_host}).
     * Pre: every page hyp OWNED, host NOPAGE. All or nothing.
     *
     * @param pfn the first page frame number
     * @param nrPages how many pages
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if the range leaves the PA range or
     *     overflows; {@code EPERM} if a page is in the wrong state
     */
    void hypDonateHost(long pfn, long nrPages);

    /**
     * Shares one host page with the hypervisor: the host keeps it (SHARED_OWNED), EL2 borrows it
     * (SHARED_BORROWED) and maps it only once it pins it with {@link #pinSharedMem}.
     *
     * <p>Kernel counterpart: {@code host_share_hyp(pfn)} ({@code __pkvm_host_share_hyp}).
     *
     * @param pfn the page frame number
     * @throws org.pkvm4j.api.PkvmException {@code EPERM} if the page is not memory or not host OWNED /
     *     hyp NOPAGE
     */
    void hostShareHyp(long pfn);

    /**
     * Ends a share made with {@link #hostShareHyp}: host OWNED, hyp NOPAGE again.
     *
     * <p>Kernel counterpart: {@code host_unshare_hyp(pfn)} ({@code __pkvm_host_unshare_hyp}).
     *
     * @param pfn the page frame number
     * @throws org.pkvm4j.api.PkvmException {@code EPERM} for a page that is not shared with EL2;
     *     {@code EBUSY} while EL2 holds a pin on it
     */
    void hostUnshareHyp(long pfn);

    /**
     * Pins the shared pages holding hyp VAs {@code [from, to)}: EL2 maps them (the first pin) and the
     * host cannot unshare them ({@code EBUSY}) until they are unpinned.
     *
     * <p>Kernel counterpart: {@code pin_shared_mem(from, to)} ({@code hyp_pin_shared_mem}).
     *
     * @param from the first hyp VA
     * @param to the hyp VA after the last
     * @throws org.pkvm4j.api.PkvmException {@code EPERM} if a page is not memory or not shared by the
     *     host with EL2; {@code EINVAL} if {@code to < from}. A pin count passing {@code u16} is the
     *     kernel's {@code BUG_ON}: a hyp panic
     */
    void pinSharedMem(long from, long to);

    /**
     * Drops one pin of each page holding hyp VAs {@code [from, to)}; the last pin unmaps the page
     * from EL2.
     *
     * <p>Kernel counterpart: {@code unpin_shared_mem(from, to)} ({@code hyp_unpin_shared_mem}). No
     * errno: unpinning a page that holds no pin is the kernel's {@code BUG_ON}, a hyp panic.
     *
     * @param from the first hyp VA
     * @param to the hyp VA after the last
     */
    void unpinSharedMem(long from, long to);

    /**
     * Copies {@code size} bytes from hyp VA {@code srcVa} to hyp VA {@code dstVa}, front to back.
     *
     * <p>Kernel counterpart: {@code memcpy} (the hypervisor's own). Both ranges must be mapped at EL2:
     * pages it owns (donated) or borrows and holds a pin on.
     *
     * @param dstVa the hyp VA copied to
     * @param srcVa the hyp VA copied from
     * @param size the number of bytes
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if a byte of either range is not mapped at
     *     EL2 (where C would take a translation fault and panic); {@code EINVAL} for a negative size
     */
    void memcpy(long dstVa, long srcVa, long size);

    /**
     * Fills {@code size} bytes at hyp VA {@code va} with the low byte of {@code c}.
     *
     * <p>Kernel counterpart: {@code memset}. The range must be mapped at EL2, as for {@link #memcpy}.
     *
     * @param va the first hyp VA
     * @param c the fill byte, in its low 8 bits
     * @param size the number of bytes
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if a byte is not mapped at EL2; {@code
     *     EINVAL} for a negative size
     */
    void memset(long va, int c, long size);

    /**
     * The physical address of hyp VA {@code va}.
     *
     * <p>Kernel counterpart: {@code hyp_pa}. pkvm4j's hyp linear map is the identity (hyp VA = PA,
     * as {@code MemProtect} assumes for pins), so this returns {@code va}; modules should still
     * convert, as C modules must. Like the kernel's, it is arithmetic on the linear map only: a VA
     * of the private range ({@link #createPrivateMapping}, {@link #fixmapMap}, module VA) has no
     * linear-map PA.
     *
     * @param va a hyp VA in the linear map
     * @return its physical address
     */
    long hypPa(long va);

    /**
     * The hyp VA of physical address {@code pa} in the hyp linear map.
     *
     * <p>Kernel counterpart: {@code hyp_va}. The identity in pkvm4j (see {@link #hypPa}).
     *
     * @param pa a physical address
     * @return its hyp VA in the linear map
     */
    long hypVa(long pa);

    /**
     * Cleans {@code [va, va + size)} to the point of coherency, so a non-coherent observer (a DMA
     * master, the host with caches off) sees what EL2 wrote.
     *
     * <p>Kernel counterpart: {@code flush_dcache_to_poc(addr, size)}. A no-op in pkvm4j: its memory
     * is one coherent {@code MemorySegment} with no caches to clean, every store is visible to every
     * observer once a transition publishes the page.
     *
     * @param va the first hyp VA
     * @param size the number of bytes
     */
    void flushDcacheToPoc(long va, long size);

    /**
     * Loads 8 bytes (little-endian) from hyp VA {@code va}, 8-byte aligned, at EL2.
     *
     * <p>Kernel counterpart: a plain EL2 load ({@code *(u64 *)va}); it has no ops member in C. The
     * page must be mapped at EL2: owned by the hypervisor (donated) or borrowed and pinned.
     *
     * @param va the hyp VA, 8-byte aligned
     * @return the 8 bytes, little-endian
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if the page is not mapped at EL2; {@code
     *     EINVAL} if {@code va} is misaligned
     */
    long load64(long va);

    /**
     * Stores 8 bytes (little-endian) at hyp VA {@code va}, 8-byte aligned, at EL2.
     *
     * <p>Kernel counterpart: a plain EL2 store. The page must be mapped at EL2, as for {@link
     * #load64}.
     *
     * @param va the hyp VA, 8-byte aligned
     * @param value the 8 bytes to store, little-endian
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if the page is not mapped at EL2; {@code
     *     EINVAL} if {@code va} is misaligned
     */
    void store64(long va, long value);

    /**
     * Restricts (or restores) the host's stage-2 permissions on {@code nrPages} pages from {@code
     * pfn}: a host access the new permissions forbid traps to EL2 as a permission fault, which the
     * handlers registered with {@link #registerHostPermFaultHandler} see first. {@link
     * org.pkvm4j.api.Prot#RWX} gives the pages back to the host as pristine memory.
     *
     * <p>Kernel counterpart: {@code host_stage2_mod_prot(pfn, prot, nr_pages, update_iommu)} ({@code
     * module_change_host_page_prot}); there is no IOMMU in pkvm4j, so no {@code update_iommu}. A
     * restricted page is "module owned": the host may still use it within the permissions, but can no
     * longer share or donate it ({@code EPERM}). pkvm4j models only data accesses, so {@code X} is
     * recorded but never checked; {@link org.pkvm4j.api.Prot#NONE} is a permission fault on every
     * access (the kernel annotates such a page for {@code PKVM_ID_PROTECTED} instead).
     *
     * @param pfn the first page frame number
     * @param nrPages how many pages
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for bits beyond RWX, or a range that leaves
     *     the PA range or overflows; {@code EPERM} for a range that is not all memory, or that is not
     *     all pristine host OWNED pages or all already restricted pages
     */
    void hostStage2ModProt(long pfn, int prot, long nrPages);

    /**
     * Registers a host permission-fault handler; handlers run in registration order and the first
     * that returns 0 claims the fault; if none does, the abort is injected into the host.
     *
     * <p>Kernel counterpart: {@code register_host_perm_fault_handler(cb)}: 16 slots, the first free
     * one taken with a compare-and-swap, for the life of the hypervisor.
     *
     * @param handler the handler, kept for the life of the hypervisor
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if all 16 slots are taken
     */
    void registerHostPermFaultHandler(HostPermFaultHandler handler);

    /**
     * Reads the host stage-2 leaf of physical address {@code phys}: whether the host may access the
     * page, with which permissions, and who owns it if not.
     *
     * <p>Kernel counterpart: {@code host_stage2_get_leaf(phys, &pte, &level)}, read under the host
     * lock; a snapshot, stale as soon as it returns.
     *
     * @param phys a physical address
     * @return the leaf describing its page
     * @throws org.pkvm4j.api.PkvmException {@code ERANGE} if {@code phys} is outside the 48-bit PA range
     */
    HostStage2Leaf hostStage2GetLeaf(long phys);

    /**
     * Registers the callback run before every abort the hypervisor injects into the host.
     *
     * <p>Kernel counterpart: {@code register_illegal_abt_notifier(cb)}: one slot, taken with a
     * compare-and-swap, for the life of the hypervisor.
     *
     * @param notifier the notifier, kept for the life of the hypervisor
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a notifier is already registered
     */
    void registerIllegalAbtNotifier(IllegalAbtNotifier notifier);

    /**
     * Maps the page holding physical address {@code phys} (memory or MMIO) in this CPU's fixmap slot,
     * RW, and returns the hyp VA of {@code phys} there. Use it within one EL2 call and unmap it before
     * returning: the slot belongs to the CPU, not to the module.
     *
     * <p>Kernel counterpart: {@code fixmap_map(phys)} ({@code hyp_fixmap_map}). Nothing checks who owns
     * the page: EL2 code is trusted with every page, as in C.
     *
     * @param phys a physical address, memory or MMIO
     * @return the hyp VA of {@code phys} in this CPU's fixmap slot
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if this CPU's slot is mapped (unmap between
     *     maps); {@code EINVAL} for a PA outside the PA range
     */
    long fixmapMap(long phys);

    /**
     * Unmaps this CPU's fixmap slot: later accesses through its VA fail with {@code EFAULT}.
     *
     * <p>Kernel counterpart: {@code fixmap_unmap()} ({@code hyp_fixmap_unmap}). An empty slot stays
     * empty.
     *
     */
    void fixmapUnmap();

    /**
     * Maps {@code [phys, phys + size)} at fresh hyp private VA with {@code prot} and returns the hyp VA
     * of {@code phys}; for MMIO (a device's registers) as well as memory. The mapping is for good; the
     * host's stage-2 permissions are not changed.
     *
     * <p>Kernel counterpart: {@code create_private_mapping(phys, size, prot, &haddr)} ({@code
     * __pkvm_create_private_mapping}). {@code prot} follows {@code hyp_set_prot_attr}: it must include
     * R, may not be W and X together, and device memory may not be X.
     *
     * @param phys the first physical address
     * @param size the number of bytes, positive
     * @return the hyp VA of {@code phys}
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a size that is not positive, a range that
     *     leaves the PA range or straddles memory and MMIO, or a refused {@code prot}; {@code ENOMEM}
     *     when the private VA range is exhausted
     */
    long createPrivateMapping(long phys, long size, int prot);

    /**
     * Reserves {@code nrPages} pages of hyp VA in the module window and returns the first; fill them
     * with {@link #mapModulePage}.
     *
     * <p>Kernel counterpart: {@code alloc_module_va(nr_pages)} ({@code __pkvm_alloc_module_va}), the
     * same 128 MiB window module loading takes its sections from.
     *
     * @param nrPages how many pages, positive
     * @return the hyp VA of the first reserved page
     * @throws org.pkvm4j.api.PkvmException {@code ENOMEM} when the window is exhausted; {@code EINVAL}
     *     for a count that is not positive
     */
    long allocModuleVa(long nrPages);

    /**
     * Maps DRAM page {@code pfn} at {@code va} (a page reserved with {@link #allocModuleVa}) with
     * {@code prot}. Unless {@code isProtected}, the page is first donated host→hyp (the host loses it)
     * and given back if the mapping fails; a protected page must already be the hypervisor's.
     *
     * <p>Kernel counterpart: {@code map_module_page(pfn, va, prot, is_protected)} ({@code
     * __pkvm_map_module_page}).
     *
     * @param pfn the DRAM page frame number
     * @param va a page reserved with {@link #allocModuleVa}
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @param isProtected whether the page is already the hypervisor's (no donation)
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a {@code va} that is not a reserved page,
     *     or a refused {@code prot}; {@code EEXIST} if {@code va} is mapped; {@code EPERM}/{@code
     *     EINVAL} from the donation (the page is not host-owned memory), or a protected page EL2 does
     *     not own
     */
    void mapModulePage(long pfn, long va, int prot, boolean isProtected);

    /**
     * Loads one byte from hyp VA {@code va} at EL2 (a device register through a private mapping, or
     * memory).
     *
     * <p>Kernel counterpart: a plain EL2 load ({@code readb_relaxed} for a device).
     *
     * @param va the hyp VA
     * @return the byte
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if {@code va} is not mapped readable at EL2
     */
    byte load8(long va);

    /**
     * Stores one byte at hyp VA {@code va} at EL2: to a device register through a private mapping
     * (a UART's data register transmits it), or to memory.
     *
     * <p>Kernel counterpart: a plain EL2 store ({@code writeb_relaxed} for a device).
     *
     * @param va the hyp VA
     * @param value the byte
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} if {@code va} is not mapped writable at EL2
     *     (a read-only mapping refuses the store and nothing is written)
     */
    void store8(long va, byte value);

    // ---------------------------------------------------------------- kmi

    /**
     * Restricts (or restores) the host's stage-2 permissions on the one page {@code pfn}: the
     * android14-5.15 shape of {@link #hostStage2ModProt(long, int, long)}, with the same effect as
     * calling it with one page.
     *
     * <p>Kernel counterpart: android14-5.15's {@code host_stage2_mod_prot(pfn, prot)}; the ranged
     * form is that branch's KABI slot 1, {@code host_stage2_mod_prot_range}. Offered on KMI
     * android14-5.15 only (docs/abi.md, "KMI generations").
     *
     * @param pfn the page frame number
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @throws org.pkvm4j.api.PkvmException as {@link #hostStage2ModProt(long, int, long)}
     */
    void hostStage2ModProt(long pfn, int prot);

    /**
     * Registers a host permission-fault handler of the android14-5.15 shape, which receives a
     * {@link org.pkvm4j.api.KvmCpuContext}; otherwise as {@link #registerHostPermFaultHandler}.
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_host_perm_fault_handler(int
     * (*cb)(struct kvm_cpu_context *ctxt, u64 esr, u64 addr))}: 16 slots shared with the other shape.
     * Offered on KMI android14-5.15 only.
     *
     * @param handler the handler, kept for the life of the hypervisor
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if all 16 slots are taken
     */
    void registerHostPermFaultHandlerCtxt(KvmCpuContextPermFaultHandler handler);

    /**
     * Registers the callback of the android14-5.15 shape run before every abort the hypervisor injects
     * into the host; otherwise as {@link #registerIllegalAbtNotifier}.
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_illegal_abt_notifier(void (*cb)(struct
     * kvm_cpu_context *))}: the one slot shared with the other shape. Offered on KMI android14-5.15 only.
     *
     * @param notifier the notifier, kept for the life of the hypervisor
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a notifier is already registered
     */
    void registerIllegalAbtNotifierCtxt(KvmCpuContextAbtNotifier notifier);
}
