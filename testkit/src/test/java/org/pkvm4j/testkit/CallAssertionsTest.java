package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.pkvm4j.testkit.PkvmAssertions.assertErrno;
import static org.pkvm4j.testkit.PkvmAssertions.assertStage2Fault;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.opentest4j.AssertionFailedError;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.OwnerId;
import org.pkvm4j.machine.Stage2Fault;

/** assertErrno and assertStage2Fault on a booted device: they pass on the failure asked for and say what happened instead. */
@ExtendWith(BundledModulesBuilt.class)
@PkvmBoot(modules = "${pkvm4j.testkit.modules}/kvstore.jar")
class CallAssertionsTest {
    /** A DRAM page nothing uses, 16 MiB in: the host's alone. */
    private static final long HOST_PA = Dram.BASE + (0x1000L << Dram.PAGE_SHIFT);

    private static String failure(Executable assertion) {
        return assertThrows(AssertionFailedError.class, assertion).getMessage();
    }

    private static void contains(String message, String part) {
        assertTrue(message.contains(part), () -> "no \"" + part + "\" in:\n" + message);
    }

    @Test
    void assertErrnoPassesOnThatErrnoAndNamesAnyOtherOutcome(HostKernel kernel) {
        PkvmException e = assertErrno(Errno.ENOENT, () -> kernel.ioctl("kvstore", 2, 6)); // IOCTL_GET of a missing key
        assertEquals(Errno.ENOENT, e.errno());
        contains(failure(() -> assertErrno(Errno.EPERM, () -> kernel.ioctl("kvstore", 2, 6))),
                "expected the call to fail with " + Errno.EPERM + ", but it failed with " + Errno.ENOENT + ": ");
        contains(failure(() -> assertErrno(Errno.ENOENT, () -> kernel.ioctl("kvstore", 4, 0))), // IOCTL_COUNT
                "expected the call to fail with " + Errno.ENOENT + ", but it returned normally");
        contains(failure(() -> assertErrno(Errno.ENOENT, () -> {
            throw new IllegalStateException("boom");
        })), "but it threw java.lang.IllegalStateException: boom");
    }

    @Test
    void assertStage2FaultPassesOnAFaultOfThatOwnerAndNamesAnyOtherOutcome(Machine machine, HostMemory host) {
        assertSame(machine.hostMemory(), host, "HostMemory is injected: the machine's host view");
        long el2Pa = machine.moduleRam().allocations().keySet().stream().min(Long::compare).orElseThrow(); // kvstore's EL2 image
        Stage2Fault fault = assertStage2Fault(OwnerId.HYP, () -> host.load64(el2Pa));
        assertEquals(el2Pa, fault.pa());
        assertEquals(false, fault.write());
        contains(failure(() -> assertStage2Fault(OwnerId.HOST, () -> host.store64(el2Pa, 1))),
                "expected a host stage-2 fault on a page owned by HOST, but got: host stage-2 fault: write to PA 0x"
                        + Long.toHexString(el2Pa) + ", page owned by HYP");
        host.store64(HOST_PA, 5);
        contains(failure(() -> assertStage2Fault(OwnerId.HYP, () -> host.load64(HOST_PA))),
                "expected a host stage-2 fault on a page owned by HYP, but the access completed");
        contains(failure(() -> assertStage2Fault(OwnerId.HYP, () -> {
            throw new PkvmException(Errno.EIO, "not a fault");
        })), "but the access threw ");
        AssertionFailedError inner = new AssertionFailedError("inner");
        assertSame(inner, assertThrows(AssertionFailedError.class, () -> assertStage2Fault(OwnerId.HYP, () -> {
            throw inner;
        })), "a failed assertion inside the access propagates as it is");
    }
}
