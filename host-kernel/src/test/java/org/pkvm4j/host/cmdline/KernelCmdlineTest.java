package org.pkvm4j.host.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.host.diag.BootConfigException;

class KernelCmdlineTest {

    private static void assertRefused(String cmdline, String mustMention) {
        BootConfigException e = assertThrows(BootConfigException.class, () -> KernelCmdline.parse(cmdline));
        assertTrue(e.getMessage().contains(mustMention), () -> "'" + e.getMessage() + "' should name " + mustMention);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "quiet"})
    void defaultsAreNvheFourCpusOneGib(String cmdline) {
        KernelCmdline c = KernelCmdline.parse(cmdline);
        assertEquals(KvmMode.NVHE, c.mode());
        assertFalse(c.isProtectedMode());
        assertEquals(4, c.machineConfig().nrCpus());
        assertEquals(1L << 30, c.machineConfig().memBytes());
        assertTrue(c.protectedModules().isEmpty());
    }

    @Test
    void protectedModeAndModules() {
        KernelCmdline c = KernelCmdline.parse("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm-pl011,pkvm_driver");
        assertEquals(KvmMode.PROTECTED, c.mode());
        assertTrue(c.isProtectedMode());
        assertEquals(List.of("pkvm_pl011", "pkvm_driver"), c.protectedModules().names());
    }

    @Test
    void quotedValuesMayHoldSpaces() {
        KernelCmdline c = KernelCmdline.parse("init=/bin/sh  foo.bar=\"a b  c\" quiet");
        assertEquals(Optional.of("a b  c"), c.get("foo.bar"));
        assertEquals(Optional.of("/bin/sh"), c.get("init"));
        assertEquals(List.of("init", "foo.bar", "quiet"), new ArrayList<>(c.params().keySet()));
    }

    @Test
    void anUnterminatedQuoteIsRefused() {
        assertRefused("foo=\"a b", "quote");
    }

    // Found by fuzzing: the message quoted the whole line, with the line breaks between its words.
    @Test
    void anUnterminatedQuoteIsQuotedFromTheQuoteOn() {
        BootConfigException e = assertThrows(BootConfigException.class, () -> KernelCmdline.parse("quiet\r\nfoo=\"a b"));
        assertEquals("unterminated quote in kernel command line at 11: \"a b", e.getMessage());
    }

    // Found by fuzzing (KernelCmdlineFuzzTest): messages quote values, so a value must be printable.
    @ParameterizedTest
    @ValueSource(strings = {"mem=1\u0000G", "init=\"a\nb\"", "kvm-arm.mode=\u001b[2Jprotected", "foo=\u0085", "x=\"\u2028\""})
    void aControlCharacterInAParameterIsRefusedAndNotQuoted(String cmdline) {
        BootConfigException e = assertThrows(BootConfigException.class, () -> KernelCmdline.parse(cmdline));
        assertTrue(e.getMessage().contains("control character U+"), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
    }

    @Test
    void tabsAndLineBreaksStillSeparateParameters() {
        KernelCmdline c = KernelCmdline.parse("nr_cpus=2\tmem=512M\r\nkvm-arm.mode=protected\n");
        assertEquals(2, c.machineConfig().nrCpus());
        assertTrue(c.isProtectedMode());
    }

    @Test
    void aCommandLineOverCommandLineSizeIsRefused() {
        KernelCmdline.parse("x".repeat(KernelCmdline.MAX_LENGTH));
        assertRefused("x".repeat(KernelCmdline.MAX_LENGTH + 1), "over the limit of 2048");
    }

    @Test
    void theLastDuplicateWins() {
        KernelCmdline c = KernelCmdline.parse("nr_cpus=2 kvm-arm.mode=protected nr_cpus=8 kvm-arm.mode=nvhe");
        assertEquals(8, c.machineConfig().nrCpus());
        assertEquals(KvmMode.NVHE, c.mode());
        assertEquals(Optional.of("8"), c.get("nr_cpus"));
    }

    @Test
    void unknownParametersAreKeptAndBareWordsMapToNull() {
        KernelCmdline c = KernelCmdline.parse("quiet loglevel=7 empty=");
        assertTrue(c.has("quiet"));
        assertTrue(c.params().containsKey("quiet"));
        assertNull(c.params().get("quiet"));
        assertEquals(Optional.empty(), c.get("quiet"));
        assertEquals(Optional.of("7"), c.get("loglevel"));
        assertEquals(Optional.of(""), c.get("empty"));
        assertFalse(c.has("absent"));
        assertEquals("quiet loglevel=7 empty=", c.raw());
    }

    @Test
    void paramsCannotBeModified() {
        KernelCmdline c = KernelCmdline.parse("quiet");
        assertThrows(UnsupportedOperationException.class, () -> c.params().put("x", "y"));
    }

    @ParameterizedTest
    @CsvSource({"1, 1", "2, 2", "256, 256"})
    void nrCpusParses(String value, int expected) {
        assertEquals(expected, KernelCmdline.parse("nr_cpus=" + value).machineConfig().nrCpus());
    }

    @ParameterizedTest
    @ValueSource(strings = {"nr_cpus=0", "nr_cpus=x", "nr_cpus=257", "nr_cpus=-1", "nr_cpus=", "nr_cpus"})
    void badNrCpusIsRefusedNamingTheParameter(String param) {
        assertRefused(param, "nr_cpus");
    }

    @ParameterizedTest
    @CsvSource({"mem=64G, 68719476736", "mem=512M, 536870912", "mem=4096, 4096", "mem=4k, 4096",
        "mem=1T, 1099511627776", "mem=2g, 2147483648"})
    void memParses(String param, long bytes) {
        assertEquals(bytes, KernelCmdline.parse(param).machineConfig().memBytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mem=12345", "mem=abc", "mem=", "mem=0", "mem=-4096", "mem=G", "mem=1X",
        "mem=99999999999T"})
    void badMemIsRefusedNamingTheParameter(String param) {
        assertRefused(param, "mem=");
    }

    @Test
    void badModeIsRefused() {
        assertRefused("kvm-arm.mode=pkvm", "kvm-arm.mode");
        assertRefused("kvm-arm.mode", "kvm-arm.mode");
    }

    @Test
    void protectedModulesWithoutAValueIsRefused() {
        assertRefused("kvm-arm.mode=protected kvm-arm.protected_modules", "kvm-arm.protected_modules");
    }

    @Test
    void protectedModulesWithAnEmptyValueIsNone() {
        assertTrue(KernelCmdline.parse("kvm-arm.protected_modules=").protectedModules().isEmpty());
    }

    @Test
    void aBadModuleListIsRefused() {
        assertRefused("kvm-arm.protected_modules=a,,b", "kvm-arm.protected_modules");
    }
}
