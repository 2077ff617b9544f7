package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import org.pkvm4j.host.abi.ModVersions;

/** A module file's {@code modversions} record: parsed, or refused with an {@link IOException} naming the line. */
class ModVersionsFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        Contract.succeedsOrRefuses("modversions", () -> {
            ModVersions v = ModVersions.parse("fuzz.jar", input);
            // What the reader accepts, the writer writes back to the same record (modpost stamps it).
            ModVersions again = ModVersions.parse("fuzz.jar", v.format().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (!again.equals(v)) {
                throw new AssertionError("modversions does not read back what it writes: " + v + " became " + again);
            }
        }, IOException.class);
    }
}
