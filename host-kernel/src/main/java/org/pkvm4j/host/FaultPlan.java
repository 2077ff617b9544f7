package org.pkvm4j.host;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.pkvm4j.machine.HypFault;

/**
 * The faults one boot injects: given through {@link BootConfig#withFaults(FaultPlan)}.
 *
 * <p>A value: equal plans inject the same faults. The EL2 ones ({@link BootFault.El2InitFails},
 * {@link BootFault.HcallRegistrationFails}) become {@link HypFault}s handed to the hypervisor at
 * {@code __pkvm_init}; the EL1 ones are armed in the host's loader; {@link BootFault.LoadsLate}
 * changes which modules step 4 loads and adds a late modprobe after step 5.
 *
 * @param faults the faults, in the order given
 */
public record FaultPlan(List<BootFault> faults) {
    private static final FaultPlan NONE = new FaultPlan(List.of());

    /** Copies the list. */
    public FaultPlan {
        faults = List.copyOf(faults);
    }

    /** No fault: a production boot. */
    public static FaultPlan none() {
        return NONE;
    }

    /** A plan of {@code faults}. */
    public static FaultPlan of(BootFault... faults) {
        return new FaultPlan(Arrays.asList(faults));
    }

    /** Whether this plan injects nothing. */
    public boolean isEmpty() {
        return faults.isEmpty();
    }

    /** This plan and {@code fault}. */
    public FaultPlan and(BootFault fault) {
        List<BootFault> all = new ArrayList<>(faults);
        all.add(Objects.requireNonNull(fault, "fault"));
        return new FaultPlan(all);
    }

    /** The faults the hypervisor injects at EL2. */
    public List<HypFault> hypFaults() {
        List<HypFault> hyp = new ArrayList<>();
        for (BootFault f : faults) {
            switch (f) {
                case BootFault.El2InitFails e -> hyp.add(new HypFault.InitModuleFails(e.module(), e.errno()));
                case BootFault.HcallRegistrationFails r ->
                        hyp.add(new HypFault.RegisterHcallFails(r.module(), r.nth(), r.errno()));
                case BootFault.El1InitFails e -> {
                }
                case BootFault.LoadsLate l -> {
                }
            }
        }
        return hyp;
    }

    /** The modules moved from {@code kvm-arm.protected_modules=} to a late modprobe. */
    public List<String> lateModules() {
        return faults.stream().filter(f -> f instanceof BootFault.LoadsLate).map(BootFault::module).distinct().toList();
    }

    @Override
    public String toString() {
        return faults.isEmpty() ? "no fault" : String.join("; ", faults.stream().map(BootFault::toString).toList());
    }
}
