package org.pkvm4j.host.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.pkvm4j.host.diag.BootConfigException;

class ProtectedModulesTest {

    private static String refusal(String value) {
        return assertThrows(BootConfigException.class, () -> ProtectedModules.parse(value)).getMessage();
    }

    @Test
    void keepsTheOrderAndNormalisesDashes() {
        ProtectedModules m = ProtectedModules.parse("zeta,pkvm-pl011,alpha_1");
        assertEquals(List.of("zeta", "pkvm_pl011", "alpha_1"), m.names());
        assertEquals("zeta,pkvm_pl011,alpha_1", m.toString());
    }

    @Test
    void emptyStringIsNone() {
        assertTrue(ProtectedModules.parse("").isEmpty());
        assertEquals(ProtectedModules.none(), ProtectedModules.parse(""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "a,,b | entry 2 is empty",
        "a,   | entry 2 is empty",
        ",a   | entry 1 is empty"})
    void emptyEntriesAreRefusedNamingTheEntry(String value, String expected) {
        String message = refusal(value.strip());
        assertTrue(message.contains(expected), message);
        assertTrue(message.contains("kvm-arm.protected_modules="), message);
    }

    @Test
    void aNameWithForbiddenCharactersIsRefusedQuotingIt() {
        String message = refusal("good,bad name!");
        assertTrue(message.contains("'bad name!' is not a module name"), message);
    }

    @Test
    void aRepeatedNameIsRefusedNamingBothEntries() {
        String message = refusal("a,b,a");
        assertTrue(message.contains("'a' is listed twice (entries 1 and 3)"), message);
    }

    @Test
    void namesThatAreEqualAfterNormalisationAreDuplicates() {
        String message = refusal("pkvm-driver,pkvm_driver");
        assertTrue(message.contains("'pkvm_driver' is listed twice (entries 1 and 2)"), message);
    }

    @Test
    void normaliseTurnsDashesIntoUnderscores() {
        assertEquals("pkvm_pl011", ProtectedModules.normalize("pkvm-pl011"));
        assertEquals("a_b_c", ProtectedModules.normalize("a-b_c"));
    }

    @Test
    void namesAreCopied() {
        ProtectedModules m = ProtectedModules.parse("a");
        assertThrows(UnsupportedOperationException.class, () -> m.names().add("b"));
    }
}
