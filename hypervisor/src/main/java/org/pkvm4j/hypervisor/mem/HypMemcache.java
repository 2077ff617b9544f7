package org.pkvm4j.hypervisor.mem;

import java.util.ArrayDeque;

/**
 * A vCPU's memcache at EL2: pages the host donated for the guest stage-2's page tables.
 *
 * <p>Kernel counterpart: {@code struct kvm_hyp_memcache} of a {@code pkvm_hyp_vcpu}, filled by
 * {@code pkvm_refill_memcache} from the host vCPU's memcache (each page admitted with {@code
 * __pkvm_host_donate_hyp}) and drained by the stage-2 map path ({@code hyp_mc_alloc_fn}). Every
 * page in it is hyp OWNED, host NOPAGE annotated HYP. Guarded by the VM's lock.
 */
final class HypMemcache {
    private final ArrayDeque<Long> pages = new ArrayDeque<>();

    /** {@code push_hyp_memcache}. */
    void push(long pfn) {
        pages.push(pfn);
    }

    /** {@code pop_hyp_memcache}: a page for a table; the caller checked {@link #nrPages()}. */
    long pop() {
        return pages.pop();
    }

    /** {@code mc->nr_pages}. */
    int nrPages() {
        return pages.size();
    }

    /** Takes every page out, for teardown. */
    long[] drain() {
        long[] all = pages.stream().mapToLong(Long::longValue).toArray();
        pages.clear();
        return all;
    }
}
