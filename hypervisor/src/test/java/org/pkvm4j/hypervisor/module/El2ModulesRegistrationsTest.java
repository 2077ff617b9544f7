package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * An EL2 init that registers through its ModuleOps and then fails (PkvmException), and an unload,
 * take exactly what that module registered with them: its illegal-abort notifier, serial driver,
 * perm-fault handlers, fixmap slot and private mappings; another module's registrations stay.
 */
class El2ModulesRegistrationsTest {
    static final long PAGE = MachineConfig.PAGE_SIZE;
    static final long BASE_PFN = Dram.BASE / PAGE;

    private final Machine machine = new Machine(new MachineConfig(1, 256 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 1);
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final HypConsole console = new HypConsole(platform.uart());
    private final ModuleOpsTable ops = new ModuleOpsTable(console, platform, mp, handlers, va, notifiers);
    private final El2Modules modules = new El2Modules(platform, va, ops, new DynamicHcalls(platform));
    private final AtomicInteger notified = new AtomicInteger();
    private final long hostPa = (BASE_PFN + 3) * PAGE;
    private final long[] privateVa = new long[1];

    @AfterEach
    void forgetInits() {
        InitImages.clear("registers_then_fails");
        InitImages.clear("keeps_a_handler");
        InitImages.clear("registers_and_stays");
    }

    /** {@code __pkvm_init_module} on CPU 0, taken as a trap takes it. */
    private long initModule(long pa, long token) {
        Cpu cpu = machine.getCpu(0);
        try {
            return modules.initModule(cpu, pa, token, token);
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** Loads an image whose init runs {@code init}: the init's x1 and the module's token. */
    private long[] load(String name, Consumer<ModuleOps> init) {
        El2Image image = InitImages.image(name, init);
        long pa = machine.moduleRam().place(image);
        long token = modules.allocModuleVa(image.nrPages());
        return new long[] {initModule(pa, token), token};
    }

    /** Registers one of everything, then fails as C's init returning -EINVAL. */
    private void registerEverything(ModuleOps o) {
        o.registerIllegalAbtNotifier(regs -> notified.incrementAndGet());
        o.registerHostPermFaultHandler((regs, esr, pa) -> 0);
        o.registerSerialDriver(c -> { });
        o.fixmapMap(hostPa);
        privateVa[0] = o.createPrivateMapping(hostPa + 8, 16, Prot.R);
    }

    /** Scenario: the init registers everything and throws EINVAL: x1 = -EINVAL and nothing of it is left. */
    @Test
    void aFailedInitLeavesNoRegistrationBehind() {
        long[] r = load("registers_then_fails", o -> {
            registerEverything(o);
            throw new PkvmException(Errno.EINVAL, "registers_then_fails: no device");
        });
        assertEquals(Errno.EINVAL.negated(), r[0]);
        assertEquals(List.of(), modules.loadedNames());
        assertLeftNothing();
    }

    /** Scenario: the same registrations from an init that succeeds stay until the module is unloaded. */
    @Test
    void anUnloadTakesTheModulesRegistrations() {
        long[] r = load("registers_and_stays", this::registerEverything);
        assertEquals(0, r[0]);
        assertEquals(1, handlers.count());
        assertEquals(Prot.RW, va.hypProt(va.fixmapSlot(0)), "the fixmap slot is the module's");
        assertEquals(Prot.R, va.hypProt(privateVa[0]));
        assertEquals(0, modules.unmapModule(r[1]));
        assertLeftNothing();
    }

    /** Scenario: a loaded module's handler and fixmap mapping outlive another module's failed init. */
    @Test
    void aFailedInitTakesOnlyItsOwn() {
        HostPermFaultHandler kept = (regs, esr, pa) -> 0;
        assertEquals(0, load("keeps_a_handler", o -> {
            o.registerHostPermFaultHandler(kept);
            o.fixmapMap(hostPa);
        })[0]);
        long[] r = load("registers_then_fails", o -> {
            o.registerHostPermFaultHandler((regs, esr, pa) -> 0);
            PkvmException busy = assertThrows(PkvmException.class, () -> o.fixmapMap(hostPa));
            assertEquals(Errno.EBUSY, busy.errno(), "the slot is the other module's");
            throw new PkvmException(Errno.ENODEV, "registers_then_fails");
        });
        assertEquals(Errno.ENODEV.negated(), r[0]);
        assertEquals(1, handlers.count(), "the loaded module's handler stays");
        assertEquals(Prot.RW, va.hypProt(va.fixmapSlot(0)), "and its fixmap mapping");
        assertEquals(List.of("keeps_a_handler"), modules.loadedNames());
    }

    private void assertLeftNothing() {
        assertEquals(0, handlers.count(), "no perm-fault handler");
        assertFalse(handlers.dispatch(new UserPtRegs(), hostPa, true), "nothing claims a fault");
        notifiers.beforeInjection(new UserPtRegs());
        assertEquals(0, notified.get(), "the notifier does not run");
        notifiers.register(regs -> { });
        console.registerSerialDriver(c -> { });
        assertEquals(0, va.hypProt(va.fixmapSlot(0)), "the fixmap slot is empty");
        assertEquals(0, va.hypProt(privateVa[0]), "the private mapping is gone");
        Cpu cpu = machine.getCpu(0);
        try {
            assertTrue(ops.fixmapMap(hostPa) > 0, "another module can map the slot");
        } finally {
            machine.putCpu(cpu);
        }
    }
}
