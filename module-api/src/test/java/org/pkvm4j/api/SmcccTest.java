package org.pkvm4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SmcccTest {

    @Test
    void hostCallBaseIsFastSmc64VendorHyp() {
        assertEquals(0xC600_0000L, Smccc.KVM_HOST_SMCCC_ID_BASE);
        assertEquals(0xC600_0000L, Smccc.kvmHostSmcccId(0));
    }

    @Test
    void kvmHostSmcccIdAddsTheFunctionNumber() {
        assertEquals(0xC600_0080L, Smccc.kvmHostSmcccId(Smccc.DYNAMIC_HCALLS_BASE));
        assertEquals(0xC600_0080L, Smccc.kvmHostSmcccId(128));
        assertEquals(0xC600_00FFL, Smccc.kvmHostSmcccId(255));
        assertEquals(0xC600_0015L, Smccc.kvmHostSmcccId(21));
    }

    @Test
    void statusValuesAreTheSmcccOnes() {
        assertEquals(0, Smccc.RET_SUCCESS);
        assertEquals(-1, Smccc.RET_NOT_SUPPORTED);
        assertEquals(-2, Smccc.RET_NOT_REQUIRED);
        assertEquals(-3, Smccc.RET_INVALID_PARAMETER);
    }

    @Test
    void callHintIsBit16AndOutsideTheFunctionNumberRange() {
        assertEquals(0x1_0000L, Smccc.CALL_HINTS);
        assertEquals(0, Smccc.KVM_HOST_SMCCC_ID_BASE & Smccc.CALL_HINTS);
        assertEquals(0, Smccc.kvmHostSmcccId(255) & Smccc.CALL_HINTS);
    }

    @Test
    void dynamicRangeIs128Ids() {
        assertEquals(128, Smccc.DYNAMIC_HCALLS_BASE);
        assertEquals(128, Smccc.MAX_DYNAMIC_HCALLS);
    }

    @Test
    void statusNameNamesKnownStatusesAndFallsBackToTheNumber() {
        assertEquals("SMCCC_RET_SUCCESS", Smccc.statusName(0));
        assertEquals("SMCCC_RET_NOT_SUPPORTED", Smccc.statusName(-1));
        assertEquals("SMCCC_RET_NOT_REQUIRED", Smccc.statusName(-2));
        assertEquals("SMCCC_RET_INVALID_PARAMETER", Smccc.statusName(-3));
        // Any other value is shown as a number (decimal or hex: 7 reads the same in both).
        assertTrue(Smccc.statusName(7).startsWith("SMCCC status "), Smccc.statusName(7));
        assertTrue(Smccc.statusName(7).endsWith("7"), Smccc.statusName(7));
    }
}
