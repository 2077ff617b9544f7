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
import org.pkvm4j.api.SysReg;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.trace.TraceFile;
import org.pkvm4j.machine.CpuPin;
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
            try (CpuPin pin = machine.pinCurrentThread(cpu)) {
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
