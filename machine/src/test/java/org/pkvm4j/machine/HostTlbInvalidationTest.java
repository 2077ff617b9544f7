package org.pkvm4j.machine;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The host stage-2's TLB invalidation ({@link Dram}): after a page word that takes host access away,
 * no host access that passed the old check takes effect (stores in flight are waited out, loads
 * drop their value and retry). Kernel
 * counterpart: the {@code TLBI} + {@code DSB ISH} of {@code kvm_pgtable_stage2_unmap} /
 * {@code host_stage2_set_owner_locked} on the host stage-2, which a transition such as {@code
 * __pkvm_guest_unshare_host} completes before it returns.
 */
class HostTlbInvalidationTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final long MARKER = 0x6775_6573_7421L;

    private final Machine machine = new Machine(new MachineConfig(1, 16 * PAGE));
    private final HypMemory hyp = machine.takeHypPlatform().memory();
    private final long pa = Dram.BASE + 3 * PAGE;
    private final long pfn = pa >>> Dram.PAGE_SHIFT;

    private void setHostState(PageState state) {
        hyp.setPageWord(pfn, HypPage.withHostState(hyp.pageWord(pfn), state));
    }

    /** Scenario: a store in flight on the page holds back a change that takes write access away; one on another page does not. */
    @Test
    void anUnmapWaitsForTheStoreInFlightToItsPage() {
        machine.hostMemory().store64(pa, 1); // commits the chunk, and its TLB state
        int[] tlb = Dram.tlbOf(machine.dram().tlbs(), 0);
        Dram.beginStore(tlb, 4); // another page: not waited for
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> setHostState(PageState.NOPAGE));
        setHostState(PageState.OWNED);
        Dram.endStore(tlb, 4);

        Dram.beginStore(tlb, 3); // a host store to the page, past its check
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> setHostState(PageState.SHARED_OWNED),
                "a change that keeps the host's access waits for nothing");
        CompletableFuture<Void> unmap = CompletableFuture.runAsync(() -> setHostState(PageState.NOPAGE));
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10)).until(() -> !unmap.isDone());
        Dram.endStore(tlb, 3);
        await().atMost(Duration.ofSeconds(10)).until(unmap::isDone);
        assertEquals(PageState.NOPAGE, HypPage.hostState(hyp.pageWord(pfn)));
    }

    /**
     * Scenario: a load that passed its check when the page leaves the host must not use its value,
     * even if the page is the host's again with the very same word by the time it looks (ABA): the
     * load sequence moved.
     */
    @Test
    void aLoadThatPassedTheOldCheckDropsItsValue() {
        machine.hostMemory().store64(pa, 1);
        int[] tlb = Dram.tlbOf(machine.dram().tlbs(), 0);
        int seq = Dram.loadSeq(tlb, 3);
        assertTrue(HypPage.hostReadable(Dram.wordForAccess(machine.dram().metas(), 0, 3)), "the load's check passes");
        assertTrue(Dram.loadSeqUnchanged(tlb, 3, seq), "nothing happened yet");
        long before = hyp.pageWord(pfn);
        setHostState(PageState.SHARED_OWNED);
        assertTrue(Dram.loadSeqUnchanged(tlb, 3, seq), "a change that keeps read access invalidates nothing");
        setHostState(PageState.NOPAGE);
        hyp.setPageWord(pfn, before);
        assertEquals(before, hyp.pageWord(pfn));
        assertFalse(Dram.loadSeqUnchanged(tlb, 3, seq), "the page left the host: the value read may be the new owner's");
        assertEquals(1, machine.hostMemory().load64(pa), "a fresh load reads it");
    }

    /**
     * Scenario (a race, many rounds): a host thread reads the page in a loop while it is the host's;
     * the hypervisor takes it away and, as its new owner, writes a marker. No read that returned may
     * return the marker: before the model, a read that passed its check could still return the
     * contents written after the unmap.
     */
    @Test
    void noHostReadReturnsWhatTheNewOwnerWroteAfterTheUnmap() throws Exception {
        HostMemory host = machine.hostMemory();
        AtomicLong reads = new AtomicLong();
        for (int round = 0; round < 300; round++) {
            setHostState(PageState.OWNED);
            hyp.store64(pa, round);
            CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
                long seenMarker = 0;
                try {
                    while (true) {
                        if (host.load64(pa) == MARKER) {
                            seenMarker++;
                        }
                        reads.incrementAndGet();
                    }
                } catch (Stage2Fault expected) {
                    return seenMarker; // the page is no longer the host's
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> reads.get() > 0);
            setHostState(PageState.NOPAGE);
            hyp.store64(pa, MARKER);
            assertEquals(0L, reader.get(), "round " + round + ": a host read returned data written after the unmap");
            reads.set(0);
        }
        assertTrue(host.isAccessible(Dram.BASE), "other pages untouched");
    }
}
