package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.HypFault;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

class InjectedFaultsTest {
    private final Machine machine = new Machine(MachineConfig.defaults());
    private final List<String> uart = new ArrayList<>();

    private InjectedFaults faults(HypFault... armed) {
        machine.uart().attach(uart::add);
        return new InjectedFaults(List.of(armed), new HypConsole(machine.uart()));
    }

    @Test
    void armingIsAnnouncedOnTheConsole() {
        faults(new HypFault.InitModuleFails("kvstore", Errno.EIO), new HypFault.RegisterHcallFails("kvstore", 2, Errno.ENOMEM));
        assertEquals(List.of("pKVM: fault injection armed: EL2 init of kvstore fails with EIO (-5)",
                "pKVM: fault injection armed: __pkvm_register_hcall #2 of kvstore fails with ENOMEM (-12)"), uart);
    }

    @Test
    void initFaultHitsOnlyItsModule() {
        InjectedFaults f = faults(new HypFault.InitModuleFails("kvstore", Errno.EIO));
        assertNull(f.initModule("pkvm_driver"));
        assertEquals(Errno.EIO, f.initModule("kvstore"));
        assertTrue(uart.getLast().contains("kvstore: __pkvm_init_module returns EIO (-5)"), uart.toString());
    }

    @Test
    void registrationsAreCountedPerModuleAndOnlyTheNthFails() {
        InjectedFaults f = faults(new HypFault.RegisterHcallFails("kvstore", 2, Errno.ENOMEM));
        assertNull(f.registerHcall("kvstore"));
        assertNull(f.registerHcall("pkvm_driver"), "another module's registrations do not count");
        assertEquals(Errno.ENOMEM, f.registerHcall("kvstore"));
        assertNull(f.registerHcall("kvstore"), "only the 2nd fails; the 3rd goes through");
        assertTrue(uart.getLast().contains("kvstore: __pkvm_register_hcall #2 returns ENOMEM (-12)"), uart.toString());
    }
}
