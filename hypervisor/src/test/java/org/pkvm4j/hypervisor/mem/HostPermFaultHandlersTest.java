package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.HostPermFaultHandler;

/** Dropping a module's perm-fault handler keeps the others, in their order, and frees its slot. */
class HostPermFaultHandlersTest {
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final List<String> calls = new ArrayList<>();

    private HostPermFaultHandler declining(String name) {
        return (regs, esr, pa) -> {
            calls.add(name);
            return -1;
        };
    }

    /** Scenario: a, b, c registered; b dropped: a then c run; b unknown now; all 16 slots usable again. */
    @Test
    void unregisterKeepsTheOthersInOrder() {
        HostPermFaultHandler a = declining("a");
        HostPermFaultHandler b = declining("b");
        HostPermFaultHandler c = declining("c");
        handlers.register(a);
        handlers.register(b);
        handlers.register(c);
        assertTrue(handlers.unregister(b));
        assertFalse(handlers.unregister(b), "dropped once");
        assertFalse(handlers.dispatch(new UserPtRegs(), 0, false), "nobody claims it");
        assertEquals(List.of("a", "c"), calls);
        assertEquals(2, handlers.count());
        for (int i = 2; i < HostPermFaultHandlers.MAX_HANDLERS; i++) {
            handlers.register(declining("x" + i));
        }
        assertEquals(HostPermFaultHandlers.MAX_HANDLERS, handlers.count(), "the dropped slot is free again");
    }
}
