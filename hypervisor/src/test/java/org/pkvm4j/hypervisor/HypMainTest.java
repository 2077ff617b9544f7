package org.pkvm4j.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.hypervisor.module.El2Modules;
import org.pkvm4j.hypervisor.setup.PkvmImage;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HypOptions;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/** The trap entry of the real hypervisor image, driven with raw registers as the host drives it. */
class HypMainTest {
    private final Machine machine = new Machine(MachineConfig.defaults());
    private final List<String> console = new ArrayList<>();

    HypMainTest() {
        machine.uart().attach(console::add);
        machine.installEl2Vector(new PkvmImage().pkvmInit(machine.takeHypPlatform(), new HypOptions(true)));
    }

    @AfterEach
    void noPanic() {
        assertNull(machine.panic(), "the hypervisor panicked");
    }

    /** One HVC on {@code cpuId}: x0 = {@code functionId}, x1 = {@code arg}; returns {x0, x1}. */
    private long[] hvc(int cpuId, long functionId, long arg) {
        Cpu cpu = machine.getCpu(cpuId);
        try {
            cpu.regs().set(0, functionId);
            cpu.regs().set(1, arg);
            cpu.hvc();
            return new long[] {cpu.regs().get(0), cpu.regs().get(1)};
        } finally {
            machine.putCpu(cpu);
        }
    }

    private long[] hvc(int cpuId, HostHcall call, long arg) {
        return hvc(cpuId, Smccc.kvmHostSmcccId(call.id()), arg);
    }

    @Test
    void initPrintsItsBannerOnTheUart() {
        assertEquals(List.of("pKVM: hypervisor initialised on 4 CPUs, protected mode"), console);
    }

    @Test
    void protFinalizeSucceedsOncePerCpu() {
        assertEquals(List.of(0L, 0L), List.of(hvc(0, HostHcall.PKVM_PROT_FINALIZE, 0)[0], hvc(1, HostHcall.PKVM_PROT_FINALIZE, 0)[0]));
        long[] again = hvc(0, HostHcall.PKVM_PROT_FINALIZE, 0);
        assertEquals(Smccc.RET_SUCCESS, again[0]);
        assertEquals(Errno.EPERM.negated(), again[1]);
        // CPU2 has not been finalized yet.
        long[] cpu2 = hvc(2, HostHcall.PKVM_PROT_FINALIZE, 0);
        assertEquals(Smccc.RET_SUCCESS, cpu2[0]);
        assertEquals(0, cpu2[1]);
    }

    @Test
    void protFinalizeFirstTimeReturnsZeroInX0AndX1() {
        long[] r = hvc(3, HostHcall.PKVM_PROT_FINALIZE, 1234);
        assertEquals(0, r[0]);
        assertEquals(0, r[1]);
    }

    @ParameterizedTest
    @MethodSource("privilegedCalls")
    void thePrivilegedBandClosesAfterTheFirstFinalize(HostHcall call) {
        hvc(0, HostHcall.PKVM_PROT_FINALIZE, 0);
        // Closed on every CPU, not only the one that finalized.
        for (int cpu = 0; cpu < machine.nrCpus(); cpu++) {
            assertEquals(Smccc.RET_NOT_SUPPORTED, hvc(cpu, call, 1)[0], call + " on CPU" + cpu);
        }
    }

    @Test
    void allocModuleVaHandsOutConsecutiveRangesBeforeFinalize() {
        long[] first = hvc(0, HostHcall.PKVM_ALLOC_MODULE_VA, 1);
        assertEquals(Smccc.RET_SUCCESS, first[0]);
        assertEquals(0x0000_8000_0000_0000L, first[1]);
        assertEquals(El2Modules.MODULE_VA_BASE, first[1]);
        long[] second = hvc(1, HostHcall.PKVM_ALLOC_MODULE_VA, 2);
        assertEquals(El2Modules.MODULE_VA_BASE + MachineConfig.PAGE_SIZE, second[1]);
        long[] third = hvc(1, HostHcall.PKVM_ALLOC_MODULE_VA, 1);
        assertEquals(El2Modules.MODULE_VA_BASE + 3L * MachineConfig.PAGE_SIZE, third[1]);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, (128L << 20) / 4096 + 1})
    void allocModuleVaRefusesBadPageCounts(long pages) {
        long[] r = hvc(0, HostHcall.PKVM_ALLOC_MODULE_VA, pages);
        assertEquals(Smccc.RET_SUCCESS, r[0]);
        assertEquals(Errno.EINVAL.negated(), r[1]);
    }

    @Test
    void allocModuleVaRunsOutOfTheWindow() {
        long all = El2Modules.MODULE_VA_SIZE / MachineConfig.PAGE_SIZE;
        assertEquals(El2Modules.MODULE_VA_BASE, hvc(0, HostHcall.PKVM_ALLOC_MODULE_VA, all)[1]);
        assertEquals(Errno.ENOMEM.negated(), hvc(0, HostHcall.PKVM_ALLOC_MODULE_VA, 1)[1]);
    }

    @ParameterizedTest
    @ValueSource(longs = {0xC600_0063L /* 99 */, 0xC600_0000L /* 0 */, 0xC600_0013L /* 19: a gap */,
        0xC600_00FFL /* unregistered dynamic id */, 0xC600_0080L /* first dynamic id, unregistered */,
        0xC600_0100L /* 256 */, 0, 0xC500_0015L /* another owner */, -1})
    void unknownIdsAnswerNotSupported(long x0) {
        long[] r = hvc(0, x0, 42);
        assertEquals(Smccc.RET_NOT_SUPPORTED, r[0]);
        assertEquals(42, r[1], "a refused call leaves x1 alone");
    }

    @Test
    void callHintsAreStrippedBeforeDispatch() {
        long[] r = hvc(0, Smccc.kvmHostSmcccId(HostHcall.PKVM_ALLOC_MODULE_VA.id()) | Smccc.CALL_HINTS, 1);
        assertEquals(Smccc.RET_SUCCESS, r[0]);
        assertEquals(El2Modules.MODULE_VA_BASE, r[1]);

        long[] fin = hvc(1, Smccc.kvmHostSmcccId(HostHcall.PKVM_PROT_FINALIZE.id()) | Smccc.CALL_HINTS, 0);
        assertEquals(Smccc.RET_SUCCESS, fin[0]);
        assertEquals(0, fin[1]);
        assertEquals(Errno.EPERM.negated(), hvc(1, HostHcall.PKVM_PROT_FINALIZE, 0)[1]);
    }

    @Test
    void registerHcallForAnAddressOutsideAnyModuleIsEinval() {
        long[] r = hvc(0, HostHcall.PKVM_REGISTER_HCALL, El2Modules.MODULE_VA_BASE);
        assertEquals(Smccc.RET_SUCCESS, r[0]);
        assertEquals(Errno.EINVAL.negated(), r[1]);
    }

    @Test
    void unmapOfAReservationGivesItBackOnce() {
        long va = hvc(0, HostHcall.PKVM_ALLOC_MODULE_VA, 1)[1];
        assertEquals(0, hvc(0, HostHcall.PKVM_UNMAP_MODULE_PAGE, va)[1]);
        assertEquals(Errno.EINVAL.negated(), hvc(0, HostHcall.PKVM_UNMAP_MODULE_PAGE, va)[1]);
    }

    static java.util.stream.Stream<HostHcall> privilegedCalls() {
        return java.util.Arrays.stream(HostHcall.values()).filter(HostHcall::isPrivileged);
    }
}
