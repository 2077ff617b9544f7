package org.pkvm4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class UserPtRegsTest {

    @Test
    void freshRegistersAreZero() {
        UserPtRegs regs = new UserPtRegs();
        for (int n = 0; n < UserPtRegs.NR_GPRS; n++) {
            assertEquals(0, regs.get(n));
        }
        assertEquals(0, regs.sp());
        assertEquals(0, regs.pc());
        assertEquals(0, regs.pstate());
    }

    @Test
    void everyRegisterIsIndependent() {
        UserPtRegs regs = new UserPtRegs();
        for (int n = 0; n < UserPtRegs.NR_GPRS; n++) {
            regs.set(n, 1000L + n);
        }
        for (int n = 0; n < UserPtRegs.NR_GPRS; n++) {
            assertEquals(1000L + n, regs.get(n));
        }
    }

    @Test
    void onlyX0ToX30Exist() {
        UserPtRegs regs = new UserPtRegs();
        assertEquals(31, UserPtRegs.NR_GPRS);
        assertThrows(IndexOutOfBoundsException.class, () -> regs.get(31));
        assertThrows(IndexOutOfBoundsException.class, () -> regs.set(-1, 0));
    }

    @Test
    void clearZeroesEverything() {
        UserPtRegs regs = new UserPtRegs();
        regs.set(0, -1);
        regs.set(30, 5);
        regs.setSp(0x1000);
        regs.setPc(0x2000);
        regs.setPstate(0x3c5);
        regs.clear();
        assertEquals(0, regs.get(0));
        assertEquals(0, regs.get(30));
        assertEquals(0, regs.sp());
        assertEquals(0, regs.pc());
        assertEquals(0, regs.pstate());
    }

    @Test
    void toStringShowsTheSmcccRegistersInHex() {
        UserPtRegs regs = new UserPtRegs();
        regs.set(0, 0xC6000015L);
        regs.set(3, 255);
        assertEquals("UserPtRegs[x0=0xc6000015, x1=0x0, x2=0x0, x3=0xff]", regs.toString());
        assertEquals("KvmCpuContext[x0=0xc6000015, x1=0x0, x2=0x0, x3=0xff]", new KvmCpuContext(regs).toString());
    }
}
