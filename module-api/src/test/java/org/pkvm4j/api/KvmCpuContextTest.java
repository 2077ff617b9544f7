package org.pkvm4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** The android14-5.15 view: it must share the one register file with {@link UserPtRegs}. */
class KvmCpuContextTest {

    @Test
    void contextSharesTheRegisterFileItWraps() {
        UserPtRegs regs = new UserPtRegs();
        KvmCpuContext ctx = new KvmCpuContext(regs);
        assertSame(regs, ctx.regs());

        ctx.setReg(1, 0xdeadL);
        assertEquals(0xdeadL, regs.get(1));

        regs.set(2, 0xbeefL);
        assertEquals(0xbeefL, ctx.reg(2));
    }

    @Test
    void defaultContextHasItsOwnZeroedFile() {
        KvmCpuContext a = new KvmCpuContext();
        KvmCpuContext b = new KvmCpuContext();
        a.setReg(0, 7);
        assertEquals(7, a.regs().get(0));
        assertEquals(0, b.reg(0));
    }
}
