package org.pkvm4j.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.machine.HypFault;

class FaultPlanTest {

    @Test
    void plansAreValues() {
        FaultPlan a = FaultPlan.of(new BootFault.El1InitFails("pkvm-driver", Errno.ENODEV));
        FaultPlan b = FaultPlan.none().and(new BootFault.El1InitFails("pkvm_driver", Errno.ENODEV));
        assertEquals(a, b, "names are normalized as modprobe compares them");
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, FaultPlan.of(new BootFault.El1InitFails("pkvm_driver", Errno.EIO)));
        assertTrue(FaultPlan.none().isEmpty());
        assertEquals("no fault", FaultPlan.none().toString());
    }

    @Test
    void el2FaultsGoToTheHypervisorAndNothingElse() {
        FaultPlan plan = FaultPlan.of(new BootFault.El1InitFails("a", Errno.ENODEV), new BootFault.El2InitFails("b", Errno.EIO),
                new BootFault.HcallRegistrationFails("c", 3), new BootFault.LoadsLate("d"));
        assertEquals(List.of(new HypFault.InitModuleFails("b", Errno.EIO), new HypFault.RegisterHcallFails("c", 3, Errno.ENOMEM)),
                plan.hypFaults());
        assertEquals(List.of("d"), plan.lateModules());
        assertEquals("a: EL1 init fails with ENODEV; b: EL2 init fails with EIO; c: __pkvm_register_hcall #3 fails with"
                + " ENOMEM; d: loads after deprivilege", plan.toString());
    }

    @Test
    void kindsParseFromTheirSpelling() {
        for (BootFault.Kind k : BootFault.Kind.values()) {
            assertEquals(k, BootFault.Kind.parse(k.spelling()));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BootFault.Kind.parse("el3"));
        assertTrue(e.getMessage().contains("el1-init, el2-init, register, late"), e.getMessage());
    }

    @Test
    void registrationsCountFromOne() {
        assertThrows(IllegalArgumentException.class, () -> new BootFault.HcallRegistrationFails("a", 0));
        assertThrows(NullPointerException.class, () -> new BootFault.El2InitFails("a", null));
    }

    @Test
    void bootConfigCarriesThePlan() {
        BootConfig config = new BootConfig("kvm-arm.mode=protected", java.nio.file.Path.of("i"), java.nio.file.Path.of("h"));
        assertEquals(FaultPlan.none(), config.faults());
        FaultPlan plan = FaultPlan.of(new BootFault.LoadsLate("a"));
        assertEquals(plan, config.withFaults(plan).faults());
        assertEquals(config.cmdline(), config.withFaults(plan).cmdline());
    }
}
