package org.pkvm4j.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/** The dispatcher with hand-made handlers: x0 preset to success, and a throwing handler panics. */
class HypMainPanicTest {
    private final Machine machine = new Machine(new MachineConfig(2, MachineConfig.DEFAULT_MEM));
    private final List<Long> x0SeenByHandler = new ArrayList<>();

    HypMainPanicTest() {
        HypPlatform platform = machine.takeHypPlatform();
        Map<HostHcall, HostHcallHandler> handlers = new EnumMap<>(HostHcall.class);
        for (HostHcall h : HostHcall.values()) {
            handlers.put(h, (cpu, regs) -> x0SeenByHandler.add(regs.get(0)));
        }
        handlers.put(HostHcall.PKVM_REGISTER_HCALL, (cpu, regs) -> {
            throw new IllegalStateException("boom");
        });
        machine.installEl2Vector(new HypMain(platform, new DynamicHcalls(platform), HostHcallTable.of(handlers),
                new Deprivilege(platform.nrCpus()), new MemProtect(platform.memory()), new HostPermFaultHandlers()));
    }

    private void call(Cpu cpu, HostHcall h) {
        cpu.regs().set(0, Smccc.kvmHostSmcccId(h.id()));
        cpu.hvc();
    }

    @Test
    void theDispatcherPresetsX0ToSuccess() {
        Cpu cpu = machine.getCpu(0);
        try {
            call(cpu, HostHcall.PKVM_ALLOC_MODULE_VA);
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(List.of(Smccc.RET_SUCCESS), x0SeenByHandler);
    }

    @Test
    void aThrowingHandlerPanicsTheHypervisorAndTheMachineTakesNoMoreTraps() {
        List<HypPanic> heard = new ArrayList<>();
        machine.onHypPanic(heard::add);
        Cpu cpu = machine.getCpu(1);
        try {
            HypPanicException e = assertThrows(HypPanicException.class, () -> call(cpu, HostHcall.PKVM_REGISTER_HCALL));
            assertEquals(1, e.panic().cpu());
            assertTrue(e.panic().reason().contains("host hypercall 18"), e.panic().reason());
            assertTrue(e.panic().reason().contains("boom"), e.panic().reason());
            assertTrue(e.panic().detail().contains("IllegalStateException"), e.panic().detail());
            assertThrows(HypPanicException.class, () -> call(cpu, HostHcall.PKVM_ALLOC_MODULE_VA));
        } finally {
            machine.putCpu(cpu);
        }
        assertEquals(1, heard.size());
        assertTrue(x0SeenByHandler.isEmpty());
    }

    @Test
    void aTableMustBindEveryCall() {
        assertThrows(NullPointerException.class,
                () -> HostHcallTable.of(Map.of(HostHcall.PKVM_PROT_FINALIZE, (cpu, regs) -> { })));
    }
}
