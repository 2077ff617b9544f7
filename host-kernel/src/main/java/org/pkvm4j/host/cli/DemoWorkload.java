package org.pkvm4j.host.cli;

import java.util.ArrayList;
import java.util.List;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Step 6 of the bundled device's boot: userspace exercises the modules and the freeze.
 *
 * <ul>
 *   <li>every misc device a loaded module registered runs its self-check ({@link
 *       MiscDevice#IOCTL_SELFTEST}): the module's EL1 side calls its EL2 handlers and checks the
 *       answers;</li>
 *   <li>each late module is modprobed after deprivilege: an EL1-only module must load, a pKVM
 *       module's EL2 load must be refused with {@code EOPNOTSUPP};</li>
 *   <li>hibernation must be refused with {@code EBUSY}.</li>
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
        return checks;
    }

    private static Check lateLoad(HostKernel kernel, String module) {
        String what = "late modprobe " + module;
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
}
