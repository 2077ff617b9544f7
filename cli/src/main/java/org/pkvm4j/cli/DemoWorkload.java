package org.pkvm4j.cli;

import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.Stage2Fault;

/**
 * Step 6 of the bundled device's boot: userspace exercises the modules and the freeze.
 *
 * <ul>
 *   <li>every misc device a loaded module registered runs its self-check ({@link
 *       MiscDevice#IOCTL_SELFTEST}): the module's EL1 side calls its EL2 handlers and checks the
 *       answers;</li>
 *   <li>each late module is modprobed after deprivilege: an EL1-only module must load, a pKVM
 *       module's EL2 load must be refused with {@code EOPNOTSUPP}; one the initramfs does not hold
 *       (a vendor's own initramfs) is skipped, and the report says so;</li>
 *   <li>hibernation must be refused with {@code EBUSY};</li>
 *   <li>a small protected VM runs: its guest writes two pages and shares one with the host
 *       ({@code MEM_SHARE}); the host reads the shared page, is refused the private one (the stage-2
 *       abort, owner GUEST), and tears the VM down. On an insecure device the VM must be refused.</li>
 * </ul>
 */
final class DemoWorkload {

    /**
     * One check of the demo.
     *
     * @param what what was done
     * @param passed whether the outcome is the expected one
     * @param outcome what happened
     */
    record Check(String what, boolean passed, String outcome) {
    }

    private DemoWorkload() {
    }

    static List<Check> run(HostKernel kernel, List<String> lateModules) {
        List<Check> checks = new ArrayList<>();
        for (String device : kernel.devices().names()) {
            String what = "/dev/" + device + " selftest (" + kernel.devices().owner(device) + ")";
            try {
                long result = kernel.ioctl(device, MiscDevice.IOCTL_SELFTEST, 0);
                checks.add(new Check(what, true, "pass, " + result + " EL2 calls checked"));
            } catch (PkvmException e) {
                checks.add(new Check(what, false, "FAILED: " + e.getMessage()));
            }
        }
        for (String module : lateModules) {
            checks.add(lateLoad(kernel, module));
        }
        try {
            kernel.hibernate();
            checks.add(new Check("hibernate", false, "FAILED: hibernation was allowed under pKVM"));
        } catch (PkvmException e) {
            checks.add(new Check("hibernate", e.errno() == Errno.EBUSY, "refused with " + e.errno()));
        }
        checks.add(protectedVm(kernel));
        return checks;
    }

    private static Check lateLoad(HostKernel kernel, String module) {
        String what = "late modprobe " + module;
        // A vendor's own initramfs holds its modules, not the bundled ones the demo late-loads by default.
        try {
            kernel.moduleFile(module);
        } catch (PkvmException e) {
            if (e.errno() == Errno.ENOENT) {
                return new Check(what, true, "skipped: " + module + " is not in this initramfs");
            }
        }
        try {
            LoadedModule loaded = kernel.modprobe(module);
            if (loaded.isPkvmModule()) {
                return new Check(what, false, "FAILED: EL2 code was loaded after deprivilege");
            }
            return new Check(what, true, "loaded (EL1 only: allowed after deprivilege)");
        } catch (PkvmException e) {
            boolean refused = e.errno() == Errno.EOPNOTSUPP;
            return new Check(what, refused, (refused ? "refused with " : "FAILED: ") + e.errno()
                    + (refused ? " (EL2 loading is closed after deprivilege)" : ": " + e.getMessage()));
        }
    }

    private static final long MEM_SHARE = 0xC600_0003L;
    private static final long PAGE = 4096;

    private static Check protectedVm(HostKernel kernel) {
        String what = "protected VM";
        if (!kernel.securityState().allowsProtectedVms()) {
            try {
                kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED).destroy();
                return new Check(what, false, "FAILED: created on a device that cannot protect it");
            } catch (PkvmException e) {
                return new Check(what, true, "refused with " + e.errno() + " (the device is insecure)");
            }
        }
        KvmVm vm = null;
        try {
            vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
            vm.setUserMemoryRegion(0, 0, 0, 4 * PAGE);
            long[] shareRet = new long[1];
            vm.createVcpu(0).run(cpu -> {
                cpu.store64(0, 0x5EC2E7L);
                shareRet[0] = cpu.hvc(MEM_SHARE, PAGE, 0, 0).a0();
                cpu.store64(PAGE, 0x5A4EDL);
            });
            HostMemory host = kernel.machine().hostMemory();
            long shared = host.load64(vm.hostPhys(PAGE));
            String privateOutcome;
            try {
                host.load64(vm.hostPhys(0));
                privateOutcome = null;
            } catch (Stage2Fault f) {
                privateOutcome = "host refused the private page (owner " + f.owner() + ")";
            }
            vm.destroy();
            vm = null;
            boolean ok = shareRet[0] == 0 && shared == 0x5A4EDL && privateOutcome != null;
            return new Check(what, ok, ok ? "shared 1 page with the host; " + privateOutcome
                    : "FAILED: MEM_SHARE %d, shared page read 0x%x, private page %s".formatted(shareRet[0], shared,
                            privateOutcome == null ? "readable by the host" : "refused"));
        } catch (PkvmException e) {
            return new Check(what, false, "FAILED: " + e.getMessage());
        } finally {
            if (vm != null) {
                try {
                    vm.destroy();
                } catch (PkvmException ignored) {
                    // Already reported.
                }
            }
        }
    }
}
