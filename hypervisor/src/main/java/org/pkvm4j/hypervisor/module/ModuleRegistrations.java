package org.pkvm4j.hypervisor.module;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import org.pkvm4j.api.el2.GuestSmcHandler;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.el2.DefaultTrapHandler;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.HostSmcHandler;
import org.pkvm4j.api.el2.PsciNotifier;
import org.pkvm4j.api.el2.IllegalAbtNotifier;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypPanicNotifiers;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.hypervisor.traps.SerrorControl;

/**
 * What one EL2 module registered through its {@link ModuleOpsTable#forModule owner-bound ops}, so
 * that a failed init or an unload undoes exactly that (ARCHITECTURE.md §1.5: fail closed, nothing
 * half done). The kernel has no such record: it cannot unload a module, and a failed init there
 * leaves its registrations behind.
 *
 * <p>Recorded at registration only; the dispatch paths (perm faults, the abort notifier, the
 * console) read the shared tables as before and never see this class.
 */
final class ModuleRegistrations {
    /** No fixmap mapping recorded for a CPU. */
    private static final long NONE = -1;

    private final List<HostPermFaultHandler> permFaultHandlers = new ArrayList<>();
    private final List<long[]> privateMappings = new ArrayList<>();
    private final List<long[]> earlyLinearMaps = new ArrayList<>();
    private final List<org.pkvm4j.api.el2.DeviceResetHandler> resets = new ArrayList<>();
    private final java.util.Set<Integer> fixblockCpus = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<HostSmcHandler> hostSmcHandlers = new ArrayList<>();
    private final List<GuestSmcHandler> guestSmcHandlers = new ArrayList<>();
    private PsciNotifier psciNotifier;
    private GuestTrngOps trngOps;
    private IllegalAbtNotifier notifier;
    private SerialDriver serialDriver;
    private DefaultTrapHandler trapHandler;
    private HypPanicNotifiers.Notifier panicNotifier;
    private SerrorControl.Pair serror;
    /** Per CPU: the PA the module mapped in that CPU's fixmap slot and has not unmapped, or NONE. */
    private final AtomicLongArray fixmapPhys;

    ModuleRegistrations(int nrCpus) {
        fixmapPhys = new AtomicLongArray(nrCpus);
        for (int cpu = 0; cpu < nrCpus; cpu++) {
            fixmapPhys.set(cpu, NONE);
        }
    }

    synchronized void permFaultHandler(HostPermFaultHandler handler) {
        permFaultHandlers.add(handler);
    }

    synchronized void illegalAbtNotifier(IllegalAbtNotifier cb) {
        notifier = cb;
    }

    synchronized void hostSmcHandler(HostSmcHandler handler) {
        hostSmcHandlers.add(handler);
    }

    synchronized void guestSmcHandler(GuestSmcHandler handler) {
        guestSmcHandlers.add(handler);
    }

    synchronized void psciNotifier(PsciNotifier cb) {
        psciNotifier = cb;
    }

    synchronized void trngOps(GuestTrngOps ops) {
        trngOps = ops;
    }

    /** Undoes the SMC, PSCI and TRNG registrations still this module's. Idempotent. */
    synchronized void undoSmc(SmcRegistry smc) {
        for (HostSmcHandler h : hostSmcHandlers) {
            smc.unregisterHostSmcHandler(h);
        }
        hostSmcHandlers.clear();
        for (GuestSmcHandler h : guestSmcHandlers) {
            smc.unregisterGuestSmcHandler(h);
        }
        guestSmcHandlers.clear();
        if (psciNotifier != null) {
            smc.unregisterPsciNotifier(psciNotifier);
            psciNotifier = null;
        }
        if (trngOps != null) {
            smc.unregisterGuestTrngOps(trngOps);
            trngOps = null;
        }
    }

    synchronized void trapHandler(DefaultTrapHandler h) {
        trapHandler = h;
    }

    synchronized void panicNotifier(HypPanicNotifiers.Notifier n) {
        panicNotifier = n;
    }

    synchronized void serror(SerrorControl.Pair p) {
        serror = p;
    }

    // Whether the module registered hyp event-id tables (register_hyp_event_ids).
    private boolean eventIds;

    synchronized void eventIds() {
        eventIds = true;
    }

    /**
     * Undoes the trap registrations (default trap handler, panic notifier, SError pair, event-id
     * tables) that are still this module's, and frees its heap allocations ({@code owner}'s). The
     * trap controls it set stay: the kernel has no way to tell whose bits they are either.
     */
    synchronized void undoTraps(HypTraps traps, Object owner) {
        if (eventIds) {
            traps.tracing().unregisterEventIds(owner);
            eventIds = false;
        }
        if (trapHandler != null) {
            traps.trapHandlers().unregister(trapHandler);
            trapHandler = null;
        }
        if (panicNotifier != null) {
            traps.panicNotifiers().unregister(panicNotifier);
            panicNotifier = null;
        }
        if (serror != null) {
            traps.serror().unregister(serror);
            serror = null;
        }
        traps.heap().freeAll(owner);
    }

    synchronized void serialDriver(SerialDriver driver) {
        serialDriver = driver;
    }

    synchronized void privateMapping(long va, long phys, long size) {
        privateMappings.add(new long[] {va, phys, size});
    }

    /** A fixmap slot mapped on {@code cpu}: only that CPU maps or unmaps its slot. */
    void fixmapMapped(int cpu, long phys) {
        fixmapPhys.set(cpu, phys);
    }

    void fixmapUnmapped(int cpu) {
        fixmapPhys.set(cpu, NONE);
    }

    /**
     * Undoes every recorded registration that is still this module's: the notifier and the serial
     * driver only if they are still the registered ones, each perm-fault handler once, each fixmap
     * slot only if it still maps the recorded page, each private mapping's pages. Idempotent.
     */
    synchronized void undo(HypConsole console, HostPermFaultHandlers handlers, IllegalAbtNotifiers notifiers, HypVaSpace va) {
        if (notifier != null) {
            notifiers.unregister(notifier);
            notifier = null;
        }
        if (serialDriver != null) {
            console.unregisterSerialDriver(serialDriver);
            serialDriver = null;
        }
        for (HostPermFaultHandler h : permFaultHandlers) {
            handlers.unregister(h);
        }
        permFaultHandlers.clear();
        for (int cpu = 0; cpu < fixmapPhys.length(); cpu++) {
            long phys = fixmapPhys.getAndSet(cpu, NONE);
            if (phys != NONE) {
                va.fixmapUnmapIfMaps(cpu, phys);
            }
        }
        for (long[] m : privateMappings) {
            va.removePrivateMapping(m[0], m[1], m[2]);
        }
        privateMappings.clear();
    }

    synchronized void linearMapped(long va, long size) {
        earlyLinearMaps.add(new long[] {va, size});
    }

    synchronized void linearUnmapped(long va, long size) {
        earlyLinearMaps.removeIf(m -> m[0] == va && m[1] == size);
    }

    void fixblockMapped(int cpu) {
        fixblockCpus.add(cpu);
    }

    synchronized void deviceReset(org.pkvm4j.api.el2.DeviceResetHandler handler) {
        resets.add(handler);
    }

    /**
     * Undoes what the IOMMU and memory members recorded: the module's early linear mappings (before
     * deprivilege; after it they stay, as reported), its fixblock slots, its device reset callbacks.
     */
    synchronized void undoIommu(org.pkvm4j.hypervisor.mem.MemProtect memProtect, HypVaSpace va,
            org.pkvm4j.hypervisor.device.PkvmDevices devices) {
        for (long[] m : earlyLinearMaps) {
            memProtect.linearUnmapEarly(m[0], m[1]);
        }
        earlyLinearMaps.clear();
        for (int cpu : fixblockCpus) {
            va.fixblockUnmap(cpu);
        }
        fixblockCpus.clear();
        for (var h : resets) {
            devices.unregisterReset(h);
        }
        resets.clear();
    }
}
