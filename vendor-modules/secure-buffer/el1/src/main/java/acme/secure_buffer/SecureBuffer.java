package acme.secure_buffer;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * secure_buffer's EL1 side: {@code /dev/secure_buffer}, whose ioctls hand host pages to EL2 as a
 * secret buffer, ask for HMAC-SHA256 tags of host data keyed by it, and release it. Every errno EL2
 * answers fails the ioctl with that errno.
 *
 * <p>The data and the tag travel in one host page: the data at offset 0, the tag (32 bytes) at
 * offset {@link #TAG_OFFSET}. {@link #IOCTL_MAC} and {@link #IOCTL_VERIFY} pack their three fields
 * into the one ioctl argument: {@code pfn << 16 | length << 4 | handle} (see {@link #macArg}).
 */
public final class SecureBuffer implements KernelModule {
    /** ioctl: donate {@code arg & 0xff} pages from pfn {@code arg >>> 8} to EL2 as a new buffer; returns its handle. */
    public static final int IOCTL_CREATE = 1;
    /** ioctl: write the tag of a page's data (packed, see {@link #macArg}) at {@link #TAG_OFFSET}; returns 0. */
    public static final int IOCTL_MAC = 2;
    /** ioctl: 1 if the page holds the right tag of its data (packed as for {@link #IOCTL_MAC}), else 0. */
    public static final int IOCTL_VERIFY = 3;
    /** ioctl: zero buffer {@code arg} and give its pages back; returns how many. */
    public static final int IOCTL_RELEASE = 4;
    /** ioctl: how many host pages the buffers hold. */
    public static final int IOCTL_PAGES_HELD = 5;
    /** ioctl: how many host pages are shared with EL2 now (0 outside a call). */
    public static final int IOCTL_PAGES_SHARED = 6;

    /** Where the tag goes in the data page. */
    public static final int TAG_OFFSET = 4096 - 32;

    private static final Logger LOG = LogManager.getLogger();

    private Pkvm pkvm;
    private HvcNumber create;
    private HvcNumber mac;
    private HvcNumber verify;
    private HvcNumber release;
    private HvcNumber stats;
    private HvcNumber selftest;

    /** ServiceLoader's constructor. */
    public SecureBuffer() {
    }

    /** The {@link #IOCTL_CREATE} argument. */
    public static long createArg(long pfn, int nrPages) {
        if (nrPages < 0 || nrPages > 0xff || pfn < 0 || pfn >= 1L << 56) {
            throw new IllegalArgumentException("pfn 0x%x, %d pages do not fit the ioctl argument".formatted(pfn, nrPages));
        }
        return pfn << 8 | nrPages;
    }

    /** The {@link #IOCTL_MAC} and {@link #IOCTL_VERIFY} argument. */
    public static long macArg(long pfn, int length, int handle) {
        if (length < 0 || length > 0xfff || handle < 0 || handle > 0xf || pfn < 0 || pfn >= 1L << 48) {
            throw new IllegalArgumentException("pfn 0x%x, length %d, handle %d do not fit the ioctl argument"
                    .formatted(pfn, length, handle));
        }
        return pfn << 16 | (long) length << 4 | handle;
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("secure_buffer_hyp_init");
        create = pkvm.registerEl2ModCall("secure_buffer_create", token);
        mac = pkvm.registerEl2ModCall("secure_buffer_mac", token);
        verify = pkvm.registerEl2ModCall("secure_buffer_verify", token);
        release = pkvm.registerEl2ModCall("secure_buffer_release", token);
        stats = pkvm.registerEl2ModCall("secure_buffer_stats", token);
        selftest = pkvm.registerEl2ModCall("secure_buffer_selftest", token);
        LOG.debug("secure_buffer handlers: create {} mac {} verify {} release {}", create, mac, verify, release);
        ctx.miscRegister("secure_buffer", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> selftest();
            case IOCTL_CREATE -> check(pkvm.el2ModCall(create, arg >>> 8, arg & 0xff));
            case IOCTL_MAC -> check(pkvm.el2ModCall(mac, arg & 0xf, arg >>> 16, (arg >>> 4) & 0xfff));
            case IOCTL_VERIFY -> check(pkvm.el2ModCall(verify, arg & 0xf, arg >>> 16, (arg >>> 4) & 0xfff));
            case IOCTL_RELEASE -> check(pkvm.el2ModCall(release, arg));
            case IOCTL_PAGES_HELD -> stats().a1();
            case IOCTL_PAGES_SHARED -> stats().a2();
            default -> throw new PkvmException(Errno.EINVAL, "secure_buffer: unknown ioctl " + cmd);
        };
    }

    private SmcccRes stats() {
        return pkvm.el2ModCallSmccc(stats, 0, 0, 0);
    }

    /**
     * The known answers at EL2, then refusals that touch no page (pfn 0 is MMIO, handle 15 never
     * exists), so it can run on a live device; returns how many EL2 calls it checked.
     */
    private long selftest() {
        long held = stats().a1();
        expect("known answers", 0, pkvm.el2ModCall(selftest));
        expect("create over MMIO", Errno.EPERM.negated(), pkvm.el2ModCall(create, 0, 1));
        expect("create of no pages", Errno.EINVAL.negated(), pkvm.el2ModCall(create, 0, 0));
        expect("mac with no buffer", Errno.ENOENT.negated(), pkvm.el2ModCall(mac, 15, 0, 0));
        expect("release no buffer", Errno.ENOENT.negated(), pkvm.el2ModCall(release, 15));
        expect("pages held", held, stats().a1());
        return 7;
    }

    private static long check(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "secure_buffer: EL2 answered " + errno);
        }
        return x1;
    }

    private static void expect(String what, long expected, long actual) {
        if (expected != actual) {
            throw new PkvmException(Errno.EIO, "secure_buffer selftest: " + what + ": expected " + expected + ", got " + actual);
        }
    }
}
