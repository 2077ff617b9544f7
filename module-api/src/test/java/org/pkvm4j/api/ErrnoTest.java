package org.pkvm4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class ErrnoTest {

    @ParameterizedTest
    @CsvSource({
        "EPERM, 1", "ENOENT, 2", "E2BIG, 7", "ENOEXEC, 8", "EAGAIN, 11", "ENOMEM, 12", "EACCES, 13",
        "EFAULT, 14", "EBUSY, 16", "EEXIST, 17", "ENODEV, 19", "EINVAL, 22", "ERANGE, 34", "ENOSYS, 38",
        "EOPNOTSUPP, 95", "EHWPOISON, 133"
    })
    void codesAreTheArm64LinuxNumbers(Errno errno, int code) {
        assertEquals(code, errno.code());
        assertEquals(-code, errno.negated());
    }

    @Test
    void codesAreUnique() {
        Set<Integer> codes = new HashSet<>();
        for (Errno e : Errno.values()) {
            assertTrue(codes.add(e.code()), () -> "duplicate code " + e.code());
        }
    }

    @ParameterizedTest
    @EnumSource(Errno.class)
    void negatedRoundTripsThroughFromNegatedAndOfCode(Errno errno) {
        assertSame(errno, Errno.fromNegated(errno.negated()));
        assertSame(errno, Errno.ofCode(errno.code()));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 22, 5000, -5000, -4096, -3, Long.MIN_VALUE, Long.MAX_VALUE})
    void fromNegatedReturnsNullForValuesThatAreNotModelledNegativeErrnos(long value) {
        // -3 is ESRCH, which pkvm4j does not model; positive values are results, not errors.
        assertNull(Errno.fromNegated(value));
    }

    @Test
    void fromNegatedDoesNotAcceptAPositiveCode() {
        assertNull(Errno.fromNegated(Errno.EPERM.code()));
    }

    @Test
    void ofCodeRejectsAnUnmodelledNumber() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Errno.ofCode(3));
        assertTrue(e.getMessage().contains("3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Errno.ofCode(-1));
        assertThrows(IllegalArgumentException.class, () -> Errno.ofCode(0));
    }

    @Test
    void toStringShowsTheKernelSpellingWithTheNegatedNumber() {
        assertEquals("EPERM (-1)", Errno.EPERM.toString());
        assertEquals("EOPNOTSUPP (-95)", Errno.EOPNOTSUPP.toString());
        assertEquals("Operation not permitted", Errno.EPERM.description());
    }
}
