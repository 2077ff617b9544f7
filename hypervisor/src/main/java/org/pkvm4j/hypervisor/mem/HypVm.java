package org.pkvm4j.hypervisor.mem;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM as the hypervisor knows it: its handle, whether it is protected, its vCPUs, its teardown
 * phase and its stage-2.
 *
 * <p>Kernel counterpart: {@code struct pkvm_hyp_vm} ({@code nvhe/pkvm.c}) with its stage-2 page
 * table. The stage-2 is kept compactly as a map gfn → entry, an entry being {@code pfn << 8 | prot
 * << 3 | state}: 8 bytes of payload a mapped page, nothing for an unmapped one. Guarded by {@link
 * #lock} (the VM's stage-2 lock, taken after the host lock).
 */
final class HypVm {
    final int handle;
    final boolean isProtected;
    final int nrVcpus;
    final ReentrantLock lock = new ReentrantLock();
    /** Loaded (running) vCPUs: a VM with references cannot start its teardown. */
    volatile int refs;
    volatile boolean dying;
    private final Map<Long, Long> stage2 = new HashMap<>();

    HypVm(int handle, boolean isProtected, int nrVcpus) {
        this.handle = handle;
        this.isProtected = isProtected;
        this.nrVcpus = nrVcpus;
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

    void unmap(long gfn) {
        stage2.remove(gfn);
    }

    /** The mapped (or poisoned) gfns, for teardown. */
    long[] gfns() {
        return stage2.keySet().stream().mapToLong(Long::longValue).sorted().toArray();
    }
}
