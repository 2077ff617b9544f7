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
 * <p>One interface holds the members of every KMI generation; the device offers those of the KMI it
 * booted as (docs/abi.md, "KMI generations"). A member the device's KMI lacks is refused at load
 * ({@code PKVM-LOAD-KMI-MEMBER}) and, called anyway, throws {@link org.pkvm4j.api.PkvmException} with
 * {@code ENOSYS} and changes nothing.
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
     * __pkvm_host_donate_hyp}) with {@code accept_mmio = false}; see {@link #hostDonateHyp(long, long,
     * boolean)} for MMIO.
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
     * <p>Kernel counterpart: {@code flush_dcache_to_poc(addr, size)}. No byte changes in pkvm4j: its
     * memory is one coherent {@code MemorySegment} with no caches to clean, every store is visible to
     * every observer once a transition publishes the page. The range is checked as {@code DC CVAC}
     * would check it: a page EL2 cannot read faults.
     *
     * @param va the first hyp VA
     * @param size the number of bytes
     * @throws org.pkvm4j.api.PkvmException {@code EFAULT} for a page not mapped readable at EL2,
     *     {@code EINVAL} for a negative size
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
     * <p>Kernel counterpart: {@code host_stage2_mod_prot(pfn, prot, nr_pages)} (android14-6.1, {@code
     * module_change_host_page_prot}); the host's DMA view (the IOMMU's idmap domain) follows, as with
     * {@link #hostStage2ModProt(long, int, long, boolean)} and {@code update_iommu}. A
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

    // ---------------------------------------------------------------- iommu

    /**
     * Donates {@code nrPages} pages from {@code pfn} to the hypervisor, as {@link #hostDonateHyp(long,
     * long)}; with {@code acceptMmio} the range may be MMIO instead (a device's registers, which an
     * IOMMU driver takes from the host so the host can no longer reprogram the device): the host's
     * accesses to it fault from then on, and EL2 reaches it through {@link #createPrivateMapping}.
     *
     * <p>Kernel counterpart: {@code host_donate_hyp(pfn, nr_pages, accept_mmio)} ({@code
     * ___pkvm_host_donate_hyp}). A page the host uses for DMA ({@link #pkvmUseDma}) cannot be donated.
     *
     * @param pfn the first page frame number
     * @param nrPages how many pages
     * @param acceptMmio whether MMIO may be donated
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if the range leaves the PA range, overflows
     *     or straddles memory and MMIO, or a page is in use for DMA; {@code EPERM} for MMIO without
     *     {@code acceptMmio}, or a page in the wrong state
     */
    void hostDonateHyp(long pfn, long nrPages, boolean acceptMmio);

    /**
     * As {@link #hostDonateHyp(long, long, boolean)}, with the permissions EL2 maps the pages with:
     * without {@link org.pkvm4j.api.Prot#W} EL2's own stores to them fault ({@code EFAULT}).
     *
     * <p>Kernel counterpart: {@code host_donate_hyp_prot(pfn, nr_pages, accept_mmio, prot)}.
     *
     * @param pfn the first page frame number
     * @param nrPages how many pages
     * @param acceptMmio whether MMIO may be donated
     * @param prot {@link org.pkvm4j.api.Prot} bits, following {@code hyp_set_prot_attr} (R required,
     *     not W and X together, no X for MMIO)
     * @throws org.pkvm4j.api.PkvmException as {@link #hostDonateHyp(long, long, boolean)}, and {@code
     *     EINVAL} for a refused {@code prot}
     */
    void hostDonateHypProt(long pfn, long nrPages, boolean acceptMmio, int prot);

    /**
     * Donates a scatter-gather list of host pages to the hypervisor under one hold of its locks:
     * entry {@code i} is {@code pfn | order << 40} ({@code 2^order} pages from {@code pfn}). All or
     * nothing: if an entry fails, the entries before it are given back.
     *
     * <p>Kernel counterpart: {@code host_donate_sglist_hyp(sglist, nr)} ({@code struct
     * pkvm_sglist_page { u64 pfn : 40; u8 order; }}), how the host hands an IOMMU driver the pages of
     * a large table at once. The list is copied before it is read.
     *
     * @param sglist the entries, {@code pfn} in bits 0..39, {@code order} in bits 40..47
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for an order above 9 or a range that leaves
     *     the PA range, or a page in use for DMA; {@code EPERM} for a page in the wrong state (or
     *     listed twice)
     */
    void hostDonateSglistHyp(long[] sglist);

    /**
     * The hyp VA of a host kernel VA.
     *
     * <p>Kernel counterpart: {@code kern_hyp_va(x)}. The host kernel's linear map and the hyp's are
     * both the identity in pkvm4j, so this returns {@code kernVa}; modules should still convert.
     *
     * @param kernVa a host kernel VA of the linear map
     * @return the hyp VA of the same memory
     */
    long kernHypVa(long kernVa);

    /**
     * Restricts (or restores) the host's stage-2 permissions as {@link #hostStage2ModProt(long, int,
     * long)}, saying whether the host's DMA view follows: with {@code updateIommu} the IOMMU's host
     * idmap domain ({@link #iommuSnapshotHostStage2}) takes the new read and write permissions too;
     * without it, the host's devices keep the old ones (the kernel's "fast but not safe").
     *
     * <p>Kernel counterpart: {@code host_stage2_mod_prot(pfn, prot, nr_pages, update_iommu)}
     * (android15-6.6 on). The three-argument form updates the IOMMU.
     *
     * @param pfn the first page frame number
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @param nrPages how many pages
     * @param updateIommu whether the host's DMA view changes with its CPU view
     * @throws org.pkvm4j.api.PkvmException as {@link #hostStage2ModProt(long, int, long)}
     */
    void hostStage2ModProt(long pfn, int prot, long nrPages, boolean updateIommu);

    /**
     * {@code 2^order} zeroed, naturally aligned pages from the IOMMU pool, owned and mapped by EL2, for
     * an IOMMU driver's tables; the host refills the pool (static hypercall {@code
     * kvm_iommu_refill}).
     *
     * <p>Kernel counterpart: {@code iommu_donate_pages(order, request)}. With {@code request}, an
     * empty pool asks the host for the pages: the next refill reports how many were wanted.
     *
     * @param order log2 of the number of pages, 0..9
     * @param request whether to ask the host when the pool cannot serve
     * @return the hyp VA of the first page, or 0 if the pool has no such block
     */
    long iommuDonatePages(int order, boolean request);

    /**
     * Gives a block from {@link #iommuDonatePages} back to the pool.
     *
     * <p>Kernel counterpart: {@code iommu_reclaim_pages(p, order)}. A VA that is not such a block is
     * the kernel's {@code BUG_ON}: a hyp panic.
     *
     * @param va the hyp VA {@link #iommuDonatePages} returned
     * @param order the order it was taken with
     */
    void iommuReclaimPages(long va, int order);

    /**
     * As {@link #iommuDonatePages}, from the atomic pool: the host fills it ahead (it never asks),
     * for what must not fail later, such as the host idmap domain's tables.
     *
     * <p>Kernel counterpart: {@code iommu_donate_pages_atomic(order)}.
     *
     * @param order log2 of the number of pages, 0..9
     * @return the hyp VA of the first page, or 0 if the pool has no such block
     */
    long iommuDonatePagesAtomic(int order);

    /**
     * Gives a block from {@link #iommuDonatePagesAtomic} back to the atomic pool.
     *
     * <p>Kernel counterpart: {@code iommu_reclaim_pages_atomic(p, order)}.
     *
     * @param va the hyp VA {@link #iommuDonatePagesAtomic} returned
     * @param order the order it was taken with
     */
    void iommuReclaimPagesAtomic(long va, int order);

    /**
     * Registers the IOMMU whose registers are the MMIO page at {@code phys} with the hypervisor:
     * from now on every change of the host idmap domain invalidates its TLB. The driver must own
     * the registers ({@link #hostDonateHyp(long, long, boolean)} with {@code acceptMmio}).
     *
     * <p>Kernel counterpart: {@code iommu_init_device(struct kvm_hyp_iommu *iommu)} ({@code
     * kvm_iommu_init_device}), which registers the IOMMU's power domain.
     *
     * @param phys the physical address of the IOMMU's register page
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for an address that is not a page of MMIO;
     *     {@code EPERM} if EL2 does not own it; {@code EBUSY} if it is registered already
     */
    void iommuInitDevice(long phys);

    /**
     * Adds an unmapped page to the pending IOTLB invalidation {@code gather} and returns the new
     * gather; a page of another size, or one disjoint from the range, first makes {@code sync}
     * invalidate what was gathered (run at once, inside this trap).
     *
     * <p>Kernel counterpart: {@code iommu_iotlb_gather_add_page(domain, gather, iova, size)}, whose
     * {@code iotlb_sync} is the driver's; pkvm4j passes it here, as gathers are values.
     *
     * @param sync the driver's invalidation
     * @param gather the pending gather ({@link IotlbGather#empty()} to start)
     * @param iova the IOVA of the page unmapped
     * @param size its size in bytes
     * @return the gather with the page added
     */
    IotlbGather iommuIotlbGatherAddPage(IotlbSync sync, IotlbGather gather, long iova, long size);

    /**
     * Makes the level-1 table at hyp VA {@code rootVa} (a zeroed page from the IOMMU pool) the host
     * idmap domain: an identity map of every page the host may access now, kept in step with the host
     * stage-2 from then on (a page donated to EL2 or a guest leaves it, a page given back returns).
     * Point a stream table entry at it and that device sees memory as the host's CPUs do. Its lower
     * tables come from the atomic pool.
     *
     * <p>Kernel counterpart: {@code iommu_snapshot_host_stage2(domain)} ({@code
     * kvm_iommu_snapshot_host_stage2}). The table format is the machine's SMMU's.
     *
     * @param rootVa the hyp VA of the domain's level-1 table
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if {@code rootVa} is not a page EL2 owns;
     *     {@code EBUSY} if a domain was snapshotted already; {@code ENOMEM} if the atomic pool lacks
     *     the table pages
     */
    void iommuSnapshotHostStage2(long rootVa);

    /**
     * Drops the DMA reference of each range in the cache, last first, after the driver unmapped them
     * and invalidated the IOTLB.
     *
     * <p>Kernel counterpart: {@code iommu_flush_unmap_cache(cache)} (android15-6.6 KABI slot 1), over
     * {@code struct kvm_iommu_paddr_cache}; the arrays are copied before they are read. A range that
     * holds no reference is a hyp panic, as {@link #pkvmUnuseDma}.
     *
     * @param paddrs the physical addresses unmapped
     * @param sizes their sizes in bytes, one per address
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if the arrays differ in length
     */
    void iommuFlushUnmapCache(long[] paddrs, long[] sizes);

    /**
     * Takes a DMA reference on each host page of {@code [phys, phys + size)}, before an IOMMU driver
     * maps them for a host device: a referenced page cannot be donated or shared ({@code EINVAL}), so
     * it cannot become the hypervisor's or a guest's while a device may write it.
     *
     * <p>Kernel counterpart: {@code __pkvm_use_dma(phys, size, NULL)}, which {@code
     * kvm_iommu_map_pages} calls; a module op only in the newer dev layout ({@code pkvm_use_dma}).
     * pkvm4j extra: here the driver maps by itself, so it takes the reference.
     *
     * @param phys the first physical address, page aligned
     * @param size the number of bytes, page aligned
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a range that is not page aligned,
     *     leaves the PA range or straddles memory and MMIO; {@code EPERM} if a page is not host-owned
     *     memory (EL2's, a guest's, shared or restricted)
     */
    void pkvmUseDma(long phys, long size);

    /**
     * Drops one DMA reference of each page of {@code [phys, phys + size)}, after the IOMMU no longer
     * maps them (and its TLB was invalidated).
     *
     * <p>Kernel counterpart: {@code pkvm_unuse_dma(phys, size)} ({@code __pkvm_unuse_dma}). MMIO holds
     * no reference: nothing to drop. A page that holds none is the kernel's {@code BUG_ON}: a hyp
     * panic.
     *
     * @param phys the first physical address, page aligned
     * @param size the number of bytes, page aligned
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a range that is not page aligned or
     *     leaves the PA range
     */
    void pkvmUnuseDma(long phys, long size);

    /**
     * Maps {@code nrPages} DRAM pages from {@code pfn} at {@code va} (reserved with {@link
     * #allocModuleVa}), as {@link #mapModulePage} page by page; all or nothing: a page that fails
     * unmaps (and gives back) the ones before it.
     *
     * <p>Kernel counterpart: {@code map_module_pages(pfn, va, nr_pages, prot, is_protected)}
     * (android16-6.12 KABI slot 2).
     *
     * @param pfn the first DRAM page frame number
     * @param va the first reserved page
     * @param nrPages how many pages, positive
     * @param prot {@link org.pkvm4j.api.Prot} bits
     * @param isProtected whether the pages are already the hypervisor's (no donation)
     * @throws org.pkvm4j.api.PkvmException as {@link #mapModulePage}, and {@code EINVAL} for a count
     *     that is not positive
     */
    void mapModulePages(long pfn, long va, long nrPages, int prot, boolean isProtected);

    /**
     * Unmaps {@code nrPages} pages from {@code va} that {@link #mapModulePages} mapped from {@code pfn}
     * and gives them back to the host.
     *
     * <p>Kernel counterpart: {@code unmap_module_pages(pfn, va, nr_pages)} (android16-6.12 KABI slot 3).
     *
     * @param pfn the first page frame number mapped there
     * @param va the first page
     * @param nrPages how many pages
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if a page is not mapped there from that pfn
     *     (nothing is unmapped); the give-back's errno
     */
    void unmapModulePages(long pfn, long va, long nrPages);

    /**
     * Maps {@code [phys, phys + size)} of memory in the hyp linear map (hyp VA = {@link #hypVa} of
     * {@code phys}) with {@code prot}, for an EL2 init that must reach memory before it owns it; undo
     * it with {@link #linearUnmapEarly} before the host is deprivileged. A mapping still present then
     * is reported (a {@code WARNING} on the hyp console and in the boot report), as the kernel WARNs
     * when module registration closes.
     *
     * <p>Kernel counterpart: {@code linear_map_early(phys, size, prot)} ({@code
     * __pkvm_linear_map_early}, counted in {@code early_lm_pages}). pkvm4j maps memory only.
     *
     * @param phys the first physical address, page aligned
     * @param size the number of bytes, page aligned and positive
     * @param prot {@link org.pkvm4j.api.Prot} bits ({@code hyp_set_prot_attr})
     * @return the hyp VA of {@code phys}
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for an unaligned or empty range, one that is
     *     not memory, or a refused {@code prot}; {@code EEXIST} if a page is mapped at EL2 already;
     *     {@code EPERM} once the host is deprivileged
     */
    long linearMapEarly(long phys, long size, int prot);

    /**
     * Removes a mapping {@link #linearMapEarly} made.
     *
     * <p>Kernel counterpart: {@code linear_unmap_early(addr, size)}.
     *
     * @param va the hyp VA {@link #linearMapEarly} returned
     * @param size the number of bytes it mapped
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if a page was not mapped early; {@code EPERM}
     *     once the host is deprivileged
     */
    void linearUnmapEarly(long va, long size);

    /**
     * Maps the 2 MiB block of memory holding {@code phys} in this CPU's fixblock slot, RW, and returns
     * the hyp VA of {@code phys} there; unmap it before the trap returns, as {@link #fixmapMap}.
     *
     * <p>Kernel counterpart: {@code fixblock_map(phys)} ({@code hyp_fixblock_map}), a PMD-size fixmap:
     * one mapping where 512 {@code fixmap_map} calls would each need a TLB invalidation.
     *
     * @param phys a physical address in DRAM
     * @return the hyp VA of {@code phys} in this CPU's fixblock slot
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if the 2 MiB block holding {@code phys} is
     *     not all memory; {@code EBUSY} if this CPU's slot is mapped
     */
    long fixblockMap(long phys);

    /**
     * Unmaps this CPU's fixblock slot; an empty slot stays empty.
     *
     * <p>Kernel counterpart: {@code fixblock_unmap()} ({@code hyp_fixblock_unmap}).
     */
    void fixblockUnmap();

    /**
     * Registers the reset callback of the assignable device whose registers are at {@code phys}: it
     * runs whenever the device is assigned to a protected guest ({@code hostToGuest}) and when it
     * comes back at the guest's teardown. Resetting is mandatory: a device without a callback cannot
     * be assigned ({@code ENODEV}); a callback that fails blocks the assignment, and fails the
     * teardown with a hyp panic. One per device.
     *
     * <p>Kernel counterpart: {@code device_register_reset(phys, cookie, cb)} ({@code
     * pkvm_device_register_reset}).
     *
     * @param phys the physical address of the device's register page
     * @param cookie passed back to every call of {@code handler}
     * @param handler the reset callback, kept for the life of the module
     * @throws org.pkvm4j.api.PkvmException {@code ENODEV} if no assignable device has registers at
     *     {@code phys}; {@code EBUSY} if the device has a callback already
     */
    void deviceRegisterReset(long phys, long cookie, DeviceResetHandler handler);

    // ---------------------------------------------------------------- smc

    /**
     * Registers a handler of the host's SMCs, after the ones registered so far.
     *
     * <p>Kernel counterpart: {@code register_host_smc_handler(bool (*cb)(struct user_pt_regs *))}.
     * The host's SMC passes the PSCI relay and the FF-A proxy first; a call no handler claims goes on
     * to the firmware (EL3).
     *
     * @param handler the handler, run at EL2 on the CPU of the SMC
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} when all 16 slots are taken; {@code EINVAL}
     *     for null
     */
    void registerHostSmcHandler(HostSmcHandler handler);

    /**
     * Registers a handler of protected guests' SMCs, after the ones registered so far.
     *
     * <p>Kernel counterpart: {@code register_guest_smc_handler}. A protected guest's SMC that the
     * hypervisor does not answer itself and no handler claims reads {@code SMCCC_RET_NOT_SUPPORTED}.
     *
     * @param handler the handler, run at EL2 on the CPU running the guest
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} when all 16 slots are taken; {@code EINVAL}
     *     for null
     */
    void registerGuestSmcHandler(GuestSmcHandler handler);

    /**
     * Registers the notifier of the host's PSCI power-state changes.
     *
     * <p>Kernel counterpart: {@code register_psci_notifier}. One slot.
     *
     * @param notifier the notifier, run at EL2 on the CPU the event concerns
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a notifier is registered already; {@code
     *     EINVAL} for null
     */
    void registerPsciNotifier(PsciNotifier notifier);

    /**
     * Installs the TRNG back end that answers protected guests' SMCCC TRNG calls.
     *
     * <p>Kernel counterpart: {@code register_guest_trng_ops} (android16-6.12, KABI slot 1). Without
     * one, a guest's TRNG calls read {@code SMCCC_RET_NOT_SUPPORTED}.
     *
     * @param ops the back end
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for null, a nil UUID or no {@code rnd64};
     *     {@code EBUSY} if ops are installed already
     */
    void registerGuestTrngOps(GuestTrngOps ops);

    // ---------------------------------------------------------------- traps

    /**
     * Sets, then clears, bits of {@code HCR_EL2} on the calling CPU: in its saved value (the one
     * restored when the CPU resumes from suspend) and in the live register. Host {@code MSR}/{@code
     * MRS} accesses the new trap bits cover then trap to EL2, where {@link #registerDefaultTrapHandler
     * the default trap handler} must handle them (an unhandled trap is a hyp panic).
     *
     * <p>Kernel counterpart: {@code update_hcr_el2(set_mask, clear_mask)} ({@code __update_hcr_el2}:
     * this CPU's {@code kvm_init_params.hcr_el2}, then {@code write_sysreg}). Per CPU, as in C: call it
     * on every CPU that should trap (an HVC on each). pkvm4j gives meaning only to the trap bits
     * {@link org.pkvm4j.api.Hcr#TID1}, {@code TID2}, {@code TID3}, {@code TACR}, {@code TVM} and {@code
     * TRVM}; any other bit is refused rather than silently ignored.
     *
     * @param set the bits to set
     * @param clear the bits to clear, after setting
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a bit outside the modelled trap bits
     */
    void updateHcrEl2(long set, long clear);

    /**
     * Sets, then clears, bits of {@code HFGWTR_EL2} (fine-grained write traps) on the calling CPU, in
     * its saved value and the live register: an {@code MSR} to a register whose bit is set traps to
     * EL2 (see {@link org.pkvm4j.api.SysReg#hfgwtrBit}).
     *
     * <p>Kernel counterpart: {@code update_hfgwtr_el2(set_mask, clear_mask)} ({@code
     * __update_hfgwtr_el2}); the simulated CPU has FEAT_FGT. A bit of a register pkvm4j does not model
     * is kept and traps nothing.
     *
     * @param set the bits to set
     * @param clear the bits to clear, after setting
     */
    void updateHfgwtrEl2(long set, long clear);

    /**
     * Registers the handler of host traps pKVM does not handle itself (the system-register accesses
     * the modules made trap).
     *
     * <p>Kernel counterpart: {@code register_default_trap_handler(cb)}: one slot, taken with a
     * compare-and-swap, for the life of the hypervisor (pkvm4j empties it when its module goes).
     *
     * @param handler the handler
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a handler is already registered; {@code
     *     EINVAL} for null
     */
    void registerDefaultTrapHandler(DefaultTrapHandler handler);

    /**
     * Reads an EL1 system register of the calling CPU from EL2 (an EL2 {@code MRS} never traps).
     *
     * <p>Kernel counterpart: none in the ops table: {@code read_sysreg(reg)}, an instruction a C
     * module executes directly. pkvm4j extra.
     *
     * @param reg the register
     * @return its value on this CPU
     */
    long readSysreg(org.pkvm4j.api.SysReg reg);

    /**
     * Writes an EL1 system register of the calling CPU from EL2: how a default trap handler completes
     * a trapped {@code MSR} it allows.
     *
     * <p>Kernel counterpart: none in the ops table: {@code write_sysreg(val, reg)}, an instruction.
     * pkvm4j extra.
     *
     * @param reg the register
     * @param value the new value
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} for a read-only register
     */
    void writeSysreg(org.pkvm4j.api.SysReg reg, long value);

    /**
     * Registers the callback run when the hypervisor panics, before the panic is reported.
     *
     * <p>Kernel counterpart: {@code register_hyp_panic_notifier(cb)}: one slot, compare-and-swap.
     *
     * @param notifier the notifier
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if one is registered already; {@code EINVAL}
     *     for null
     */
    void registerHypPanicNotifier(HypPanicNotifier notifier);

    /**
     * Registers the pair that may unmask SError at EL2 for the length of each host trap.
     *
     * <p>Kernel counterpart: {@code register_unmask_serror(unmask, mask)}: one slot,
     * compare-and-swap.
     *
     * @param unmask asked on trap entry
     * @param mask called on the way out of a trap it unmasked
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a pair is registered already; {@code
     *     EINVAL} if either is null
     */
    void registerUnmaskSerror(SerrorUnmask unmask, SerrorMask mask);

    // ---------------------------------------------------------------- traps: hyp tracing

    /**
     * Reserves an entry of {@code length} bytes in this CPU's hyp trace buffer and returns its hyp
     * VA: write the event there (its first two bytes, little-endian, are the event id, {@code struct
     * hyp_entry_hdr}), then {@link #tracingCommitEntry}. The machine's trace unit shows the committed
     * event on this CPU ({@code --trace}).
     *
     * <p>Kernel counterpart: {@code tracing_reserve_entry(length)}. Like C it answers 0 (NULL) when
     * there is nowhere to write: tracing is off, {@code length} is not 2..256, or the buffer, taken
     * from the EL2 heap on first use, could not be allocated (see {@link #hypAlloc}).
     *
     * @param length the entry's size in bytes, 2..256
     * @return the entry's hyp VA, or 0
     */
    long tracingReserveEntry(long length);

    /**
     * Commits the entry reserved last on this CPU: it becomes an event of the trace unit. Without a
     * reserved entry, nothing happens.
     *
     * <p>Kernel counterpart: {@code tracing_commit_entry()}.
     */
    void tracingCommitEntry();

    /**
     * Writes a {@code trace_printk}-style event of this module on this CPU: format {@code fmtId} of
     * the module with four arguments.
     *
     * <p>Kernel counterpart: {@code tracing_mod_hyp_printk(fmt_id, a, b, c, d)}; the host resolves
     * {@code fmt_id} against the module's format strings, pkvm4j shows the id and the arguments. Does
     * nothing when tracing is off.
     *
     * @param fmtId the module's format id, 0..255
     * @param a the first argument
     * @param b the second argument
     * @param c the third argument
     * @param d the fourth argument
     */
    void tracingModHypPrintk(int fmtId, long a, long b, long c, long d);

    // ---------------------------------------------------------------- traps: the EL2 heap

    /**
     * Allocates {@code size} bytes, zeroed, from the EL2 heap and returns their hyp VA, usable with
     * {@link #load64}, {@link #store64}, {@link #memset}; 0 (NULL) on failure, with the reason in
     * {@link #hypAllocErrno}.
     *
     * <p>Kernel counterpart: {@code hyp_alloc(size)} ({@code nvhe/alloc.c}). The heap grows only with
     * pages the host donates: when it lacks pages the call fails with {@code -ENOMEM} and records how
     * many pages are missing ({@link #hypAllocMissingDonations}); {@link #requestHypAlloc} asks the host
     * for them, and the host donates them and retries the module's HVC when it answered {@code -ENOMEM}.
     *
     * @param size the number of bytes, 1 or more
     * @return the hyp VA (8-byte aligned), or 0
     */
    long hypAlloc(long size);

    /**
     * The reason the last {@link #hypAlloc} on this CPU failed.
     *
     * <p>Kernel counterpart: {@code hyp_alloc_errno()}.
     *
     * @return 0, {@code -ENOMEM} (the heap needs pages from the host), {@code -E2BIG} (no heap VA
     *     left) or {@code -EINVAL} (a size below 1)
     */
    int hypAllocErrno();

    /**
     * Frees memory {@link #hypAlloc} returned. {@code hypFree(0)} does nothing.
     *
     * <p>Kernel counterpart: {@code hyp_free(addr)}.
     *
     * @param va the hyp VA {@link #hypAlloc} returned
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} if {@code va} is not an allocation this
     *     module holds (the kernel's chunk checks WARN there)
     */
    void hypFree(long va);

    /**
     * How many pages the last failed {@link #hypAlloc} on this CPU lacked.
     *
     * <p>Kernel counterpart: {@code hyp_alloc_missing_donations()}.
     *
     * @return the number of pages, 0 if none are missing
     */
    int hypAllocMissingDonations();

    /**
     * Asks the host to donate the pages {@link #hypAllocMissingDonations} counts: when the current
     * HVC returns {@code -ENOMEM} in x1, the host donates them to the heap and issues the HVC again.
     *
     * <p>Kernel counterpart: {@code request_hyp_alloc()} ({@code kvm_iommu_request_hyp_alloc}: a
     * {@code KVM_HYP_REQ_TYPE_HYP_ALLOC} request in this CPU's {@code host_hyp_reqs}).
     *
     * @throws org.pkvm4j.api.PkvmException {@code ENOENT} if no pages are missing; {@code EBUSY} if a
     *     request is already pending on this CPU
     */
    void requestHypAlloc();

    /**
     * Busy-waits {@code usecs} microseconds on the machine's counter, at EL2.
     *
     * <p>Kernel counterpart: {@code udelay(usecs)}. Bounded: at most {@value #MAX_UDELAY_US} µs per
     * call (the watchdog still stops a module that calls it in an endless loop).
     *
     * @param usecs microseconds, 0..{@value #MAX_UDELAY_US}
     * @throws org.pkvm4j.api.PkvmException {@code EINVAL} outside that range
     */
    void udelay(long usecs);

    /** The longest {@link #udelay}, in microseconds: {@code MAX_UDELAY_MS}, 5 ms. */
    long MAX_UDELAY_US = 5_000;

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

    /**
     * Registers the handler of the host's SMCs in the android14-5.15 shape, which receives a {@link
     * org.pkvm4j.api.KvmCpuContext}: it runs where {@link #registerHostSmcHandler} handlers run, after
     * the PSCI relay and the FF-A proxy; a call it does not claim goes on to the firmware (EL3).
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_host_smc_handler(bool (*cb)(struct
     * kvm_cpu_context *))}: one slot, taken with a compare-and-swap ({@code -EBUSY} when taken).
     * Offered on KMI android14-5.15 only.
     *
     * @param handler the handler, run at EL2 on the CPU of the SMC
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a host SMC handler is registered already;
     *     {@code EINVAL} for null
     */
    void registerHostSmcHandlerCtxt(KvmCpuContextSmcHandler handler);

    /**
     * Registers the handler of host traps pKVM does not handle itself, in the android14-5.15 shape;
     * otherwise as {@link #registerDefaultTrapHandler}, whose slot it takes.
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_default_trap_handler(bool (*cb)(struct
     * kvm_cpu_context *))}: one slot, compare-and-swap. Offered on KMI android14-5.15 only.
     *
     * @param handler the handler
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a handler is already registered; {@code
     *     EINVAL} for null
     */
    void registerDefaultTrapHandlerCtxt(KvmCpuContextTrapHandler handler);

    /**
     * Registers the notifier of the host's PSCI power-state changes, in the android14-5.15 shape;
     * otherwise as {@link #registerPsciNotifier}, whose slot it takes.
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_psci_notifier(void (*cb)(enum
     * pkvm_psci_notification, struct kvm_cpu_context *))}. Offered on KMI android14-5.15 only.
     *
     * @param notifier the notifier, run at EL2 on the CPU the event concerns
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if a notifier is registered already; {@code
     *     EINVAL} for null
     */
    void registerPsciNotifierCtxt(KvmCpuContextPsciNotifier notifier);

    /**
     * Registers the callback run when the hypervisor panics, before the panic is reported, in the
     * android14-5.15 shape; otherwise as {@link #registerHypPanicNotifier}, whose slot it takes.
     *
     * <p>Kernel counterpart: android14-5.15's {@code register_hyp_panic_notifier(void (*cb)(struct
     * kvm_cpu_context *host_ctxt))}. Offered on KMI android14-5.15 only.
     *
     * @param notifier the notifier
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if one is registered already; {@code EINVAL}
     *     for null
     */
    void registerHypPanicNotifierCtxt(KvmCpuContextPanicNotifier notifier);

    /**
     * Posts a request to the host in this CPU's request slot: the host serves it when the current HVC
     * returns, and issues the HVC again if it answered {@code -ENOMEM} in x1. {@code reqVa} is the hyp
     * VA of a {@code struct kvm_hyp_req} (24 bytes: {@code u8 type} at 0; for {@code
     * KVM_HYP_REQ_TYPE_MEM} (1), {@code u8 dest} at 8, {@code int nr_pages} at 12, {@code int sz_alloc}
     * at 16). pkvm4j's host serves memory requests: {@code REQ_MEM_DEST_HYP_ALLOC} (1) donates {@code
     * nr_pages} pages to the EL2 heap (as {@link #requestHypAlloc}); {@code REQ_MEM_DEST_HYP_IOMMU} (3)
     * donates {@code nr_pages} pages of {@code sz_alloc} = 4096 bytes to the IOMMU pool {@link
     * #iommuDonatePages} takes from.
     *
     * <p>Kernel counterpart: android14-6.1's {@code iommu_request(struct kvm_hyp_req *req)} ({@code
     * kvm_iommu_request}: copies {@code *req} into this CPU's {@code host_hyp_reqs}). The kernel copies
     * any request and the host rejects what it cannot serve ("Bogus mem request"); pkvm4j refuses that
     * here, where the module sees the errno. Offered on KMI android14-6.1 and android15-6.6.
     *
     * @param reqVa the hyp VA of the request, readable by this module
     * @throws org.pkvm4j.api.PkvmException {@code EBUSY} if this CPU's slot holds a request the host
     *     has not served; {@code EINVAL} for a type, destination, page count (1..4096) or size the host
     *     does not serve; {@code EFAULT} if the request is not readable at EL2
     */
    void iommuRequest(long reqVa);

    /**
     * Registers this module's table of hyp event ids, so that the host can switch its events on and
     * off: {@code [start, end)} is an array of {@code struct hyp_event_id} (16 bytes each: {@code
     * unsigned short id} at 0, at 8 the hyp VA of the event's {@code atomic_t} enable key). The host's
     * {@code __pkvm_enable_event(id, enable)} writes 1 or 0 to the key of the entry with that id; the
     * module reads its key before it writes an event ({@link #tracingReserveEntry}).
     *
     * <p>Kernel counterpart: android14-6.1's {@code register_hyp_event_ids(start, end)} ({@code
     * nvhe/trace.c}: one of {@value #MAX_EVENT_ID_MOD} slots, {@code -ENOMEM} when full). pkvm4j also
     * checks the table: readable at EL2, whole 8-byte aligned entries, and no id that the tables
     * registered so far hold already (the kernel's {@code __pkvm_enable_event} would switch only the
     * first). Offered on KMI android14-6.1 and android15-6.6.
     *
     * @param start the hyp VA of the first entry
     * @param end the hyp VA just past the last entry
     * @throws org.pkvm4j.api.PkvmException {@code ENOMEM} when all slots are taken; {@code EINVAL} for
     *     an empty or misaligned table, one of more than 1024 entries, or an id registered already;
     *     {@code EFAULT} for an entry the hypervisor cannot read
     */
    void registerHypEventIds(long start, long end);

    /** The number of event-id tables modules may register: {@code MAX_EVENT_ID_MOD}. */
    int MAX_EVENT_ID_MOD = 128;
}
