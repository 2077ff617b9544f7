package org.pkvm4j.hypervisor.mem;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.hypervisor.Deprivilege;
import org.pkvm4j.hypervisor.HostHcalls;
import org.pkvm4j.hypervisor.HypMain;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.module.DynamicHcalls;
import org.pkvm4j.hypervisor.smc.GuestSmc;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/**
 * A machine whose EL2 answers the static host hypercalls of {@link HostHcalls} (no module: the
 * guest-memory calls, and guest SMCs to the handlers of {@link #smc}), driven with raw registers as the host drives it, with the hypervisor's
 * memory state kept for the test to inspect.
 */
final class RawHostHcalls {
    final Machine machine;
    final MemProtect mp;
    final VmTable vms = new VmTable();
    final GuestMemProtect gm;
    /** The guest SMC handlers and TRNG ops the guest SMC hypercall reaches. */
    final SmcRegistry smc = new SmcRegistry();

    RawHostHcalls(int nrCpus, long nrPages) {
        machine = new Machine(new MachineConfig(nrCpus, nrPages * MachineConfig.PAGE_SIZE));
        HypPlatform platform = machine.takeHypPlatform();
        mp = new MemProtect(platform.memory());
        gm = new GuestMemProtect(mp, vms);
        GuestVcpus vcpus = new GuestVcpus(gm, nrCpus);
        Deprivilege deprivilege = new Deprivilege(nrCpus);
        machine.installEl2Vector(new HypMain(platform, new DynamicHcalls(platform),
                HostHcalls.table(null, deprivilege, mp, vcpus, nrCpus,
                        new KvmIommu(mp, platform.memory(), line -> { }), new PkvmDevices(), new GuestSmc(platform, vcpus, smc), null), deprivilege, mp, new HostPermFaultHandlers()));
    }

    /** One host hypercall on CPU {@code cpuId}, x1..x4 = {@code args}; returns x1 (the status must be SUCCESS). */
    long hvc(int cpuId, HostHcall call, long... args) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            cpu.regs().set(0, Smccc.kvmHostSmcccId(call.id()));
            for (int i = 0; i < 4; i++) {
                cpu.regs().set(i + 1, i < args.length ? args[i] : 0);
            }
            cpu.hvc();
            assertEquals(Smccc.RET_SUCCESS, cpu.regs().get(0), call.symbol());
            return cpu.regs().get(1);
        } finally {
            machine.putCpu(cpu);
        }
    }
}
