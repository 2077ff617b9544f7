package org.pkvm4j.testkit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.machine.Machine;

/** The conditions, awaited with Awaitility while another thread works on the device. */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(initramfs = "${pkvm4j.testkit.modules}", modules = "${pkvm4j.testkit.modules}/pkvm_driver.jar")
class PkvmConditionsTest {
    private static final Duration AT_MOST = Duration.ofSeconds(10);

    @Test
    void awaitsALogLineAnotherThreadCauses(HostKernel kernel, KernelLog log) throws Exception {
        assertFalse(PkvmConditions.logHasLine(log, "hello from EL1").call());
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                kernel.modprobe("hello_el1");
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        await().atMost(AT_MOST).until(() -> failed.get() != null || PkvmConditions.logHasLine(log, "hello from EL1").call());
        t.join(AT_MOST);
        if (failed.get() != null) {
            throw new AssertionError("modprobe failed", failed.get());
        }
        await().atMost(AT_MOST).until(PkvmConditions.logLineCount(log, "hello from EL1"), n -> n == 1);
    }

    @Test
    void awaitsUartOutput(Machine machine, KernelLog log) throws Exception {
        assertFalse(PkvmConditions.uartHasLine(log, "from another thread").call());
        Thread t = Thread.ofPlatform().start(() -> {
            for (byte b : "written from another thread\n".getBytes(StandardCharsets.US_ASCII)) {
                machine.hostMemory().store8(Machine.UART_PA, b);
            }
        });
        await().atMost(AT_MOST).until(PkvmConditions.uartHasLine(log, "^written from another thread$"));
        t.join(AT_MOST);
        // The same text at EL1 is no UART output.
        assertFalse(PkvmConditions.uartHasLine(log, "Booting pkvm4j").call());
    }
}
