package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.testing.TestImages;

/** The module hypercall table: ids 128..255, dispatch, and revocation of a module's handlers. */
class DynamicHcallsTest {
    private final Machine machine = new Machine(new MachineConfig(1, MachineConfig.DEFAULT_MEM));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final Cpu cpu = machine.cpus().getFirst();
    private final DynamicHcalls table = new DynamicHcalls(platform);
    private final El2Module a = module("mod_a", 0x0000_8000_0000_0000L);
    private final El2Module b = module("mod_b", 0x0000_8000_0001_0000L);
    private final List<String> calls = new ArrayList<>();

    private El2Module module(String name, long token) {
        return new El2Module(TestImages.image(name, 100), token, 1,
                new ModuleContainment(name, platform, new HypConsole(platform.uart())));
    }

    /** A handler that records its symbol and writes a marker to x1. */
    private Hcall hcall(El2Module owner, String symbol) {
        return new Hcall.UserPtRegsCall(owner, symbol, regs -> {
            calls.add(symbol);
            regs.set(1, symbol.hashCode());
        });
    }

    @Test
    void idsAreHandedOutFrom128() {
        assertEquals(128, table.register(hcall(a, "h0")));
        assertEquals(129, table.register(hcall(a, "h1")));
        assertEquals(130, table.register(hcall(b, "h2")));
        assertEquals(3, table.count());
    }

    @Test
    void the129thRegistrationIsEnomem() {
        for (int i = 0; i < Smccc.MAX_DYNAMIC_HCALLS; i++) {
            assertEquals(128 + i, table.register(hcall(a, "h" + i)));
        }
        assertEquals(Errno.ENOMEM.negated(), table.register(hcall(a, "one_too_many")));
        assertEquals(128, table.count());
        // The table still serves the last id.
        assertTrue(table.handle(255, cpu));
        assertEquals(List.of("h127"), calls);
    }

    @Test
    void handleDispatchesToTheRegisteredSlot() {
        table.register(hcall(a, "first"));
        table.register(hcall(b, "second"));
        KvmCpuContext ctx = cpu.hostContext();

        assertTrue(table.handle(129, cpu));
        assertEquals(List.of("second"), calls);
        assertEquals("second".hashCode(), ctx.reg(1));

        assertTrue(table.handle(128, cpu));
        assertEquals(List.of("second", "first"), calls);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 0, 21, 127, 130, 255, 256, Long.MAX_VALUE, Long.MIN_VALUE})
    void handleReturnsFalseForIdsThatAreNotLive(long id) {
        table.register(hcall(a, "h0"));
        table.register(hcall(a, "h1"));
        assertFalse(table.handle(id, cpu));
        assertTrue(calls.isEmpty());
    }

    @Test
    void userPtRegsHandlersSetX0ThemselvesAndKvmCpuContextHandlersGetItPreset() {
        table.register(hcall(a, "new_abi"));
        List<Long> x0Seen = new ArrayList<>();
        table.register(new Hcall.KvmCpuContextCall(a, "old_abi", ctx -> x0Seen.add(ctx.reg(0))));

        KvmCpuContext ctx = cpu.hostContext();
        ctx.setReg(0, 0xC600_0080L);
        table.handle(128, cpu);
        assertEquals(0xC600_0080L, ctx.reg(0), "a 6.1+ handler owns x0; the table must not touch it");

        ctx.setReg(0, 0xC600_0081L);
        table.handle(129, cpu);
        assertEquals(List.of(Smccc.RET_SUCCESS), x0Seen);
    }

    @Test
    void revokeClosesAnOwnersSlotsAndGivesBackTrailingOnes() {
        table.register(hcall(a, "a0")); // 128
        table.register(hcall(b, "b0")); // 129
        table.register(hcall(a, "a1")); // 130

        assertEquals(2, table.revoke(a));
        assertFalse(table.handle(128, cpu));
        assertFalse(table.handle(130, cpu));
        assertTrue(table.handle(129, cpu));
        // 130 was trailing and is given back; 128 sits below a live slot and stays burnt.
        assertEquals(2, table.count());
        assertEquals(130, table.register(hcall(b, "b1")));

        assertEquals(2, table.revoke(b));
        assertEquals(0, table.count());
        assertEquals(128, table.register(hcall(a, "again")));
    }

    @Test
    void revokingAModuleWithoutHandlersChangesNothing() {
        table.register(hcall(a, "a0"));
        assertEquals(0, table.revoke(b));
        assertEquals(1, table.count());
        assertTrue(table.handle(128, cpu));
    }

    @Test
    void describeNamesTheHandlerAndItsModule() {
        table.register(hcall(a, "a0"));
        assertEquals("handler a0 of module mod_a (hvc 128)", table.describe(128));
        assertEquals("host hypercall 129", table.describe(129));
        assertEquals("host hypercall 21", table.describe(21));
        table.revoke(a);
        assertEquals("host hypercall 128", table.describe(128));
    }
}
