package org.pkvm4j.machine;

import java.util.Objects;
import java.util.Set;

/**
 * The KMI generation the device boots as, as the hypervisor needs it at run time: the branch and the
 * {@code ModuleOps} methods its {@code struct pkvm_module_ops} offers.
 *
 * <p>Kernel counterpart: none at run time: a C hypervisor is built for one branch and its {@code
 * module_ops} has that branch's layout. pkvm4j's one {@code ModuleOps} interface holds every branch's
 * members, so boot code tells the hypervisor which of them this device has (ADR 0022).
 *
 * @param branch the branch, for example {@code android14-5.15}; empty for {@link #EVERY}
 * @param members the offered methods, spelled as the KMI tables spell them: {@code name(Type, Type)}
 *     with simple type names, for example {@code hostStage2ModProt(long, int)}; empty for {@link
 *     #EVERY}
 */
public record HypKmi(String branch, Set<String> members) {
    /** No KMI given (a hypervisor started by a unit test): every member is offered. */
    public static final HypKmi EVERY = new HypKmi("", Set.of());

    /** Copies the set. */
    public HypKmi {
        Objects.requireNonNull(branch, "branch");
        members = Set.copyOf(members);
    }

    /** Whether this is {@link #EVERY}. */
    public boolean every() {
        return branch.isEmpty();
    }
}
