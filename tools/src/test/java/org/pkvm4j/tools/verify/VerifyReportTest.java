package org.pkvm4j.tools.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.diag.BootConfigException;

/** The report's allow-list choice and its verdict (modules are verified end to end by the CLI's VerifyCommandTest). */
class VerifyReportTest {
    @TempDir
    Path dir;

    @Test
    void noAllowlistFileMeansTheBundledAllowlist() {
        assertEquals(org.pkvm4j.host.verify.El2Allowlist.bundled().source(), VerifyReport.allowlist(null).source());
    }

    @Test
    void anUnreadableOrMalformedAllowlistIsAConfigurationError() throws IOException {
        BootConfigException missing = assertThrows(BootConfigException.class, () -> VerifyReport.allowlist(dir.resolve("none.conf")));
        assertTrue(missing.getMessage().startsWith("cannot read allow-list"), missing.getMessage());
        Path bad = Files.writeString(dir.resolve("bad.conf"), "this is not a rule\n");
        BootConfigException malformed = assertThrows(BootConfigException.class, () -> VerifyReport.allowlist(bad));
        assertTrue(malformed.getMessage().startsWith("malformed allow-list"), malformed.getMessage());
    }

    @Test
    void passesOnlyWithoutRefusalsOrViolations() {
        VerifyReport ok = new VerifyReport("m", List.of(new VerifyReport.Step("descriptors", "fine", null)), List.of(), "none", "p");
        VerifyReport refused = new VerifyReport("m", List.of(new VerifyReport.Step("abi", null,
                new PkvmException(Errno.ENOEXEC, "bad"))), List.of(), "none", "p");
        assertTrue(ok.passed());
        assertFalse(refused.passed());
    }
}
