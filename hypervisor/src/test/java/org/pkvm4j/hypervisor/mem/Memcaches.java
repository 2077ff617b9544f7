package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.pkvm4j.machine.Dram;

/** Seeds vCPU memcaches, as the kernel's ownership selftest seeds its VM's. */
final class Memcaches {
    private Memcaches() {
    }

    /** Refills vCPU {@code vcpu} of {@code handle} with the host pages {@code [firstPfn, firstPfn + n)}, one call each. */
    static void seed(GuestMemProtect gm, long handle, int vcpu, long firstPfn, int n) {
        for (int i = 0; i < n; i++) {
            long ret = gm.refillMemcache(handle, vcpu, (firstPfn + i) << Dram.PAGE_SHIFT, 1);
            assertTrue(ret > 0, "refill with pfn 0x" + Long.toHexString(firstPfn + i) + ": " + ret);
        }
    }
}
