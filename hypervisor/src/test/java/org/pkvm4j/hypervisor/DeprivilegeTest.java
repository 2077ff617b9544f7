package org.pkvm4j.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

class DeprivilegeTest {
    private final Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
    private final Cpu cpu0 = machine.cpus().get(0);
    private final Cpu cpu1 = machine.cpus().get(1);
    private final Deprivilege deprivilege = new Deprivilege(2);

    @Test
    void startsPrivilegedOnEveryCpu() {
        assertFalse(deprivilege.isPrivilegedBandClosed());
        assertFalse(deprivilege.isFinalized(0));
        assertFalse(deprivilege.isFinalized(1));
    }

    @Test
    void firstFinalizeClosesTheBandAndFinalizesOnlyThatCpu() {
        assertEquals(0, deprivilege.protFinalize(cpu1.id()));
        assertTrue(deprivilege.isPrivilegedBandClosed());
        assertTrue(deprivilege.isFinalized(1));
        assertFalse(deprivilege.isFinalized(0));
    }

    @Test
    void secondFinalizeOnTheSameCpuIsEperm() {
        assertEquals(0, deprivilege.protFinalize(cpu0.id()));
        assertEquals(Errno.EPERM.negated(), deprivilege.protFinalize(cpu0.id()));
        assertEquals(0, deprivilege.protFinalize(cpu1.id()));
    }
}
