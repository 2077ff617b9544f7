package org.pkvm4j.api.el1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HvcNumberTest {

    @ParameterizedTest
    @ValueSource(ints = {128, 129, 200, 255})
    void acceptsDynamicIds(int id) {
        assertEquals(id, new HvcNumber(id).id());
    }

    @ParameterizedTest
    @ValueSource(ints = {127, 256, 0, -1, 21, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void rejectsEverythingElse(int id) {
        assertThrows(IllegalArgumentException.class, () -> new HvcNumber(id));
    }

    @Test
    void smcccFunctionIdIsTheHostCallId() {
        assertEquals(0xC600_0080L, new HvcNumber(128).smcccFunctionId());
        assertEquals(0xC600_00FFL, new HvcNumber(255).smcccFunctionId());
    }

    @Test
    void toStringShowsDecimalAndHex() {
        assertEquals("HvcNumber[128, 0xC6000080]", new HvcNumber(128).toString());
    }
}
