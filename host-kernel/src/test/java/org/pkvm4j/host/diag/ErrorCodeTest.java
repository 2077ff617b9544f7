package org.pkvm4j.host.diag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.cmdline.KernelCmdline;

/** The error-code table: unique, well formed, every code documented, and read back from refusals. */
class ErrorCodeTest {
    private static String doc() throws Exception {
        Path root = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
        return Files.readString(root.resolve(ErrorCode.DOC));
    }

    @Test
    void codesAreUniqueAndWellFormed() {
        Set<String> seen = new HashSet<>();
        for (ErrorCode c : ErrorCode.values()) {
            assertTrue(c.code().matches("PKVM(-[A-Z0-9]+)+"), c.code());
            assertTrue(seen.add(c.code()), "duplicate code " + c.code());
            assertTrue(!c.description().isBlank() && !c.description().endsWith("."), c::description);
            assertEquals(ErrorCode.DOC + "#" + c.code().toLowerCase(), c.docLink());
        }
    }

    @Test
    void everyCodeIsDocumentedOnceWithItsDescriptionAndTheDocNamesNoOtherCode() throws Exception {
        String doc = doc();
        for (ErrorCode c : ErrorCode.values()) {
            assertEquals(1, count(doc, "(?m)^## " + Pattern.quote(c.code()) + "$"), "one section for " + c.code());
            assertTrue(doc.contains("| [`" + c.code() + "`](#" + c.anchor() + ") | " + c.description() + " |"),
                    "table row of " + c.code() + " with the enum's description");
        }
        Set<String> known = new HashSet<>(Arrays.stream(ErrorCode.values()).map(ErrorCode::code).toList());
        Matcher m = Pattern.compile("(?m)^## (\\S+)$").matcher(doc);
        while (m.find()) {
            assertTrue(known.contains(m.group(1)), "documented code " + m.group(1) + " is not in ErrorCode");
        }
    }

    @Test
    void refusalsCarryTheirCodes() {
        BootConfigException bad = org.junit.jupiter.api.Assertions.assertThrows(BootConfigException.class,
                () -> KernelCmdline.parse("nr_cpus=lots"));
        assertEquals(ErrorCode.BOOT_CMDLINE, ErrorCode.of(bad));
        assertEquals(ErrorCode.BOOT_CONFIG, ErrorCode.of(new BootConfigException("x")));
        assertEquals(ErrorCode.LOAD_UNKNOWN_SYMBOL,
                ErrorCode.of(new Refusal(ErrorCode.LOAD_UNKNOWN_SYMBOL, Errno.ENOENT, "m: Unknown symbol s")));
        assertEquals(ErrorCode.HVC_NOT_SUPPORTED, ErrorCode.of(PkvmException.ofSmcccStatus(Smccc.RET_NOT_SUPPORTED, "HVC")));
        assertEquals(ErrorCode.HVC_INVALID_PARAMETER,
                ErrorCode.of(PkvmException.ofSmcccStatus(Smccc.RET_INVALID_PARAMETER, "HVC")));
        assertEquals(ErrorCode.ERRNO, ErrorCode.of(new PkvmException(Errno.ENOMEM, "full")));
        assertEquals(ErrorCode.LOAD_INIT_FAILED, ErrorCode.ofLoad(new PkvmException(Errno.ENODEV, "init")));
    }

    private static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
