package org.pkvm4j.hypervisor.smc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.hypervisor.mem.GuestExit;
import org.pkvm4j.hypervisor.mem.GuestMemProtect;
import org.pkvm4j.hypervisor.mem.GuestVcpus;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.mem.VmTable;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;

/** A guest's SMC at EL2: the TRNG calls, the module handlers, NOT_SUPPORTED, and the host's share. */
class GuestSmcTest {
    private static final long UUID_HI = 0x0123_4567_89AB_CDEFL;
    private static final long UUID_LO = 0x0FED_CBA9_8765_4321L;
    private static final long SIP_CALL = 0xC200_0010L;

    private final Machine machine = new Machine(new MachineConfig(2, 64 * MachineConfig.PAGE_SIZE));
    private final HypPlatform platform = machine.takeHypPlatform();
    private final VmTable vms = new VmTable();
    private final GuestVcpus vcpus = new GuestVcpus(new GuestMemProtect(new MemProtect(platform.memory()), vms), 2);
    private final SmcRegistry registry = new SmcRegistry();
    private final GuestSmc smc = new GuestSmc(platform, vcpus, registry);
    private final GuestExit exit = new GuestExit();
    private final Cpu cpu = machine.cpus().get(0);

    /** A VM with its vCPU loaded on CPU {@code cpuId}. */
    private int runningVm(boolean isProtected, int cpuId) {
        int h = vms.reserveVm();
        assertEquals(0, vms.initVm(h, 1, isProtected));
        assertEquals(0, vcpus.vcpuLoad(cpuId, h, 0));
        return h;
    }

    private int runningVm(boolean isProtected) {
        return runningVm(isProtected, 0);
    }

    /** One guest SMC of the vCPU loaded on CPU 0; returns {exit code, x0, x1, x2, x3}. */
    private long[] call(long fn, long a1) {
        return callOn(cpu, fn, a1);
    }

    private long[] callOn(Cpu on, long fn, long a1) {
        long code = smc.guestSmc(on, fn, a1, 0, 0, exit);
        return new long[] {code, exit.x2(), exit.x3(), exit.x4(), exit.x5()};
    }

    @Test
    void withoutOpsEveryTrngCallIsNotSupported() {
        runningVm(true);
        for (long fn : new long[] {Trng.VERSION, Trng.FEATURES, Trng.GET_UUID, Trng.RND64}) {
            assertEquals(Smccc.RET_NOT_SUPPORTED, call(fn, 64)[1], Long.toHexString(fn));
        }
    }

    @Test
    void theRegisteredOpsAnswerTheTrngCalls() {
        List<Integer> asked = new ArrayList<>();
        registry.registerGuestTrngOps(new GuestTrngOps(UUID_HI, UUID_LO, (out, bits) -> {
            asked.add(bits);
            out[0] = -1;
            out[1] = -1;
            out[2] = -1;
            return true;
        }));
        runningVm(true);
        assertEquals(Trng.VERSION_1_0, call(Trng.VERSION, 0)[1]);
        assertEquals(Smccc.RET_SUCCESS, call(Trng.FEATURES, Trng.RND64)[1]);
        assertEquals(Smccc.RET_NOT_SUPPORTED, call(Trng.FEATURES, 0x8400_0054L)[1]);
        long[] uuid = call(Trng.GET_UUID, 0);
        assertEquals(List.of(0x0123_4567L, 0x89AB_CDEFL, 0x0FED_CBA9L, 0x8765_4321L), List.of(uuid[1], uuid[2], uuid[3], uuid[4]));
        long[] r8 = call(Trng.RND64, 8);
        assertEquals(List.of(0L, 0L, 0L, 0xFFL), List.of(r8[1], r8[2], r8[3], r8[4]), "only the asked bits, from x3 up");
        long[] r130 = call(Trng.RND64, 130);
        assertEquals(List.of(0L, 3L, -1L, -1L), List.of(r130[1], r130[2], r130[3], r130[4]));
        assertEquals(GuestTrng.RET_INVALID_PARAMETER, call(Trng.RND64, 0)[1]);
        assertEquals(GuestTrng.RET_INVALID_PARAMETER, call(Trng.RND64, Trng.MAX_BITS_64 + 1)[1]);
        assertEquals(List.of(8, 130), asked, "refused sizes never reach the back end");
    }

    @Test
    void aSourceWithoutEntropyAnswersNoEntropy() {
        registry.registerGuestTrngOps(new GuestTrngOps(UUID_HI, UUID_LO, (out, bits) -> false));
        runningVm(true);
        assertEquals(Trng.RET_NO_ENTROPY, call(Trng.RND64, 64)[1]);
    }

    @Test
    void trngOpsWithMissingFieldsAreEinvalAndASecondSetIsEbusy() {
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class, () -> registry.registerGuestTrngOps(null)).errno());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> registry.registerGuestTrngOps(new GuestTrngOps(UUID_HI, UUID_LO, null))).errno());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> registry.registerGuestTrngOps(new GuestTrngOps(0, 0, (o, b) -> true))).errno());
        registry.registerGuestTrngOps(new GuestTrngOps(UUID_HI, UUID_LO, (o, b) -> true));
        assertEquals(Errno.EBUSY, assertThrows(PkvmException.class,
                () -> registry.registerGuestTrngOps(new GuestTrngOps(UUID_HI, UUID_LO, (o, b) -> true))).errno());
    }

    @Test
    void guestHandlersRunInOrderWithTheVmHandleAndUnclaimedIsNotSupported() {
        List<String> seen = new ArrayList<>();
        registry.registerGuestSmcHandler((regs, handle) -> {
            seen.add("first " + handle);
            return false;
        });
        registry.registerGuestSmcHandler((regs, handle) -> {
            seen.add("second x1=" + regs.get(1));
            if (regs.get(0) != SIP_CALL) {
                return false;
            }
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, regs.get(1) + 1);
            return true;
        });
        int vm = runningVm(true);
        long[] r = call(SIP_CALL, 41);
        assertEquals(List.of(GuestVcpus.EXIT_DONE, Smccc.RET_SUCCESS, 42L), List.of(r[0], r[1], r[2]));
        assertEquals(List.of("first " + vm, "second x1=41"), seen);
        assertEquals(Smccc.RET_NOT_SUPPORTED, call(0xC200_0011L, 0)[1]);
    }

    @Test
    void theSmcIsTheLoadedVcpusAndHandlersAreToldItsVm() {
        List<Long> told = new ArrayList<>();
        registry.registerGuestSmcHandler((regs, handle) -> {
            told.add(handle);
            regs.set(0, Smccc.RET_SUCCESS);
            return true;
        });
        int onCpu0 = runningVm(true, 0);
        int onCpu1 = runningVm(true, 1);
        assertEquals(Smccc.RET_SUCCESS, callOn(machine.cpus().get(1), SIP_CALL, 0)[1]);
        assertEquals(Smccc.RET_SUCCESS, callOn(cpu, SIP_CALL, 0)[1]);
        assertEquals(List.of((long) onCpu1, (long) onCpu0), told, "each CPU's loaded vCPU, whatever else runs");
        assertEquals(0, vcpus.vcpuPut(1));
        assertEquals(Errno.EINVAL.negated(), callOn(machine.cpus().get(1), SIP_CALL, 0)[0], "no loaded vCPU");
        assertEquals(2, told.size(), "the handlers never ran for it");
    }

    @Test
    void aNonProtectedGuestsSmcGoesToTheHostAndWithoutALoadedVcpuItIsEinval() {
        registry.registerGuestSmcHandler((regs, handle) -> {
            throw new AssertionError("a non-protected guest's SMC reached a module handler");
        });
        runningVm(false);
        long[] r = call(SIP_CALL, 0);
        assertEquals(List.of(GuestVcpus.EXIT_HVC, SIP_CALL), List.of(r[0], r[1]));
        assertEquals(0, vcpus.vcpuPut(0));
        assertEquals(Errno.EINVAL.negated(), call(SIP_CALL, 0)[0], "the put left no vCPU on the CPU");
    }
}
