package org.pkvm4j.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * Asks a booted device from the host what answers, as {@code pkvm explore}'s probe does: an HVC
 * answers when EL2 does not return {@code SMCCC_RET_NOT_SUPPORTED} for its id (called with zero
 * arguments), a protected VM may start when {@code createVm} succeeds (it is destroyed again).
 */
final class HvcProbe {
    private HvcProbe() {
    }

    /** Whether dynamic HVC {@code id} answers. */
    static boolean answers(HostKernel kernel, int id) {
        return kernel.gateway().hvc(Smccc.kvmHostSmcccId(id), 0, 0, 0).a0() != Smccc.RET_NOT_SUPPORTED;
    }

    /** The dynamic HVC ids that answer but belong to no loaded module: what a failed load left behind. */
    static List<Integer> strays(HostKernel kernel) {
        List<Integer> owned = kernel.lsmod().stream().flatMap(m -> m.hvcs().stream()).map(HvcNumber::id).toList();
        List<Integer> stray = new ArrayList<>();
        for (int id = Smccc.DYNAMIC_HCALLS_BASE; id < Smccc.DYNAMIC_HCALLS_BASE + Smccc.MAX_DYNAMIC_HCALLS; id++) {
            if (!owned.contains(id) && answers(kernel, id)) {
                stray.add(id);
            }
        }
        return stray;
    }

    /** The loaded module {@code name}, if loaded now. */
    static Optional<LoadedModule> loaded(HostKernel kernel, String name) {
        return kernel.lsmod().stream().filter(m -> PkvmDevice.sameName(m.name(), name)).findFirst();
    }

    /** Empty if a protected VM starts (and is destroyed again), else why it was refused. */
    static Optional<PkvmException> protectedVmRefusal(HostKernel kernel) {
        try {
            KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
            vm.destroy();
            return Optional.empty();
        } catch (PkvmException e) {
            return Optional.of(e);
        }
    }
}
