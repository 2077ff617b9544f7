package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcallTable;
import org.pkvm4j.hypervisor.HostHcalls;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.HypRequest;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * android14-6.1's {@code iommu_request} and {@code register_hyp_event_ids}: a request lands in the
 * CPU's {@code host_hyp_reqs} slot for the host to serve, and the IOMMU pool then holds the pages the
 * host donated; an event-id table lets the host's {@code __pkvm_enable_event} switch the module's
 * event keys, until the module goes.
 */
class HypRequestsAndEventIdsTest {
    private static final long PAGE = MachineConfig.PAGE_SIZE;
    /** A host page the module's init donates to EL2 for its request struct and its event table. */
    private static final long DATA_PFN = Dram.BASE / PAGE + 200;

    private final Machine machine = new Machine(new MachineConfig(2, 256 * PAGE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final MemProtect mp = new MemProtect(platform.memory());
    private final HypVaSpace va = new HypVaSpace(mp, 2);
    private final HypConsole console = new HypConsole(platform.uart());
    private final HypTraps traps = HypTraps.create(platform, console, va);
    private final KvmIommu iommu = new KvmIommu(mp, platform.memory(), line -> { });
    private final PkvmDevices devices = new PkvmDevices();
    private final HostPermFaultHandlers handlers = new HostPermFaultHandlers();
    private final IllegalAbtNotifiers notifiers = new IllegalAbtNotifiers();
    private final DynamicHcalls hcalls = new DynamicHcalls(platform);
    private final El2Modules modules = new El2Modules(platform, va, new ModuleOpsTable(console, platform, mp, handlers, va, notifiers,
            iommu, devices, new SmcRegistry(), traps), hcalls);

    HypRequestsAndEventIdsTest() {
        Deprivilege deprivilege = new Deprivilege(2);
        HostHcallTable table = HostHcalls.table(modules, deprivilege, mp, new GuestVcpus(new GuestMemProtect(mp, new VmTable()), 2), 2,
                iommu, devices, null, traps.heap(), traps.tracing());
        machine.installEl2Vector(new HypMain(platform, hcalls, table, deprivilege, mp, handlers, notifiers, null, traps));
    }

    @AfterEach
    void forget() {
        for (String name : List.of("req_module", "req_second", "events_module", "events_other")) {
            InitImages.clear(name);
        }
    }

    private long[] load(String name, Consumer<ModuleOps> init) {
        return InitImages.load(machine, modules, name, init);
    }

    private long hostHcall(HostHcall call, long a1, long a2) {
        Cpu cpu = machine.getCpu(0);
        try {
            cpu.regs().set(0, Smccc.kvmHostSmcccId(call.id()));
            cpu.regs().set(1, a1);
            cpu.regs().set(2, a2);
            cpu.hvc();
            assertEquals(Smccc.RET_SUCCESS, cpu.regs().get(0));
            return cpu.regs().get(1);
        } finally {
            machine.putCpu(cpu);
        }
    }

    private long takeRequest() {
        Cpu cpu = machine.getCpu(0);
        try {
            return cpu.takeHypRequest();
        } finally {
            machine.putCpu(cpu);
        }
    }

    /** Writes a {@code struct kvm_hyp_req} of type MEM at hyp VA {@code at}. */
    private static void writeReq(ModuleOps o, long at, int type, int dest, int nrPages, int szAlloc) {
        o.store64(at, type);
        o.store64(at + 8, dest | (long) nrPages << 32);
        o.store64(at + 16, szAlloc & 0xFFFF_FFFFL);
    }

    /**
     * Scenario: an IOMMU driver's request for pages lands in its CPU's slot, once; refilling the pool
     * with the count it asked for fills it. (The host's serving of the slot, {@code kvm_iommu_refill}
     * after the HVC, is host-kernel {@code HypAllocRefillTest} and integration-tests {@code
     * HypRequestsIT}.)
     */
    @Test
    void anIommuRequestIsPostedOnceInItsCpusSlot() {
        List<Object> seen = new ArrayList<>();
        assertEquals(0, load("req_module", o -> {
            o.hostDonateHyp(DATA_PFN, 1);
            long req = DATA_PFN * PAGE;
            seen.add(o.iommuDonatePages(0, false));
            writeReq(o, req, 1, HypRequest.DEST_HYP_IOMMU, 2, (int) PAGE);
            o.iommuRequest(req);
            try {
                o.iommuRequest(req);
            } catch (PkvmException e) {
                seen.add(e.errno());
            }
        })[0]);
        assertEquals(List.of(0L, Errno.EBUSY), seen, "the pool is empty; one request per CPU at a time");
        long request = takeRequest();
        assertEquals(List.of(HypRequest.DEST_HYP_IOMMU, 2), List.of(HypRequest.dest(request), HypRequest.nrPages(request)));
        assertEquals(0, takeRequest(), "taken once");

        // What the host does with it (pkvm_handle_hyp_req -> kvm_iommu_refill): the pages asked for, into the pool.
        long[] out = new long[1];
        assertEquals(0, iommu.refill(Dram.BASE / PAGE + 210, HypRequest.nrPages(request), false, out));
        assertArrayEquals(new int[] {2, 0}, iommu.nrFree());
    }

    /** Scenario: a request the host does not serve is EINVAL at EL2 and leaves the slot empty. */
    @Test
    void aRequestTheHostDoesNotServeIsEinval() {
        List<Errno> errnos = new ArrayList<>();
        assertEquals(0, load("req_module", o -> {
            o.hostDonateHyp(DATA_PFN, 1);
            long req = DATA_PFN * PAGE;
            int[][] bad = {{2, HypRequest.DEST_HYP_IOMMU, 1, (int) PAGE}, {1, 2, 1, (int) PAGE}, {1, HypRequest.DEST_HYP_IOMMU, 0, (int) PAGE},
                {1, HypRequest.DEST_HYP_IOMMU, 1, (int) (2 * PAGE)}};
            for (int[] b : bad) {
                writeReq(o, req, b[0], b[1], b[2], b[3]);
                try {
                    o.iommuRequest(req);
                } catch (PkvmException e) {
                    errnos.add(e.errno());
                }
            }
            writeReq(o, req, 1, HypRequest.DEST_HYP_ALLOC, 3, 0);
            o.iommuRequest(req);
        })[0]);
        assertEquals(List.of(Errno.EINVAL, Errno.EINVAL, Errno.EINVAL, Errno.EINVAL), errnos);
        long request = takeRequest();
        assertEquals(List.of(HypRequest.DEST_HYP_ALLOC, 3), List.of(HypRequest.dest(request), HypRequest.nrPages(request)),
                "a heap request as request_hyp_alloc posts it");
    }

    /**
     * Scenario: the host switches a registered event on and off through its key; an id no table has
     * is EINVAL; an id registered twice is refused; after the module goes its ids are gone.
     */
    @Test
    void theHostSwitchesRegisteredEventsUntilTheModuleGoes() {
        long table = DATA_PFN * PAGE;
        long key300 = table + 0x100;
        long key301 = table + 0x108;
        AtomicReference<Errno> duplicate = new AtomicReference<>();
        long[] loaded = load("events_module", o -> {
            o.hostDonateHyp(DATA_PFN, 1);
            o.store64(table, 300);
            o.store64(table + 8, key300);
            o.store64(table + 16, 301);
            o.store64(table + 24, key301);
            o.registerHypEventIds(table, table + 32);
            try {
                o.registerHypEventIds(table + 16, table + 32);
            } catch (PkvmException e) {
                duplicate.set(e.errno());
            }
        });
        assertEquals(0, loaded[0]);
        assertEquals(Errno.EINVAL, duplicate.get());
        assertEquals(1, traps.tracing().eventIdTables());

        assertEquals(0, hostHcall(HostHcall.PKVM_ENABLE_EVENT, 301, 1));
        assertEquals(List.of(0L, 1L), List.of(va.load64(key300), va.load64(key301)));
        assertEquals(0, hostHcall(HostHcall.PKVM_ENABLE_EVENT, 300, 1));
        assertEquals(0, hostHcall(HostHcall.PKVM_ENABLE_EVENT, 301, 0));
        assertEquals(List.of(1L, 0L), List.of(va.load64(key300), va.load64(key301)));
        assertEquals(Errno.EINVAL.negated(), hostHcall(HostHcall.PKVM_ENABLE_EVENT, 302, 1));

        assertEquals(0, modules.unmapModule(loaded[1]));
        assertEquals(0, traps.tracing().eventIdTables());
        assertEquals(Errno.EINVAL.negated(), hostHcall(HostHcall.PKVM_ENABLE_EVENT, 300, 0), "its ids left with it");

        long other = (DATA_PFN + 1) * PAGE;
        assertEquals(0, load("events_other", o -> {
            o.hostDonateHyp(DATA_PFN + 1, 1);
            o.store64(other, 300);
            o.store64(other + 8, other + 0x100);
            o.registerHypEventIds(other, other + 16);
        })[0], "the id is free again");
        assertEquals(0, hostHcall(HostHcall.PKVM_ENABLE_EVENT, 300, 1));
        assertEquals(1, va.load64(other + 0x100));
    }

    /** Scenario: malformed tables are EINVAL, unreadable ones EFAULT, and the slots run out at MAX_EVENT_ID_MOD (ENOMEM). */
    @Test
    void badTablesAndFullSlotsAreRefused() {
        List<Errno> errnos = new ArrayList<>();
        assertEquals(0, load("events_module", o -> {
            o.hostDonateHyp(DATA_PFN, 1);
            long table = DATA_PFN * PAGE;
            for (long[] range : new long[][] {{table, table}, {table + 4, table + 20}, {table, table + 24}, {0x10, 0x20}}) {
                try {
                    o.registerHypEventIds(range[0], range[1]);
                } catch (PkvmException e) {
                    errnos.add(e.errno());
                }
            }
            for (int i = 0; i < ModuleOps.MAX_EVENT_ID_MOD; i++) {
                o.store64(table + 16L * i, 1000 + i);
                o.registerHypEventIds(table + 16L * i, table + 16L * (i + 1));
            }
            o.store64(table + 16L * ModuleOps.MAX_EVENT_ID_MOD, 5000);
            try {
                o.registerHypEventIds(table + 16L * ModuleOps.MAX_EVENT_ID_MOD, table + 16L * (ModuleOps.MAX_EVENT_ID_MOD + 1));
            } catch (PkvmException e) {
                errnos.add(e.errno());
            }
        })[0]);
        assertEquals(List.of(Errno.EINVAL, Errno.EINVAL, Errno.EINVAL, Errno.EFAULT, Errno.ENOMEM), errnos);
        assertEquals(ModuleOps.MAX_EVENT_ID_MOD, traps.tracing().eventIdTables());
        assertThrows(PkvmException.class, () -> va.load64(0x10), "the last bad table was not readable");
    }
}
