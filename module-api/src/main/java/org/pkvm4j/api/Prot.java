package org.pkvm4j.api;

/**
 * Stage-2 permission bits, as {@code host_stage2_mod_prot} takes them.
 *
 * <p>Kernel counterpart: {@code enum kvm_pgtable_prot} in {@code asm/kvm_pgtable.h}, with its
 * values: {@code KVM_PGTABLE_PROT_X} = bit 0, {@code KVM_PGTABLE_PROT_W} = bit 1, {@code
 * KVM_PGTABLE_PROT_R} = bit 2. A permission set is an {@code int} of these bits; {@link #NONE} takes
 * every access away and {@link #RWX} is the host's default for memory.
 *
 * @since 0.1
 */
public final class Prot {
    /** {@code KVM_PGTABLE_PROT_X}: instruction fetches allowed. */
    public static final int X = 1;
    /** {@code KVM_PGTABLE_PROT_W}: stores allowed. */
    public static final int W = 1 << 1;
    /** {@code KVM_PGTABLE_PROT_R}: loads allowed. */
    public static final int R = 1 << 2;
    /** No access at all. */
    public static final int NONE = 0;
    /** {@code KVM_PGTABLE_PROT_RW}. */
    public static final int RW = R | W;
    /** {@code KVM_PGTABLE_PROT_RX}: text. */
    public static final int RX = R | X;
    /** {@code KVM_PGTABLE_PROT_RWX}: the host's default for memory. */
    public static final int RWX = R | W | X;

    private Prot() {
    }
}
