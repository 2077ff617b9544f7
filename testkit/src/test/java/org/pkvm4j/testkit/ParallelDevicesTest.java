package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Machine;

/**
 * {@link PkvmBoot} tests under JUnit's parallel execution ({@code
 * junit.jupiter.execution.parallel.enabled}, set for this module's tests): three tests, three
 * devices alive at once (a barrier of three holds each test until all have booted; run one at a
 * time, the first would time out), and none sees another's handler state, log lines or CPUs.
 */
@Execution(ExecutionMode.CONCURRENT)
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar")
class ParallelDevicesTest {
    private static final int TESTS = 3;
    private static final CyclicBarrier ALL_BOOTED = new CyclicBarrier(TESTS);
    private static final Map<Integer, Machine> MACHINES = new ConcurrentHashMap<>();

    @Test
    @PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar", nrCpus = 1)
    void oneCpu(HostKernel kernel, @Module("kvstore") ModuleHvcs kvstore) throws Exception {
        useAlone(1, kernel, kvstore);
    }

    @Test
    @PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar", nrCpus = 2)
    void twoCpus(HostKernel kernel, @Module("kvstore") ModuleHvcs kvstore) throws Exception {
        useAlone(2, kernel, kvstore);
    }

    @Test
    @PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar", nrCpus = 3)
    void threeCpus(HostKernel kernel, @Module("kvstore") ModuleHvcs kvstore) throws Exception {
        useAlone(3, kernel, kvstore);
    }

    /** Writes this device's own entry, waits until every device is up, then checks it saw only its own. */
    private static void useAlone(int n, HostKernel kernel, ModuleHvcs kvstore) throws Exception {
        assertEquals(0, kvstore.call(0, n, 100 + n), "kvstore_put");
        MACHINES.put(n, kernel.machine());
        ALL_BOOTED.await(2, TimeUnit.MINUTES);
        // Each test writes again while the others do: the EL2 stores stay apart.
        for (int i = 0; i < 50; i++) {
            assertEquals(0, kvstore.call(0, n, 100 + n + i));
        }
        assertEquals(1, kvstore.call(3), "kvstore_count: one entry, this device's own");
        assertEquals(100 + n + 49, kvstore.callSmccc(1, n, 0, 0).a2(), "kvstore_get");
        for (int other = 1; other <= TESTS; other++) {
            if (other != n) {
                assertEquals(Errno.ENOENT.negated(), kvstore.call(2, other), "kvstore_del of another device's key");
            }
        }
        KernelLog log = kernel.log();
        List<String> cmdlines = log.lines().stream().filter(l -> l.contains("Kernel command line:")).toList();
        assertEquals(1, cmdlines.size(), cmdlines.toString());
        assertTrue(cmdlines.getFirst().endsWith("nr_cpus=" + n + " mem=256M"), cmdlines.toString());
        assertTrue(log.lines().stream().anyMatch(l -> l.contains("Booting pkvm4j on " + n + " CPUs")), log.lines().toString());
        Machine mine = kernel.machine();
        assertEquals(n, mine.nrCpus());
        for (Map.Entry<Integer, Machine> e : MACHINES.entrySet()) {
            if (e.getKey() != n) {
                assertNotSame(mine, e.getValue());
                for (Cpu cpu : mine.cpus()) {
                    assertTrue(e.getValue().cpus().stream().noneMatch(c -> c == cpu), "CPU " + cpu + " shared");
                }
            }
        }
    }

    @AfterAll
    static void everyDeviceWasUpAtOnce() {
        assertEquals(TESTS, MACHINES.size());
    }
}
