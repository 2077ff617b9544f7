package org.pkvm4j.hypervisor.mem;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM as the hypervisor knows it: its handle, whether it is protected, its vCPUs (and their
 * memcaches), its teardown phase and its stage-2.
 *
 * <p>Kernel counterpart: {@code struct pkvm_hyp_vm} ({@code nvhe/pkvm.c}) with its stage-2 page
 * table. The stage-2 is kept compactly as a map gfn → entry, an entry being {@code pfn << 8 | block
 * << 6 | prot << 3 | state}: 8 bytes of payload a mapped page, nothing for an unmapped one. A
 * level-2 block (a 2 MiB share) is its 512 page entries, each marked {@link #BLOCK}, so a walk
 * finds the leaf's level as {@code kvm_pgtable_get_leaf} does. Its page tables
 * are counted, not built: a 4-level table (start level 0, 4 KiB granule) needs a table page at
 * levels 1, 2 and 3 on the path to each gfn, taken from a vCPU memcache the first time a path is
 * used ({@link #tables}: table id → the pfn backing it). Guarded by {@link #lock} (the VM's stage-2
 * lock, taken after the host lock).
 */
final class HypVm {
    /**
     * {@code kvm_mmu_cache_min_pages}: the most table pages one page mapping can need, one per level
     * below the root of the 4-level stage-2.
     */
    static final int STAGE2_MIN_PAGES = 3;
    private static final int LEVEL_BITS = 9;
    /** The entry bit of a page inside a level-2 block mapping. */
    private static final long BLOCK = 1L << 6;

    final int handle;
    final boolean isProtected;
    final int nrVcpus;
    final ReentrantLock lock = new ReentrantLock();
    /**
     * References: loaded vCPUs ({@code pkvm_load_hyp_vcpu}) and hypercalls working on the VM by
     * handle ({@code get_pkvm_hyp_vm}). A VM with references cannot start or finalize its teardown.
     * Changed under the VM table's lock.
     */
    volatile int refs;
    /** {@code is_dying}: set under the VM table's lock, never cleared. */
    volatile boolean dying;
    /** Per vCPU, the physical CPU it is loaded on, or -1 ({@code hyp_vcpu->loaded_hyp_vcpu}); under the table's lock. */
    final int[] loadedOn;
    private final Map<Long, Long> stage2 = new HashMap<>();
    private final Map<Long, Long> tables = new HashMap<>();
    private final HypMemcache[] memcaches;

    HypVm(int handle, boolean isProtected, int nrVcpus) {
        this.handle = handle;
        this.isProtected = isProtected;
        this.nrVcpus = nrVcpus;
        this.memcaches = new HypMemcache[nrVcpus];
        this.loadedOn = new int[nrVcpus];
        Arrays.fill(loadedOn, -1);
        for (int i = 0; i < nrVcpus; i++) {
            memcaches[i] = new HypMemcache();
        }
    }

    /** vCPU {@code idx}'s memcache. */
    HypMemcache memcache(int idx) {
        return memcaches[idx];
    }

    /**
     * Takes from {@code mc} the table pages the path to {@code gfn} still lacks (at most {@link
     * #STAGE2_MIN_PAGES}, the caller checked the memcache holds that many): what {@code
     * kvm_pgtable_stage2_map} allocates through {@code hyp_mc_alloc_fn}.
     *
     * @return how many pages it took
     */
    int allocTables(long gfn, HypMemcache mc) {
        int taken = 0;
        for (int level = 1; level <= 3; level++) {
            long id = (long) level << 56 | gfn >>> (LEVEL_BITS * (4 - level));
            if (!tables.containsKey(id)) {
                tables.put(id, mc.pop());
                taken++;
            }
        }
        return taken;
    }

    /** The pages backing the stage-2's tables, for teardown. */
    long[] tablePfns() {
        return tables.values().stream().mapToLong(Long::longValue).toArray();
    }

    /** How many table pages the stage-2 holds. */
    int nrTablePages() {
        return tables.size();
    }

    /** The guest state at {@code gfn}. */
    GuestState state(long gfn) {
        Long e = stage2.get(gfn);
        return e == null ? GuestState.NOPAGE : GuestState.ofOrdinal((int) (e & 7));
    }

    /** The pfn mapped at {@code gfn}; meaningful when the state is not NOPAGE. */
    long pfn(long gfn) {
        Long e = stage2.get(gfn);
        return e == null ? -1 : e >>> 8;
    }

    /** The guest's stage-2 permissions of {@code gfn}. */
    int prot(long gfn) {
        Long e = stage2.get(gfn);
        return e == null ? 0 : (int) (e >>> 3) & 7;
    }

    void map(long gfn, long pfn, int prot, GuestState state) {
        stage2.put(gfn, pfn << 8 | (long) prot << 3 | state.ordinal());
    }

    /** Maps the level-2 block at {@code gfn} (512-aligned) to {@code pfn}: 512 entries marked {@link #BLOCK}. */
    void mapBlock(long gfn, long pfn, int prot, GuestState state) {
        for (int i = 0; i < GuestMemProtect.BLOCK_PAGES; i++) {
            stage2.put(gfn + i, (pfn + i) << 8 | BLOCK | (long) prot << 3 | state.ordinal());
        }
    }

    /** Whether the leaf mapping {@code gfn} is a level-2 block (meaningful when it is mapped). */
    boolean isBlock(long gfn) {
        Long e = stage2.get(gfn);
        return e != null && (e & BLOCK) != 0;
    }

    void unmap(long gfn) {
        stage2.remove(gfn);
    }

    /** The mapped (or poisoned) gfns, for teardown. */
    long[] gfns() {
        return stage2.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
