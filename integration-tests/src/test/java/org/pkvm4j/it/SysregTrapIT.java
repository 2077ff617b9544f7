package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Psci;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.hvc.SmcGateway;
import org.pkvm4j.host.trace.TraceFile;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.Machine;

/**
 * The bundled sysreg_trap module from its real module file: its EL2 init makes the host's writes to
 * {@code SCTLR_EL1} trap (the fine-grained write trap), its EL1 init turns the trap on on every CPU,
 * and its default trap handler refuses writes that would turn the MMU or WXN off, performs the
 * others, counts both, logs refused values in an EL2 heap buffer the host had to donate pages for,
 * and traces each write as a hyp event.
 */
class SysregTrapIT {
    private static final long M = 1;
    private static final long WXN = 1L << 19;
    private static final long ON = 0x30D0_0980L | M | WXN;
    private static final int WRITE = 1;
    private static final int READ = 2;
    private static final int ALLOWED = 3;
    private static final int REFUSED = 4;
    private static final int LOG = 5;
    private static final int ENABLE = 6;
    private static final int PSCI_LOG = 7;
    private static final long CPU_SUSPEND = 0;
    private static final long SYSTEM_SUSPEND = 1;
    private static final long CPU_ENTRY = 2;

    private static HostKernel boot(TraceFile trace) {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "sysreg_trap");
        BootConfig config = BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=sysreg_trap nr_cpus=4 mem=64M",
                initramfs);
        HostKernel kernel = trace == null ? HostKernel.boot(config) : HostKernel.boot(config, trace);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        return kernel;
    }

    /**
     * Scenario: the module loads; enabling the trap took its log buffer from the EL2 heap, which had
     * no page: EL2 answered -ENOMEM with a request, the host donated one page and retried.
     */
    @Test
    void loadsAndTheHostDonatedTheHeapPageItsLogNeeded() {
        HostKernel kernel = boot(null);
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains("sysreg_trap: EL2 ready, SCTLR_EL1 writes trap on CPU")),
                kernel.log().lines().toString());
        assertEquals(1, kernel.kvm().pagesInUse(), "one host page went to the EL2 heap");
        assertEquals(0, kernel.ioctl("sysreg_trap", ALLOWED, 0));
    }

    /**
     * Scenario: the host turns the MMU and WXN on (allowed: performed at EL2), then tries to turn the
     * MMU off and to clear WXN (refused: SCTLR_EL1 keeps its value), then changes another bit
     * (allowed). EL2 counted and logged exactly that.
     */
    @Test
    void writesThatTurnTheMmuOrWxnOffAreRefusedAtEl2() {
        HostKernel kernel = boot(null);
        assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON));
        assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON & ~M), "MMU off: refused");
        assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON & ~WXN), "WXN off: refused");
        assertEquals(ON | 1L << 2, kernel.ioctl("sysreg_trap", WRITE, ON | 1L << 2), "the C bit: allowed");
        assertEquals(2, kernel.ioctl("sysreg_trap", ALLOWED, 0));
        assertEquals(2, kernel.ioctl("sysreg_trap", REFUSED, 0));
        assertEquals(ON & ~M, kernel.ioctl("sysreg_trap", LOG, 0));
        assertEquals(ON & ~WXN, kernel.ioctl("sysreg_trap", LOG, 1));
        PkvmException e = assertThrows(PkvmException.class, () -> kernel.ioctl("sysreg_trap", LOG, 2));
        assertEquals(Errno.ENOENT, e.errno());
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: the trap is on on every CPU (the EL1 init ran the enable HVC on each): a write on each
     * CPU reaches EL2. Turned off everywhere, a write that turns the MMU off goes straight to the
     * register and EL2 counts nothing.
     */
    @Test
    void theTrapIsPerCpuAndTheModuleTurnedItOnEverywhere() {
        HostKernel kernel = boot(null);
        Machine machine = kernel.machine();
        HvcGateway gateway = kernel.gateway();
        for (int cpu = 0; cpu < machine.nrCpus(); cpu++) {
            try (CpuPin _ = machine.pinCurrentThread(cpu)) {
                gateway.writeSysreg(SysReg.SCTLR_EL1, ON);
                gateway.writeSysreg(SysReg.SCTLR_EL1, 0);
                assertEquals(ON, gateway.readSysreg(SysReg.SCTLR_EL1), "CPU" + cpu);
            }
        }
        assertEquals(machine.nrCpus(), kernel.ioctl("sysreg_trap", ALLOWED, 0));
        assertEquals(machine.nrCpus(), kernel.ioctl("sysreg_trap", REFUSED, 0));

        assertEquals(0, kernel.ioctl("sysreg_trap", ENABLE, 0));
        assertEquals(0, kernel.ioctl("sysreg_trap", WRITE, 0), "untrapped: the write is the CPU's own");
        assertEquals(machine.nrCpus(), kernel.ioctl("sysreg_trap", REFUSED, 0));
    }

    /** The power events the module's PSCI notifier logged, as {cpu, event} pairs. */
    private static List<List<Long>> psciLog(HostKernel kernel) {
        List<List<Long>> events = new java.util.ArrayList<>();
        for (int n = 0; ; n++) {
            long e;
            try {
                e = kernel.ioctl("sysreg_trap", PSCI_LOG, n);
            } catch (PkvmException end) {
                assertEquals(Errno.ENOENT, end.errno());
                return events;
            }
            events.add(List.of(e >> 8, e & 0xFF));
        }
    }

    /** On CPU {@code cpu}: a write that turns the MMU off is refused by EL2 (the trap is on there). */
    private static void assertTrapOn(HostKernel kernel, int cpu) {
        long refused = kernel.ioctl("sysreg_trap", REFUSED, 0);
        try (CpuPin _ = kernel.machine().pinCurrentThread(cpu)) {
            assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON & ~M), "CPU" + cpu + ": the MMU stays on");
        }
        assertEquals(refused + 1, kernel.ioctl("sysreg_trap", REFUSED, 0));
    }

    /**
     * Scenario: CPU1 turns its MMU on, then suspends to a powerdown state, which loses its EL1 and EL2
     * system registers. On the way back pKVM loads the trap control the module set before the host
     * runs: the host's own cpu_do_resume write of SCTLR_EL1 reaches the module's handler, and a later
     * write that turns the MMU off is still refused. The notifier saw CPU_SUSPEND, then CPU_ENTRY, on CPU1.
     */
    @Test
    void theTrapSurvivesAPowerdownSuspend() {
        HostKernel kernel = boot(null);
        try (CpuPin _ = kernel.machine().pinCurrentThread(1)) {
            assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON));
            assertEquals(1, kernel.ioctl("sysreg_trap", ALLOWED, 0));
            assertEquals(Psci.RET_SUCCESS, kernel.smcGateway().cpuSuspend(1, Psci.POWER_STATE_TYPE_POWER_DOWN));
            assertEquals(2, kernel.ioctl("sysreg_trap", ALLOWED, 0), "cpu_do_resume's MSR trapped to the module");
            assertEquals(ON, kernel.ioctl("sysreg_trap", READ, 0));
        }
        assertTrapOn(kernel, 1);
        assertEquals(List.of(List.of(1L, CPU_SUSPEND), List.of(1L, CPU_ENTRY)), psciLog(kernel));
        assertEquals(Psci.RET_SUCCESS, kernel.smcGateway().cpuSuspend(1, 0), "a standby state");
        assertEquals(List.of(List.of(1L, CPU_SUSPEND), List.of(1L, CPU_ENTRY), List.of(1L, CPU_SUSPEND)), psciLog(kernel),
                "a standby is told too, and enters nothing");
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: CPU2 goes off and CPU0 switches it on again; it comes up with its EL1 registers at
     * reset, and its first MMU-on write already traps to the module (allowed), the next MMU-off write
     * is refused. The notifier saw CPU2's entry only (CPU_OFF is not notified).
     */
    @Test
    void theTrapSurvivesCpuOffAndCpuOn() {
        HostKernel kernel = boot(null);
        SmcGateway smc = kernel.smcGateway();
        assertEquals(Psci.RET_SUCCESS, smc.cpuOff(2));
        assertEquals(Psci.RET_SUCCESS, smc.cpuOn(0, 2, Dram.BASE, 0x42));
        try (CpuPin _ = kernel.machine().pinCurrentThread(2)) {
            assertEquals(SysReg.SCTLR_EL1.resetValue(), kernel.ioctl("sysreg_trap", READ, 0), "a fresh CPU");
            assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON));
        }
        assertEquals(1, kernel.ioctl("sysreg_trap", ALLOWED, 0), "the write trapped to the module");
        assertTrapOn(kernel, 2);
        assertEquals(List.of(List.of(2L, CPU_ENTRY)), psciLog(kernel));
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: CPU0 cannot suspend the system while others are on (the notifier is told before the
     * firmware refuses, as in the kernel); the other CPUs go off, CPU0 suspends the system and resumes:
     * the notifier saw SYSTEM_SUSPEND then CPU_ENTRY on CPU0, and the trap is on there; CPU3 comes
     * back on with it.
     */
    @Test
    void theTrapSurvivesSystemSuspend() {
        HostKernel kernel = boot(null);
        SmcGateway smc = kernel.smcGateway();
        try (CpuPin _ = kernel.machine().pinCurrentThread(0)) {
            assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON));
        }
        assertEquals(Psci.RET_DENIED, smc.systemSuspend(0), "other CPUs are on");
        for (int cpu = 1; cpu < kernel.machine().nrCpus(); cpu++) {
            assertEquals(Psci.RET_SUCCESS, smc.cpuOff(cpu));
        }
        assertEquals(Psci.RET_SUCCESS, smc.systemSuspend(0));
        assertTrapOn(kernel, 0);
        assertEquals(Psci.RET_SUCCESS, smc.cpuOn(0, 3, Dram.BASE, 0));
        try (CpuPin _ = kernel.machine().pinCurrentThread(3)) {
            assertEquals(ON, kernel.ioctl("sysreg_trap", WRITE, ON));
        }
        assertTrapOn(kernel, 3);
        assertEquals(List.of(List.of(0L, SYSTEM_SUSPEND), List.of(0L, SYSTEM_SUSPEND), List.of(0L, CPU_ENTRY),
                List.of(3L, CPU_ENTRY)), psciLog(kernel));
        assertTrue(kernel.panic().isEmpty());
    }

    /**
     * Scenario: another module's handler panics the hypervisor; sysreg_trap's panic notifier wrote
     * its counters to the EL2 console first, and the report came after it.
     */
    @Test
    void thePanicNotifierDumpsTheCountersBeforeTheReport() {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "sysreg_trap");
        String panics = Devices.addFixture(initramfs, "handler-panics");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=sysreg_trap," + panics
                + " nr_cpus=4 mem=64M", initramfs);
        try (CpuPin _ = kernel.machine().pinCurrentThread(3)) {
            kernel.ioctl("sysreg_trap", WRITE, ON);
            kernel.ioctl("sysreg_trap", WRITE, 0);
            assertThrows(HypPanicException.class, () -> kernel.ioctl("handler_panics", 0, 0));
        }
        List<String> lines = kernel.log().lines();
        int dump = indexOf(lines, "sysreg_trap: hyp panic on CPU3: 1 SCTLR_EL1 writes allowed, 1 refused");
        int report = indexOf(lines, "Kernel panic - not syncing: HYP panic");
        assertTrue(dump >= 0 && report > dump, lines.toString());
    }

    /**
     * Scenario: an SError becomes pending on CPU1. On a device without sysreg_trap the host takes it
     * when its next trap returns; with sysreg_trap, which unmasks SError at EL2 during host traps, the
     * next trap takes it at EL2: a hyp panic ({@code PKVM-HYP-SERROR}), after the module's panic dump.
     */
    @Test
    void anSerrorDuringAHostTrapIsFatalWithTheModule() {
        HostKernel plain = Devices.bootBundled("pkvm_driver");
        plain.machine().raiseSerror(1);
        try (CpuPin pin = plain.machine().pinCurrentThread(1)) {
            plain.ioctl("pkvm_driver", 0, 0);
            assertEquals(1, pin.cpu().hostSerrors(), "the host took it");
        }
        assertTrue(plain.panic().isEmpty());

        HostKernel kernel = boot(null);
        kernel.machine().raiseSerror(1);
        try (CpuPin pin = kernel.machine().pinCurrentThread(1)) {
            HypPanicException e = assertThrows(HypPanicException.class, () -> kernel.ioctl("sysreg_trap", WRITE, ON));
            assertTrue(e.panic().reason().startsWith("PKVM-HYP-SERROR"), e.panic().reason());
            assertEquals(0, pin.cpu().hostSerrors());
        }
        assertTrue(indexOf(kernel.log().lines(), "sysreg_trap: hyp panic on CPU1: 0 SCTLR_EL1 writes allowed, 0 refused") >= 0);
    }

    private static int indexOf(List<String> lines, String part) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }

    /** Scenario: with --trace, each write EL2 saw is an event of sysreg_trap on the CPU that made it. */
    @Test
    void eachWriteIsAHypEventInTheTraceOnItsCpu() throws Exception {
        StringWriter out = new StringWriter();
        int cpu;
        try (TraceFile trace = TraceFile.to(out, 1024)) {
            HostKernel kernel = boot(trace);
            try (CpuPin pin = kernel.machine().pinCurrentThread(2)) {
                cpu = pin.cpu().id();
                kernel.ioctl("sysreg_trap", WRITE, ON);
                kernel.ioctl("sysreg_trap", WRITE, 0);
            }
        }
        List<Map<String, Object>> events = Json.array(Json.object(Json.parse(out.toString())).get("traceEvents")).stream()
                .map(Json::object).filter(e -> "el2_event".equals(e.get("cat"))).toList();
        assertEquals(2, events.size(), events.toString());
        StringBuilder le = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            le.append(String.format("%02x", (ON >>> (8 * i)) & 0xFF));
        }
        assertEquals("hyp_event 1: " + le, events.get(0).get("name"));
        assertEquals("mod_hyp_printk fmt 1: 0x%x 0x%x 0x%x 0x0".formatted(0, ON, cpu), events.get(1).get("name"));
        for (Map<String, Object> e : events) {
            assertEquals(cpu, ((Double) e.get("tid")).intValue());
            assertEquals("sysreg_trap", Json.object(e.get("args")).get("module"));
        }
    }
}
