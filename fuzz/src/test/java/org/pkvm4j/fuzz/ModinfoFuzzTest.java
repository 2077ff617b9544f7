package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.pkvm4j.host.initramfs.Modinfo;

/**
 * A module file's {@code modinfo} record: parsed, or refused with the {@link IOException} its
 * contract names (the module file reader turns it into an ENOEXEC refusal).
 */
class ModinfoFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        Contract.succeedsOrRefuses("modinfo", () -> {
            Modinfo m = Modinfo.parse("fuzz.jar", input);
            if (m.name().isEmpty() || m.depends().contains("")) {
                throw new AssertionError("modinfo accepted an empty module name: " + m);
            }
        }, IOException.class);
    }
}
