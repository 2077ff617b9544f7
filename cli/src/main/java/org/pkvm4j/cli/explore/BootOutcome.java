package org.pkvm4j.cli.explore;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * What one boot came to, seen from userspace after it: the security state, which module's HVCs
 * answer, whether a protected VM may start, how late loads went.
 *
 * <p>Comparable across boot orders: HVC numbers depend on the order the modules registered in, so
 * an outcome records how many of each module's HVCs answer, not which numbers they got. An HVC
 * that answers but belongs to no loaded module is counted as {@code strayHvcs}: something a
 * failed load left behind.
 *
 * @param security {@code protected}, {@code insecure}, {@code unprotected} or {@code panic}
 * @param failedModule the module that made the system insecure, or empty
 * @param errno its errno, or empty
 * @param answering each loaded module with the number of its HVCs that answer, in load order
 *     (modules without HVCs are listed with 0)
 * @param strayHvcs HVCs that answer but belong to no loaded module
 * @param pvmAllowed whether {@code createVm(KVM_VM_TYPE_ARM_PROTECTED)} succeeded
 * @param pvmErrno the errno it was refused with, or empty
 * @param lateLoads each late-loaded module with its errno name, or {@code loaded}
 */
public record BootOutcome(String security, Optional<String> failedModule, Optional<Errno> errno,
        Map<String, Integer> answering, int strayHvcs, boolean pvmAllowed, Optional<Errno> pvmErrno,
        Map<String, String> lateLoads) {

    /** Copies the maps. */
    public BootOutcome {
        Objects.requireNonNull(security, "security");
        answering = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(answering));
        lateLoads = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(lateLoads));
    }

    /**
     * Probes a booted device: every dynamic HVC id with zero arguments, and one protected VM
     * (created and destroyed again).
     */
    public static BootOutcome probe(HostKernel kernel) {
        BootReport report = kernel.bootReport();
        String security;
        Optional<String> failed = Optional.empty();
        Optional<Errno> errno = Optional.empty();
        if (kernel.panic().isPresent()) {
            security = "panic";
        } else {
            switch (report.security()) {
                case SecurityState.Protected p -> security = "protected";
                case SecurityState.Tainted t -> security = "tainted";
                case SecurityState.Insecure i -> {
                    security = "insecure";
                    failed = Optional.of(i.module());
                    errno = Optional.of(i.errno());
                }
                case SecurityState.InitramfsRejected r -> {
                    security = "insecure";
                    errno = Optional.of(Errno.EPERM);
                }
                case SecurityState.Unprotected u -> security = "unprotected";
            }
        }
        Map<Integer, String> owner = new TreeMap<>();
        Map<String, Integer> answering = new LinkedHashMap<>();
        for (LoadedModule m : kernel.lsmod()) {
            answering.put(m.name(), 0);
            for (HvcNumber h : m.hvcs()) {
                owner.put(h.id(), m.name());
            }
        }
        int stray = 0;
        if (kernel.panic().isEmpty()) {
            for (int id = Smccc.DYNAMIC_HCALLS_BASE; id < Smccc.DYNAMIC_HCALLS_BASE + Smccc.MAX_DYNAMIC_HCALLS; id++) {
                long a0 = kernel.gateway().hvc(Smccc.kvmHostSmcccId(id), 0, 0, 0).a0();
                if (a0 == Smccc.RET_NOT_SUPPORTED) {
                    continue;
                }
                String module = owner.get(id);
                if (module == null) {
                    stray++;
                } else {
                    answering.merge(module, 1, Integer::sum);
                }
            }
        }
        boolean pvm = false;
        Optional<Errno> pvmErrno = Optional.empty();
        if (kernel.panic().isEmpty()) {
            try {
                KvmVm vm = kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
                vm.destroy();
                pvm = true;
            } catch (PkvmException e) {
                pvmErrno = Optional.of(e.errno());
            }
        }
        Map<String, String> late = new LinkedHashMap<>();
        for (BootReport.LateLoad l : report.lateLoads()) {
            late.put(l.module(), l.errno().map(Errno::name).orElse("loaded"));
        }
        return new BootOutcome(security, failed, errno, answering, stray, pvm, pvmErrno, late);
    }

    /** The security column: {@code protected}, or {@code insecure: kvstore ENODEV}. */
    public String describeSecurity() {
        return failedModule.map(m -> security + ": " + m + " " + errno.map(Errno::name).orElse("?")).orElse(security);
    }

    /** The HVC column: {@code pkvm_driver:1 kvstore:4}, plus {@code STRAY:n} if any. */
    public String describeHvcs() {
        List<String> parts = new ArrayList<>();
        answering.forEach((m, n) -> parts.add(m + ":" + n));
        if (strayHvcs > 0) {
            parts.add("STRAY:" + strayHvcs);
        }
        return parts.isEmpty() ? "none" : String.join(" ", parts);
    }

    /** The pVM column: {@code yes}, or {@code no (EPERM)}. */
    public String describePvm() {
        return pvmAllowed ? "yes" : "no" + pvmErrno.map(e -> " (" + e.name() + ")").orElse("");
    }

    /** The late-load column: {@code kvstore:EOPNOTSUPP}, or {@code -}. */
    public String describeLateLoads() {
        List<String> parts = new ArrayList<>();
        lateLoads.forEach((m, r) -> parts.add(m + ":" + r));
        return parts.isEmpty() ? "-" : String.join(" ", parts);
    }

    /**
     * The outcome with the order of loading taken out: the key under which two boots of the same
     * fault are compared (answering HVCs as a sorted map).
     */
    public Object orderFreeKey() {
        return List.of(security, failedModule, errno, new TreeMap<>(answering), strayHvcs, pvmAllowed, pvmErrno,
                new TreeMap<>(lateLoads));
    }
}
