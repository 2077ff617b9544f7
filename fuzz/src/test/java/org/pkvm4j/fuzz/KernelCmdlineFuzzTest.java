package org.pkvm4j.fuzz;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.diag.BootConfigException;

/**
 * The kernel command line ({@code pkvm boot --cmdline}, a boot script's device options): parsed
 * into the boot's configuration, or refused with a {@link BootConfigException} naming the
 * parameter.
 */
class KernelCmdlineFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, UTF_8);
        Contract.succeedsOrRefuses("cmdline", () -> {
            KernelCmdline c = KernelCmdline.parse(text);
            // Every derived value is read as the boot reads it: a lazy parse may fail only here.
            c.mode();
            c.protectedModules();
            c.machineConfig();
            c.hypLockupMillis();
            c.hypBudgetMillis();
        }, BootConfigException.class);
    }
}
