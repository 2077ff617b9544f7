package org.pkvm4j.hypervisor.module;

import java.util.HashSet;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.machine.HypKmi;
import org.pkvm4j.machine.ModuleOpsMembers;

/**
 * The run-time check of the device's KMI: a {@link ModuleOps} member the KMI's {@code struct
 * pkvm_module_ops} lacks is refused with {@code ENOSYS} when EL2 code calls it, and changes nothing.
 *
 * <p>Kernel counterpart: none: a C module built for another branch does not load (vermagic) and one
 * built for this branch cannot name a member the branch lacks. The loader refuses the same modules
 * ({@code PKVM-LOAD-KMI-MEMBER}); this gate holds for every caller the loader's scan cannot see (ADR
 * 0022). Members are keyed as {@link ModuleOpsTable} names them to its containment check: the method
 * name, or for an overloaded name the signature the KMI tables use ({@code hostStage2ModProt(long,
 * int)}; {@link ModuleOpsMembers} reads both once per JVM, so that a boot does no reflection here. Made
 * once per hypervisor; a check is one lookup in a small set.
 */
final class KmiGate {
    /** A gate that refuses nothing ({@link HypKmi#EVERY}). */
    static final KmiGate EVERY = new KmiGate("", Set.of());

    private final String branch;
    private final Set<String> refused;

    private KmiGate(String branch, Set<String> refused) {
        this.branch = branch;
        this.refused = refused;
    }

    /** The gate of {@code kmi}: every {@code ModuleOps} member outside its members is refused. */
    static KmiGate of(HypKmi kmi) {
        if (kmi.every()) {
            return EVERY;
        }
        Set<String> refused = new HashSet<>();
        for (ModuleOpsMembers.Member m : ModuleOpsMembers.all()) {
            if (!kmi.members().contains(m.signature())) {
                refused.add(m.key());
            }
        }
        return new KmiGate(kmi.branch(), Set.copyOf(refused));
    }

    /**
     * Refuses member {@code op} if the KMI lacks it.
     *
     * @throws PkvmException {@code ENOSYS} naming the member and the KMI
     */
    void check(String op) {
        if (!refused.isEmpty() && refused.contains(op)) {
            throw new PkvmException(Errno.ENOSYS, "ModuleOps.%s: not a member of KMI %s's pkvm_module_ops".formatted(op, branch));
        }
    }

    /** The refused keys (tests). */
    Set<String> refused() {
        return refused;
    }
}
