package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;

/**
 * linear_map_early is for module inits before deprivilege: a mapping a module leaves when the first
 * CPU finalizes is reported (the kernel's WARN at registration close), and afterwards the call is
 * refused.
 */
class EarlyLinearMapIT {
    /**
     * Scenario: the fixture maps two pages early and unmaps one; the boot still succeeds, the hyp
     * console and the boot report carry the warning for the 4096 bytes left, and its handler's new
     * early mapping after deprivilege is EPERM.
     */
    @Test
    void aMappingLeftAtDeprivilegeIsReportedAndLaterCallsAreRefused() {
        Path initramfs = Devices.newInitramfs();
        String name = Devices.addFixture(initramfs, "early-map-leak");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=" + name + " mem=64M", initramfs);
        assertTrue(kernel.securityState() instanceof SecurityState.Protected, kernel.securityState().toString());
        String warning = "WARNING: linear_map_early: 4096 bytes still mapped when module registration closed";
        assertEquals(List.of(warning), kernel.bootReport().hypWarnings());
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.contains(warning)), "in dmesg");
        long x1 = kernel.pkvm(name).orElseThrow().el2ModCall(kernel.lsmod().getFirst().hvcs().getFirst());
        assertEquals(Errno.EPERM.negated(), x1);
    }
}
