package org.pkvm4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PkvmExceptionTest {

    @Test
    void errnoConstructorKeepsTheErrnoAndReportsNoSmcccStatus() {
        PkvmException e = new PkvmException(Errno.ENOENT, "no symbol foo");
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals(Smccc.RET_SUCCESS, e.smcccStatus());
        assertTrue(e.getMessage().startsWith("ENOENT: "), e.getMessage());
        assertTrue(e.getMessage().contains("no symbol foo"), e.getMessage());
    }

    @Test
    void causeIsKept() {
        Throwable cause = new IllegalStateException("root");
        PkvmException e = new PkvmException(Errno.EIO, "wrapped", cause);
        assertSame(cause, e.getCause());
        assertEquals(Errno.EIO, e.errno());
    }

    @Test
    void notSupportedReadsAsEopnotsuppAndKeepsTheStatus() {
        PkvmException e = PkvmException.ofSmcccStatus(Smccc.RET_NOT_SUPPORTED, "alloc_module_va");
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals(Smccc.RET_NOT_SUPPORTED, e.smcccStatus());
        assertTrue(e.getMessage().contains("SMCCC_RET_NOT_SUPPORTED"), e.getMessage());
        assertTrue(e.getMessage().contains("alloc_module_va"), e.getMessage());
    }

    @Test
    void invalidParameterReadsAsEinvalAndKeepsTheStatus() {
        PkvmException e = PkvmException.ofSmcccStatus(Smccc.RET_INVALID_PARAMETER, "call");
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(Smccc.RET_INVALID_PARAMETER, e.smcccStatus());
    }

    @ParameterizedTest
    @ValueSource(longs = {Smccc.RET_NOT_REQUIRED, -42, 7})
    void anyOtherStatusStillHasAnErrno(long x0) {
        PkvmException e = PkvmException.ofSmcccStatus(x0, "call");
        assertNotNull(e.errno());
        assertEquals(x0, e.smcccStatus());
    }

    @Test
    void nullErrnoIsRefused() {
        assertThrows(NullPointerException.class, () -> new PkvmException(null, "no errno"));
    }
}
