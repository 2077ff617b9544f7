package org.pkvm4j.host.cmdline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.host.diag.BootConfigException;

class KvmModeTest {

    @ParameterizedTest
    @EnumSource(KvmMode.class)
    void parsesItsOwnSpelling(KvmMode mode) {
        assertEquals(mode, KvmMode.parse(mode.spelling()));
    }

    @Test
    void spellingsAreTheKernels() {
        assertEquals("protected", KvmMode.PROTECTED.spelling());
        assertEquals("nvhe", KvmMode.NVHE.spelling());
    }

    @ParameterizedTest
    @ValueSource(strings = {"PROTECTED", "pkvm", "", " protected"})
    void refusesOtherValuesListingTheValidOnes(String value) {
        BootConfigException e = assertThrows(BootConfigException.class, () -> KvmMode.parse(value));
        assertTrue(e.getMessage().contains("none, nvhe, protected, nested"), e.getMessage());
    }
}
