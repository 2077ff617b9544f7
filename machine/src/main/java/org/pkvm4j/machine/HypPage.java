package org.pkvm4j.machine;

/**
 * The 64-bit per-page metadata word and its fields: pure functions, no state.
 *
 * <p>Kernel counterpart: {@code struct hyp_page} (the hyp vmemmap, 8 bytes a page: {@code u16
 * refcount}, {@code u8 order}, a 4-bit host state, a 4-bit <em>complemented</em> hyp state and {@code
 * u32 host_share_guest_count}) together with the annotation an invalid host stage-2 PTE carries for
 * a page the host does not own ({@code KVM_HOST_INVALID_PTE_TYPE_DONATION}: owner id, and for a guest
 * owner the VM handle and gfn). pkvm4j keeps both in one word per page, so its metadata stays at 8
 * bytes a page:
 *
 * <pre>
 *  bits  0..1   host state                       ({@link PageState#bits()}; 0 = OWNED)
 *  bits  2..3   hyp state, complemented           (0 = NOPAGE, as pKVM stores it)
 *  bits  4..5   annotation owner id               ({@link OwnerId}; meaningful when host is NOPAGE)
 *  bit   6      host may not read                 (host_stage2_mod_prot without R)
 *  bit   7      host may not write                (host_stage2_mod_prot without W)
 *  bits  8..23  hyp refcount (pins)               u16, or the VM handle of a GUEST annotation
 *  bits 24..55  host_share_guest_count            u32, or (24..63) the gfn of a GUEST annotation
 *  bit  56      host may not execute              (recorded only: the model has no fetches)
 * </pre>
 *
 * <p>The three permission bits are the complement of the {@code prot} a module gave {@code
 * host_stage2_mod_prot}, so 0 is the default RWX idmap; a page with any of them set is a
 * "module-owned" page ({@code PKVM_MODULE_OWNED_PAGE} in ACK), which fails every host state check.
 * They are meaningful while the host can access the page; bit 56 shares the gfn's bits only with a
 * GUEST annotation, which exists on host NOPAGE pages alone, and any annotation clears them (an
 * ownership change re-installs the default permissions, as {@code host_stage2_set_owner_locked}).
 *
 * <p>The union is safe because the uses exclude each other: pins need host SHARED_OWNED with hyp
 * SHARED_BORROWED and guest shares host SHARED_OWNED with no hyp share, while a guest annotation
 * exists only on a host NOPAGE page. The all-zero word is a page the host owns and nobody else maps,
 * the state of memory at power-on, so untouched metadata needs no initialisation.
 */
public final class HypPage {
    /** The word of a page that was never touched: host OWNED, hyp NOPAGE, no annotation. */
    public static final long INITIAL = 0L;
    /** The largest hyp refcount ({@code u16}). */
    public static final int MAX_REFCOUNT = 0xFFFF;
    /** The largest {@code host_share_guest_count} ({@code U32_MAX}). */
    public static final long MAX_SHARE_GUEST_COUNT = 0xFFFF_FFFFL;
    /** The largest VM handle an annotation holds (16 bits). */
    public static final int MAX_GUEST_HANDLE = 0xFFFF;
    /** The largest gfn an annotation holds (40 bits: 52-bit IPAs at 4 KiB). */
    public static final long MAX_GUEST_GFN = (1L << 40) - 1;

    static final int HOST_MASK = 0x3;
    /** Bit 6: the host may not read the page. */
    static final long HOST_NO_R = 1L << 6;
    /** Bit 7: the host may not write the page. */
    static final long HOST_NO_W = 1L << 7;
    /** Bit 56: the host may not execute from the page. */
    static final long HOST_NO_X = 1L << 56;
    private static final long HOST_PROT_MASK = HOST_NO_R | HOST_NO_W | HOST_NO_X;
    private static final int PROT_X = 1;
    private static final int PROT_W = 2;
    private static final int PROT_R = 4;
    private static final int HYP_SHIFT = 2;
    private static final int OWNER_SHIFT = 4;
    private static final int REFCOUNT_SHIFT = 8;
    private static final int COUNT_SHIFT = 24;
    private static final int GFN_SHIFT = 24;

    private HypPage() {
    }

    /** The host's state of the page ({@code get_host_state}). */
    public static PageState hostState(long word) {
        return PageState.ofBits((int) word);
    }

    /** Whether the host stage-2 lets the host access the page: its state is not NOPAGE. */
    public static boolean hostAccessible(long word) {
        return (word & HOST_MASK) != HOST_MASK;
    }

    /** Whether a host load passes the host stage-2: accessible and not read-protected. */
    public static boolean hostReadable(long word) {
        return (word & HOST_MASK) != HOST_MASK && (word & HOST_NO_R) == 0;
    }

    /** Whether a host store passes the host stage-2: accessible and not write-protected. */
    public static boolean hostWritable(long word) {
        return (word & HOST_MASK) != HOST_MASK && (word & HOST_NO_W) == 0;
    }

    /**
     * The host's stage-2 permissions of the page as {@code kvm_pgtable_prot} bits (X = 1, W = 2, R =
     * 4): RWX (7) unless restricted; meaningful while the host can access the page.
     */
    public static int hostProt(long word) {
        int prot = 0;
        prot |= (word & HOST_NO_R) == 0 ? PROT_R : 0;
        prot |= (word & HOST_NO_W) == 0 ? PROT_W : 0;
        prot |= (word & HOST_NO_X) == 0 ? PROT_X : 0;
        return prot;
    }

    /** Whether the host's permissions are restricted (a module-owned page, {@code PKVM_MODULE_OWNED_PAGE}). */
    public static boolean hostProtRestricted(long word) {
        return (word & HOST_PROT_MASK) != 0;
    }

    /**
     * The word with the host's permissions set to {@code prot} ({@code kvm_pgtable_prot} bits, RWX =
     * 7 clears the restriction).
     *
     * @throws IllegalArgumentException for bits beyond RWX
     */
    public static long withHostProt(long word, int prot) {
        if ((prot & ~(PROT_R | PROT_W | PROT_X)) != 0) {
            throw new IllegalArgumentException("prot beyond RWX: " + prot);
        }
        long w = word & ~HOST_PROT_MASK;
        w |= (prot & PROT_R) == 0 ? HOST_NO_R : 0;
        w |= (prot & PROT_W) == 0 ? HOST_NO_W : 0;
        w |= (prot & PROT_X) == 0 ? HOST_NO_X : 0;
        return w;
    }

    /** The word with the host state replaced ({@code set_host_state}). */
    public static long withHostState(long word, PageState state) {
        return (word & ~HOST_MASK) | state.bits();
    }

    /** The hypervisor's state of the page ({@code get_hyp_state}: the stored bits complemented). */
    public static PageState hypState(long word) {
        return PageState.ofBits(~(int) (word >>> HYP_SHIFT));
    }

    /** The word with the hyp state replaced ({@code set_hyp_state}, stored complemented). */
    public static long withHypState(long word, PageState state) {
        return (word & ~(3L << HYP_SHIFT)) | ((long) (~state.bits() & 3) << HYP_SHIFT);
    }

    /** The owner id of the host stage-2 annotation; {@link OwnerId#HOST} when there is none. */
    public static OwnerId annotationOwner(long word) {
        return OwnerId.ofId((int) (word >>> OWNER_SHIFT) & 3);
    }

    /**
     * The word annotated for {@code owner} with no metadata (owner HYP), or cleared of any annotation
     * (owner HOST). The host state is left to the caller; the host permissions go back to the
     * default.
     */
    public static long withAnnotation(long word, OwnerId owner) {
        return (word & 0xFL) | ((long) owner.id() << OWNER_SHIFT);
    }

    /**
     * The word annotated for a guest: owner GUEST, the VM handle and the gfn.
     *
     * @throws IllegalArgumentException if the handle or gfn do not fit (the kernel's -EINVAL case)
     */
    public static long withGuestAnnotation(long word, int handle, long gfn) {
        if (handle < 0 || handle > MAX_GUEST_HANDLE || gfn < 0 || gfn > MAX_GUEST_GFN) {
            throw new IllegalArgumentException("guest annotation handle %d gfn 0x%x does not fit".formatted(handle, gfn));
        }
        return withAnnotation(word, OwnerId.GUEST) | ((long) handle << REFCOUNT_SHIFT) | (gfn << GFN_SHIFT);
    }

    /** The VM handle of a GUEST annotation. */
    public static int guestHandle(long word) {
        return (int) (word >>> REFCOUNT_SHIFT) & MAX_GUEST_HANDLE;
    }

    /** The gfn of a GUEST annotation. */
    public static long guestGfn(long word) {
        return word >>> GFN_SHIFT;
    }

    /** The hyp refcount: how many times EL2 pinned the page ({@code hyp_page_count}). */
    public static int refcount(long word) {
        return (int) (word >>> REFCOUNT_SHIFT) & MAX_REFCOUNT;
    }

    /** The word with the hyp refcount replaced; {@code 0..}{@value #MAX_REFCOUNT}. */
    public static long withRefcount(long word, int refcount) {
        if (refcount < 0 || refcount > MAX_REFCOUNT) {
            throw new IllegalArgumentException("refcount out of u16: " + refcount);
        }
        return (word & ~((long) MAX_REFCOUNT << REFCOUNT_SHIFT)) | ((long) refcount << REFCOUNT_SHIFT);
    }

    /** {@code host_share_guest_count}: how many non-protected guests the host shares the page with. */
    public static long shareGuestCount(long word) {
        return (word >>> COUNT_SHIFT) & MAX_SHARE_GUEST_COUNT;
    }

    /** The word with {@code host_share_guest_count} replaced; {@code 0..U32_MAX}. */
    public static long withShareGuestCount(long word, long count) {
        if (count < 0 || count > MAX_SHARE_GUEST_COUNT) {
            throw new IllegalArgumentException("host_share_guest_count out of u32: " + count);
        }
        return (word & ~(MAX_SHARE_GUEST_COUNT << COUNT_SHIFT)) | (count << COUNT_SHIFT);
    }

    /** A readable rendering, for assertion messages and fault reports. */
    public static String describe(long word) {
        String s = "host " + hostState(word) + ", hyp " + hypState(word);
        if (hostState(word) == PageState.NOPAGE) {
            OwnerId owner = annotationOwner(word);
            s += ", owner " + owner;
            if (owner == OwnerId.GUEST) {
                s += " (vm %d, gfn 0x%x)".formatted(guestHandle(word), guestGfn(word));
            }
        } else {
            if (hostProtRestricted(word)) {
                int p = hostProt(word);
                s += ", host prot " + ((p & PROT_R) != 0 ? "R" : "-") + ((p & PROT_W) != 0 ? "W" : "-") + ((p & PROT_X) != 0 ? "X" : "-");
            }
            if (refcount(word) != 0 || shareGuestCount(word) != 0) {
                s += ", pins " + refcount(word) + ", guest shares " + shareGuestCount(word);
            }
        }
        return s;
    }
}
