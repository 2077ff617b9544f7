package org.pkvm4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.machine.HostHcall;

/** What deprivilege freezes, and what it leaves working. */
class DeprivilegeIT {

    private static SmcccRes hostHcall(HostKernel kernel, HostHcall call, long a1) {
        return kernel.gateway().hvc(Smccc.kvmHostSmcccId(call.id()), a1, 0, 0);
    }

    /** Scenario: a pKVM module modprobed after deprivilege is refused with EOPNOTSUPP and leaves nothing. */
    @Test
    void lateEl2LoadIsRefused() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "pkvm_driver");
        Devices.addBundled(initramfs, "percpu_counter");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver", initramfs);

        PkvmException e = assertThrows(PkvmException.class, () -> kernel.modprobe("percpu_counter"));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertTrue(e.getMessage().contains("after deprivilege"), e.getMessage());
        assertEquals(1, kernel.lsmod().size());
        assertFalse(kernel.devices().names().contains("percpu_counter"));
        assertEquals(Smccc.RET_NOT_SUPPORTED, kernel.gateway().hvc(Smccc.kvmHostSmcccId(129), 0, 0, 0).a0());
    }

    /** Scenario: an ordinary EL1-only module still loads after deprivilege, with its parameters. */
    @Test
    void lateEl1OnlyModuleLoads() {
        var initramfs = Devices.newInitramfs();
        Devices.addBundled(initramfs, "hello_el1");
        HostKernel kernel = Devices.boot("kvm-arm.mode=protected hello_el1.greeting=hi-there", initramfs);

        LoadedModule hello = kernel.modprobe("hello-el1");
        assertFalse(hello.isPkvmModule());
        assertEquals(0, kernel.ioctl("hello", 0, 0));
        assertTrue(kernel.log().lines().stream().anyMatch(l -> l.endsWith("hello_el1: hi-there")));
        assertEquals(hello, kernel.modprobe("hello_el1"), "modprobe of a loaded module is a no-op");
    }

    /** Scenario: a loaded module's own Pkvm cannot load or register anything after deprivilege. */
    @Test
    void registrationIsFrozenForLoadedModulesToo() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        Pkvm pkvm = kernel.pkvm("pkvm_driver").orElseThrow();
        LoadedModule driver = kernel.lsmod().getFirst();

        assertEquals(Errno.EOPNOTSUPP, assertThrows(PkvmException.class,
                () -> pkvm.loadEl2Module("pkvm_driver_hyp_init")).errno());
        assertEquals(Errno.EOPNOTSUPP, assertThrows(PkvmException.class,
                () -> pkvm.registerEl2ModCall("pkvm_driver_hyp_hvc", driver.token().orElseThrow())).errno());
        assertEquals(0, pkvm.el2ModCall(driver.hvcs().getFirst()), "calls keep working");
    }

    /**
     * Scenario: the hypervisor itself closes the module hypercalls once the host is deprivileged,
     * whatever EL1 does: raw HVCs answer SMCCC_RET_NOT_SUPPORTED in x0.
     */
    @Test
    void moduleHypercallsAnswerNotSupportedAfterDeprivilege() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        long handlerVa = kernel.lsmod().getFirst().token().orElseThrow().hypVa();
        for (HostHcall call : HostHcall.values()) {
            if (call.isPrivileged()) {
                assertEquals(Smccc.RET_NOT_SUPPORTED, hostHcall(kernel, call, handlerVa).a0(), call.symbol());
            }
        }
    }

    /** Scenario: __pkvm_prot_finalize a second time on a CPU is EPERM. */
    @Test
    void protFinalizeTwiceIsEperm() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        PkvmException e = assertThrows(PkvmException.class,
                () -> kernel.gateway().hostHcallOn(0, HostHcall.PKVM_PROT_FINALIZE, 0, 0, 0));
        assertEquals(Errno.EPERM, e.errno());
    }

    /** Scenario: HVCs to ids nobody registered, dynamic or static, answer NOT_SUPPORTED. */
    @Test
    void unregisteredIdsAnswerNotSupported() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        for (int id : new int[] {129, 200, 255, 99, 64}) {
            assertEquals(Smccc.RET_NOT_SUPPORTED, kernel.gateway().hvc(Smccc.kvmHostSmcccId(id), 0, 0, 0).a0(), "id " + id);
        }
        assertEquals(Smccc.RET_SUCCESS, kernel.gateway().hvc(Smccc.kvmHostSmcccId(128) | Smccc.CALL_HINTS, 0, 0, 0).a0(),
                "the SMCCC hint bit is ignored");
    }

    /** Scenario: hibernation and kexec are EBUSY under pKVM. */
    @Test
    void hibernateAndKexecAreBusy() {
        HostKernel kernel = Devices.bootBundled("pkvm_driver");
        assertEquals(Errno.EBUSY, assertThrows(PkvmException.class, kernel::hibernate).errno());
        assertEquals(Errno.EBUSY, assertThrows(PkvmException.class, kernel::kexecLoad).errno());
    }
}
