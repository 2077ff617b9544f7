package org.pkvm4j.host.kmi;

import java.util.Arrays;
import java.util.Optional;
import org.pkvm4j.host.abi.ApiReferences.HandlerAbi;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;

/**
 * A Kernel Module Interface generation: the GKI branch a device boots as, which fixes the members,
 * signatures and handler ABI of {@code struct pkvm_module_ops} that its vendor modules see.
 *
 * <p>Kernel counterpart: the branch a GKI kernel is built from ({@code android14-5.15} ...), whose
 * frozen KMI every vendor module of that branch is built against; a module's {@code vermagic}
 * names it. Within a branch the layout only grows into its 32 {@code ANDROID_KABI_RESERVE} slots;
 * each branch starts a fresh layout. Chosen with {@code pkvm.kmi=} on the kernel command line.
 */
public enum Kmi {
    /** android14-5.15: {@code kvm_cpu_context} handlers, single-page {@code host_stage2_mod_prot}. */
    ANDROID14_5_15("android14-5.15", HandlerAbi.KVM_CPU_CONTEXT),
    /** android14-6.1: {@code user_pt_regs} handlers, the EL2 heap and IOMMU members. */
    ANDROID14_6_1("android14-6.1", HandlerAbi.USER_PT_REGS),
    /** android15-6.6: the 6.1 members, {@code update_iommu}, KABI slots 1-3. */
    ANDROID15_6_6("android15-6.6", HandlerAbi.USER_PT_REGS),
    /** android16-6.12, the default: the most complete layout, KABI slots 1-4. */
    ANDROID16_6_12("android16-6.12", HandlerAbi.USER_PT_REGS);

    /** The KMI of a device booted without {@code pkvm.kmi=}, and of a module that records none. */
    public static final Kmi DEFAULT = ANDROID16_6_12;

    private final String branch;
    private final HandlerAbi handlerAbi;

    Kmi(String branch, HandlerAbi handlerAbi) {
        this.branch = branch;
        this.handlerAbi = handlerAbi;
    }

    /** The branch name, as on the command line and in modinfo ({@code android14-5.15}). */
    public String branch() {
        return branch;
    }

    /** What {@code dyn_hcall_t} and the module callbacks take in this branch. */
    // "exports": org.pkvm4j.host.abi and .verify are exported to the author tools and the CLI only, which
    // are this member's callers.
    @SuppressWarnings("exports")
    public HandlerAbi handlerAbi() {
        return handlerAbi;
    }

    /** This branch's {@code pkvm_module_ops} table, read once from this package's resources. */
    public KmiTable table() {
        return KmiTable.of(this);
    }

    /** The KMI named {@code branch}, if pkvm4j knows it. */
    public static Optional<Kmi> find(String branch) {
        for (Kmi k : values()) {
            if (k.branch.equals(branch)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    /**
     * The KMI named {@code branch}, as {@code pkvm.kmi=} gives it.
     *
     * @throws BootConfigException ({@code PKVM-BOOT-CMDLINE}) for a branch pkvm4j does not know
     */
    public static Kmi parse(String branch) {
        return find(branch).orElseThrow(() -> new BootConfigException(ErrorCode.BOOT_CMDLINE, "pkvm.kmi=" + branch
                + " is not a KMI pkvm4j knows; use one of " + names()));
    }

    /** The known branch names, comma-separated, oldest first. */
    public static String names() {
        return String.join(", ", Arrays.stream(values()).map(Kmi::branch).toList());
    }

    @Override
    public String toString() {
        return branch;
    }
}
