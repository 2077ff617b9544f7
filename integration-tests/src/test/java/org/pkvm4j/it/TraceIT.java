package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.trace.TraceFile;
import org.pkvm4j.machine.CpuPin;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/** {@code --trace}: the Chrome/Perfetto trace-event JSON of a boot, parsed back. */
class TraceIT {

    private static List<Map<String, Object>> events(String trace) {
        Map<String, Object> doc = Json.object(Json.parse(trace));
        assertEquals("ns", doc.get("displayTimeUnit"));
        return Json.array(doc.get("traceEvents")).stream().map(Json::object).toList();
    }

    private static List<Map<String, Object>> named(List<Map<String, Object>> events, String ph, String name) {
        return events.stream().filter(e -> ph.equals(e.get("ph")) && name.equals(e.get("name"))).toList();
    }

    private static Map<String, Object> args(Map<String, Object> event) {
        return Json.object(event.get("args"));
    }

    private static int tid(Map<String, Object> event) {
        return ((Double) event.get("tid")).intValue();
    }

    /**
     * Scenario: a protected device boots with a trace; module handlers run on two pinned CPUs and a
     * late pKVM module is refused. The trace names the process and every CPU, has each boot step and
     * each modprobe (with its result and code), and every handler span on the CPU that ran it.
     */
    @Test
    void traceHasStepsModuleLoadsAndHandlerSpansPerCpu() throws Exception {
        Path initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "kvstore");
        Devices.addBundled(initramfs, "percpu_counter");
        StringWriter out = new StringWriter();
        int[] cpus = new int[2];
        try (TraceFile trace = TraceFile.to(out, 1024)) {
            HostKernel kernel = HostKernel.boot(BootConfig.of(
                    "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore nr_cpus=4", initramfs), trace);
            assertTrue(kernel.bootReport().deprivileged());
            Pkvm driver = kernel.pkvm("pkvm_driver").orElseThrow();
            var hvc = kernel.lsmod().getFirst().hvcs().getFirst();
            for (int t = 0; t < 2; t++) {
                int slot = t;
                Thread thread = Thread.ofPlatform().start(() -> {
                    try (CpuPin pin = kernel.machine().pinCurrentThread()) {
                        cpus[slot] = pin.cpu().id();
                        for (int i = 0; i < 3; i++) {
                            driver.el2ModCall(hvc);
                        }
                    }
                });
                thread.join(); // one after the other: the second thread may pin the same CPU or another
            }
            assertThrows(RuntimeException.class, () -> kernel.modprobe("percpu_counter"));
        }
        String text = out.toString();
        List<Map<String, Object>> events = events(text);
        assertEquals(0.0, Json.object(Json.object(Json.parse(text)).get("otherData")).get("droppedEvents"));

        assertEquals("pkvm4j device", args(named(events, "M", "process_name").getFirst()).get("name"));
        List<Object> threadNames = named(events, "M", "thread_name").stream().map(e -> args(e).get("name")).toList();
        assertTrue(threadNames.containsAll(List.of("EL1 boot", "CPU0 (EL2)", "CPU1 (EL2)", "CPU2 (EL2)", "CPU3 (EL2)")),
                threadNames::toString);

        List<Map<String, Object>> steps = events.stream().filter(e -> "boot".equals(e.get("cat"))).toList();
        assertEquals(List.of("1. parse command line", "2. machine and hypervisor", "3. mount initramfs",
                "4. load protected modules", "5. deprivilege"), steps.stream().map(e -> e.get("name")).toList());
        for (Map<String, Object> e : events) {
            if ("X".equals(e.get("ph"))) {
                assertTrue((Double) e.get("dur") >= 0 && (Double) e.get("ts") >= 0, e::toString);
                assertEquals(1.0, e.get("pid"));
            }
        }
        Map<String, Object> driverLoad = named(events, "X", "modprobe pkvm_driver").getFirst();
        assertEquals("ok", args(driverLoad).get("result"));
        assertEquals(1, named(events, "X", "modprobe kvstore").size());
        Map<String, Object> late = args(named(events, "X", "modprobe percpu_counter").getFirst());
        assertTrue(((String) late.get("result")).startsWith("EOPNOTSUPP"), late::toString);
        assertEquals("PKVM-LOAD-AFTER-DEPRIVILEGE", late.get("code"));

        List<Map<String, Object>> spans = named(events, "X", "pkvm_driver_hyp_hvc");
        assertTrue(spans.stream().allMatch(e -> "el2".equals(e.get("cat")) && "pkvm_driver".equals(args(e).get("module"))
                && (Double) args(e).get("hvc") >= 128));
        for (int cpu : cpus) {
            long onCpu = spans.stream().filter(e -> tid(e) == cpu).count();
            assertTrue(onCpu >= (cpus[0] == cpus[1] ? 6 : 3), "handler spans on CPU" + cpu + ": " + onCpu);
        }
    }

    /** Scenario: a handler panics the hypervisor; the trace has the panic as an instant event on that CPU. */
    @Test
    void hypPanicIsAnInstantEventWithTheReport() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "handler-panics");
        StringWriter out = new StringWriter();
        HypPanic panic;
        try (TraceFile trace = TraceFile.to(out, 64)) {
            HostKernel kernel = HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=" + name,
                    initramfs), trace);
            assertThrows(HypPanicException.class, () -> kernel.ioctl("handler_panics", 0, 0));
            panic = kernel.panic().orElseThrow();
        }
        List<Map<String, Object>> events = events(out.toString());
        List<Map<String, Object>> panics = named(events, "i", "hyp_panic");
        assertEquals(1, panics.size());
        Map<String, Object> p = panics.getFirst();
        assertEquals(panic.cpu(), tid(p));
        assertEquals("t", p.get("s"));
        assertTrue(((String) args(p).get("reason")).contains("handler_panics_hvc of module handler_panics"), p::toString);
        assertTrue(((String) args(p).get("detail")).contains("NullPointerException"));
        Map<String, Object> span = named(events, "X", "handler_panics_hvc").getLast();
        assertEquals(panic.cpu(), tid(span), "the span of the handler that panicked ends on its CPU");
    }

    /** Scenario: a boot refused at step 1 (a malformed command line) still leaves a well-formed trace, with no step. */
    @Test
    void refusedBootLeavesAWellFormedTrace() {
        StringWriter out = new StringWriter();
        try (TraceFile trace = TraceFile.to(out, 4)) {
            assertThrows(org.pkvm4j.host.diag.BootConfigException.class, () -> HostKernel.boot(
                    BootConfig.of("kvm-arm.mode=protected nr_cpus=lots", Devices.newInitramfs()), trace));
        }
        List<Map<String, Object>> events = events(out.toString());
        assertTrue(events.stream().noneMatch(e -> "X".equals(e.get("ph"))), events::toString);
        assertEquals(1, named(events, "M", "process_name").size());
    }

    /** Scenario: more spans than a CPU's buffer holds: the trace stays bounded and counts what it lost. */
    @Test
    void fullBuffersDropSpansAndCountThem() {
        StringWriter out = new StringWriter();
        try (TraceFile trace = TraceFile.to(out, 4)) {
            Path initramfs = Devices.newInitramfs();
            Devices.addBundled(initramfs, "pkvm_driver");
            HostKernel kernel = HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver",
                    initramfs), trace);
            Pkvm driver = kernel.pkvm("pkvm_driver").orElseThrow();
            var hvc = kernel.lsmod().getFirst().hvcs().getFirst();
            try (CpuPin _ = kernel.machine().pinCurrentThread()) {
                for (int i = 0; i < 10; i++) {
                    driver.el2ModCall(hvc);
                }
            }
        }
        Map<String, Object> doc = Json.object(Json.parse(out.toString()));
        assertEquals(6.0, Json.object(doc.get("otherData")).get("droppedEvents"));
        assertFalse(named(events(out.toString()), "X", "pkvm_driver_hyp_hvc").isEmpty());
    }
}
