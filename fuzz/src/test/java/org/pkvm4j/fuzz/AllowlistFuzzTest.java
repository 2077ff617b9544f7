package org.pkvm4j.fuzz;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.pkvm4j.host.verify.El2Allowlist;

/**
 * An EL2 allow-list file ({@code pkvm verify --allowlist}, {@code pkvm.el2_allowlist=}): parsed and
 * checked against the running JDK, or refused with the {@link IllegalArgumentException} its
 * contract names ({@code "SOURCE line N: ..."}), which the callers turn into a usage error.
 */
class AllowlistFuzzTest {
    @FuzzTest
    void parse(byte[] input) {
        String text = new String(input, UTF_8);
        Contract.succeedsOrRefuses("allow-list", () -> {
            try {
                El2Allowlist.parse("fuzz.conf", text);
            } catch (IllegalArgumentException e) {
                if (!String.valueOf(e.getMessage()).startsWith("fuzz.conf")) {
                    throw new AssertionError("an allow-list error that does not name the file: " + e.getMessage(), e);
                }
                throw e;
            }
        }, IllegalArgumentException.class);
    }
}
