package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EBUSY;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EINVAL;
import static org.pkvm4j.hypervisor.mem.MemProtectTest.EPERM;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.HypPage;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.PageState;
import org.pkvm4j.machine.Stage2Fault;

/**
 * Random sequences of host/hyp transitions on a 64-page DRAM, with fixed seeds.
 *
 * <p>Single-threaded, against a reference model: every call's exact result and every page's exact
 * state after it. Multi-threaded, several CPUs' worth of threads racing on the same pages: the global
 * invariants on a locked snapshot after every step, pins balanced against what the threads hold, and
 * at the end, once everything is given back, every page host-owned and host-accessible.
 */
class MemInvariantsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    private static final int NR_PAGES = 64;
    private static final long BASE_PFN = Dram.BASE / PAGE;

    private final Machine machine = new Machine(new MachineConfig(4, NR_PAGES * PAGE));
    private final MemProtect mp = new MemProtect(machine.takeHypPlatform().memory());

    /** The global invariants on one consistent snapshot; {@code pinsHeld} null skips the pin balance. */
    private static void checkInvariants(long[] words, AtomicIntegerArray pinsHeld) {
        for (int i = 0; i < words.length; i++) {
            long w = words[i];
            PageState host = HypPage.hostState(w);
            PageState hyp = HypPage.hypState(w);
            String at = "page " + i + ": " + HypPage.describe(w);
            int owners = (host == PageState.OWNED || host == PageState.SHARED_OWNED ? 1 : 0)
                    + (hyp == PageState.OWNED || hyp == PageState.SHARED_OWNED ? 1 : 0)
                    + (host == PageState.NOPAGE && HypPage.annotationOwner(w) == OwnerId.GUEST ? 1 : 0);
            assertEquals(1, owners, "exactly one owner, " + at);
            // With host and hyp only, three pairs are reachable; the annotation names the owner.
            boolean consistent = (host == PageState.OWNED && hyp == PageState.NOPAGE)
                    || (host == PageState.SHARED_OWNED && hyp == PageState.SHARED_BORROWED)
                    || (host == PageState.NOPAGE && hyp == PageState.OWNED && HypPage.annotationOwner(w) == OwnerId.HYP);
            assertTrue(consistent, "a reachable state pair, " + at);
            assertEquals(host != PageState.NOPAGE, HypPage.hostAccessible(w), "host access iff its state allows, " + at);
            assertTrue(HypPage.refcount(w) == 0 || hyp == PageState.SHARED_BORROWED, "pins only on a borrowed page, " + at);
            assertEquals(0, HypPage.shareGuestCount(w), "no guest shares without guests, " + at);
            if (pinsHeld != null) {
                assertEquals(pinsHeld.get(i), HypPage.refcount(w), "pins balance, " + at);
            }
        }
    }

    // ------------------------------------------------------------ single thread, reference model

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 0x5EED})
    void randomSequencesMatchTheReferenceModel(long seed) {
        Random rnd = new Random(seed);
        // Model indices -2..NR_PAGES+1 relative to DRAM: two non-memory pages on each side.
        PageState[] host = new PageState[NR_PAGES];
        PageState[] hyp = new PageState[NR_PAGES];
        int[] pins = new int[NR_PAGES];
        java.util.Arrays.fill(host, PageState.OWNED);
        java.util.Arrays.fill(hyp, PageState.NOPAGE);
        for (int step = 0; step < 4000; step++) {
            int p = rnd.nextInt(NR_PAGES + 4) - 2;
            int n = 1 + rnd.nextInt(4);
            long pfn = BASE_PFN + p;
            String what;
            int expected;
            int actual;
            switch (rnd.nextInt(6)) {
                case 0 -> {
                    what = "share_hyp";
                    expected = !mem(p) ? EPERM : host[p] == PageState.OWNED && hyp[p] == PageState.NOPAGE ? 0 : EPERM;
                    actual = mp.hostShareHyp(pfn);
                    if (expected == 0) {
                        host[p] = PageState.SHARED_OWNED;
                        hyp[p] = PageState.SHARED_BORROWED;
                    }
                }
                case 1 -> {
                    what = "unshare_hyp";
                    expected = !mem(p) ? EPERM
                            : host[p] == PageState.SHARED_OWNED && hyp[p] == PageState.SHARED_BORROWED
                                    ? (pins[p] > 0 ? EBUSY : 0) : EPERM;
                    actual = mp.hostUnshareHyp(pfn);
                    if (expected == 0) {
                        host[p] = PageState.OWNED;
                        hyp[p] = PageState.NOPAGE;
                    }
                }
                case 2 -> {
                    what = "pin";
                    expected = rangeCheck(p, n);
                    if (expected == 0 && !all(host, p, n, PageState.SHARED_OWNED)) {
                        expected = EPERM;
                    }
                    actual = mp.hypPinSharedMem(pfn * PAGE, (pfn + n) * PAGE);
                    if (expected == 0) {
                        for (int i = p; i < p + n; i++) {
                            pins[i]++;
                        }
                    }
                }
                case 3 -> {
                    what = "unpin";
                    boolean ok = true;
                    for (int i = p; i < p + n; i++) {
                        ok &= mem(i) && pins[i] > 0;
                    }
                    if (ok) {
                        mp.hypUnpinSharedMem(pfn * PAGE, (pfn + n) * PAGE);
                        for (int i = p; i < p + n; i++) {
                            pins[i]--;
                        }
                    } else {
                        assertThrows(IllegalStateException.class, () -> mp.hypUnpinSharedMem(pfn * PAGE, (pfn + n) * PAGE));
                    }
                    expected = 0;
                    actual = 0;
                }
                case 4 -> {
                    what = "donate_hyp";
                    expected = rangeCheck(p, n);
                    if (expected == 0 && !(all(host, p, n, PageState.OWNED) && all(hyp, p, n, PageState.NOPAGE))) {
                        expected = EPERM;
                    }
                    actual = mp.hostDonateHyp(pfn, n);
                    if (expected == 0) {
                        for (int i = p; i < p + n; i++) {
                            host[i] = PageState.NOPAGE;
                            hyp[i] = PageState.OWNED;
                        }
                    }
                }
                default -> {
                    what = "donate_host";
                    // The hyp check comes first, and a non-memory page reads as hyp NOPAGE.
                    boolean ok = true;
                    for (int i = p; i < p + n; i++) {
                        ok &= mem(i) && hyp[i] == PageState.OWNED;
                    }
                    expected = ok ? 0 : EPERM;
                    actual = mp.hypDonateHost(pfn, n);
                    if (ok) {
                        for (int i = p; i < p + n; i++) {
                            host[i] = PageState.OWNED;
                            hyp[i] = PageState.NOPAGE;
                        }
                    }
                }
            }
            String ctx = "seed %d step %d: %s(page %d, %d pages)".formatted(seed, step, what, p, n);
            assertEquals(expected, actual, ctx);
            long[] words = mp.snapshot(BASE_PFN, NR_PAGES);
            for (int i = 0; i < NR_PAGES; i++) {
                assertEquals(host[i], HypPage.hostState(words[i]), ctx + ", host state of page " + i);
                assertEquals(hyp[i], HypPage.hypState(words[i]), ctx + ", hyp state of page " + i);
                assertEquals(pins[i], HypPage.refcount(words[i]), ctx + ", pins of page " + i);
            }
            checkInvariants(words, null);
        }
    }

    private static boolean mem(int p) {
        return p >= 0 && p < NR_PAGES;
    }

    private static boolean all(PageState[] states, int p, int n, PageState s) {
        for (int i = p; i < p + n; i++) {
            if (states[i] != s) {
                return false;
            }
        }
        return true;
    }

    /** {@code check_range_allowed_memory} over pages: -EINVAL straddling, -EPERM outside memory. */
    private static int rangeCheck(int p, int n) {
        int first = p < 0 ? 0 : p < NR_PAGES ? 1 : 2;
        int last = p + n - 1 < 0 ? 0 : p + n - 1 < NR_PAGES ? 1 : 2;
        return first != last ? EINVAL : first != 1 ? EPERM : 0;
    }

    // ------------------------------------------------------------ several threads, invariants

    @ParameterizedTest
    @ValueSource(longs = {7, 42})
    void concurrentTransitionsKeepTheInvariants(long seed) throws Exception {
        int threads = 4;
        int steps = 1500;
        AtomicIntegerArray pinsHeld = new AtomicIntegerArray(NR_PAGES);
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        HostMemory hostMem = machine.hostMemory();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long threadSeed = seed * 31 + t;
                workers.add(pool.submit(() -> {
                    Random rnd = new Random(threadSeed);
                    List<Integer> myPins = new ArrayList<>();
                    int successes = 0;
                    start.await();
                    for (int step = 0; step < steps; step++) {
                        int p = rnd.nextInt(NR_PAGES);
                        long pfn = BASE_PFN + p;
                        int r;
                        switch (rnd.nextInt(6)) {
                            case 0 -> r = mp.hostShareHyp(pfn);
                            case 1 -> r = mp.hostUnshareHyp(pfn);
                            case 2 -> {
                                // Count the pin before making it, so a snapshot never sees more pins than held.
                                pinsHeld.incrementAndGet(p);
                                r = mp.hypPinSharedMem(pfn * PAGE, pfn * PAGE + 8);
                                if (r == 0) {
                                    myPins.add(p);
                                } else {
                                    pinsHeld.decrementAndGet(p);
                                }
                            }
                            case 3 -> {
                                if (myPins.isEmpty()) {
                                    r = 0;
                                } else {
                                    int q = myPins.remove(rnd.nextInt(myPins.size()));
                                    mp.hypUnpinSharedMem((BASE_PFN + q) * PAGE, (BASE_PFN + q) * PAGE + 1);
                                    pinsHeld.decrementAndGet(q);
                                    r = 0;
                                }
                            }
                            case 4 -> r = mp.hostDonateHyp(pfn, 1 + rnd.nextInt(Math.min(3, NR_PAGES - p)));
                            default -> r = mp.hypDonateHost(pfn, 1 + rnd.nextInt(Math.min(3, NR_PAGES - p)));
                        }
                        if (r != 0 && r != EPERM && r != EBUSY) {
                            fail("unexpected result " + r);
                        }
                        successes += r == 0 ? 1 : 0;
                        checkInvariants(mp.snapshot(BASE_PFN, NR_PAGES), null);
                    }
                    for (int q : myPins) {
                        mp.hypUnpinSharedMem((BASE_PFN + q) * PAGE, (BASE_PFN + q) * PAGE + 1);
                        pinsHeld.decrementAndGet(q);
                    }
                    return successes;
                }));
            }
            // A host CPU touching the same pages meanwhile: every access either works or faults on an
            // owner other than the host.
            Future<Integer> hostAccesses = pool.submit(() -> {
                Random rnd = new Random(seed);
                int faults = 0;
                start.await();
                for (int i = 0; i < steps * 2; i++) {
                    long pa = Dram.BASE + rnd.nextInt(NR_PAGES) * PAGE + 8L * rnd.nextInt(512);
                    try {
                        hostMem.store64(pa, pa);
                        hostMem.load64(pa);
                    } catch (Stage2Fault f) {
                        assertEquals(OwnerId.HYP, f.owner());
                        faults++;
                    }
                }
                return faults;
            });
            int total = 0;
            for (Future<Integer> w : workers) {
                total += w.get(60, TimeUnit.SECONDS);
            }
            hostAccesses.get(60, TimeUnit.SECONDS);
            assertTrue(total > 0, "some transitions succeeded");
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }

        // Quiescent: every pin was dropped, and the snapshot balances against what threads hold.
        checkInvariants(mp.snapshot(BASE_PFN, NR_PAGES), pinsHeld);
        // Give everything back: unshare every shared page, donate every hyp page to the host.
        for (int p = 0; p < NR_PAGES; p++) {
            long pfn = BASE_PFN + p;
            switch (mp.hostState(pfn)) {
                case SHARED_OWNED -> assertEquals(0, mp.hostUnshareHyp(pfn));
                case NOPAGE -> assertEquals(0, mp.hypDonateHost(pfn, 1));
                default -> { }
            }
        }
        long[] words = mp.snapshot(BASE_PFN, NR_PAGES);
        checkInvariants(words, pinsHeld);
        for (int p = 0; p < NR_PAGES; p++) {
            assertEquals(HypPage.INITIAL, words[p], "page " + p + " ends host-owned with nothing else: " + HypPage.describe(words[p]));
            long pa = Dram.BASE + p * PAGE;
            assertTrue(hostMem.isAccessible(pa));
            hostMem.store64(pa, p);
            assertEquals(p, hostMem.load64(pa));
            assertFalse(mp.isHypMapped(BASE_PFN + p));
        }
    }
}
