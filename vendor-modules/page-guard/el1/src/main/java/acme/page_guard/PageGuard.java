package acme.page_guard;

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
 * page_guard's EL1 side: {@code /dev/page_guard}, whose ioctls ask EL2 to write-protect ranges of
 * the host's own pages and read back what EL2 recorded about the writes that hit them. Every errno
 * EL2 answers fails the ioctl with that errno.
 *
 * <p>The ioctl argument is one register, so {@link #IOCTL_GUARD} packs its three fields: {@code
 * pfn << 24 | nr_pages << 1 | log_only} (see {@link #guardArg}).
 */
public final class PageGuard implements KernelModule {
    /** ioctl: guard {@code nr_pages} from {@code pfn} (packed, see {@link #guardArg}); returns 0. */
    public static final int IOCTL_GUARD = 1;
    /** ioctl: unguard the guard starting at pfn {@code arg}; returns its violation count. */
    public static final int IOCTL_UNGUARD = 2;
    /** ioctl: the violation count of the guard holding pfn {@code arg}. */
    public static final int IOCTL_VIOLATIONS = 3;
    /** ioctl: the last faulting physical address of the guard holding pfn {@code arg}, 0 if none. */
    public static final int IOCTL_LAST_FAULT = 4;

    /** The largest {@code nr_pages} {@link #guardArg} can carry. */
    public static final long MAX_NR_PAGES = (1L << 23) - 1;

    private static final Logger LOG = LogManager.getLogger();

    private Pkvm pkvm;
    private HvcNumber protect;
    private HvcNumber unprotect;
    private HvcNumber stats;

    /** ServiceLoader's constructor. */
    public PageGuard() {
    }

    /** The {@link #IOCTL_GUARD} argument: {@code pfn << 24 | nrPages << 1 | (logOnly ? 1 : 0)}. */
    public static long guardArg(long pfn, long nrPages, boolean logOnly) {
        if (nrPages < 0 || nrPages > MAX_NR_PAGES || pfn < 0 || pfn >= 1L << 40) {
            throw new IllegalArgumentException("pfn 0x%x, %d pages do not fit the ioctl argument".formatted(pfn, nrPages));
        }
        return pfn << 24 | nrPages << 1 | (logOnly ? 1 : 0);
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("page_guard_hyp_init");
        protect = pkvm.registerEl2ModCall("page_guard_protect", token);
        unprotect = pkvm.registerEl2ModCall("page_guard_unprotect", token);
        stats = pkvm.registerEl2ModCall("page_guard_stats", token);
        LOG.debug("page_guard handlers: protect {} unprotect {} stats {}", protect, unprotect, stats);
        ctx.miscRegister("page_guard", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> new PageGuardSelftest(this).run();
            case IOCTL_GUARD -> check(pkvm.el2ModCall(protect, arg >>> 24, (arg >>> 1) & MAX_NR_PAGES, arg & 1));
            case IOCTL_UNGUARD -> unguard(arg);
            case IOCTL_VIOLATIONS -> stats(arg).a1();
            case IOCTL_LAST_FAULT -> stats(arg).a2();
            default -> throw new PkvmException(Errno.EINVAL, "page_guard: unknown ioctl " + cmd);
        };
    }

    /** protect at EL2: x1 as it came back (0 or a negative errno). */
    long protect(long pfn, long nrPages, long flags) {
        return pkvm.el2ModCall(protect, pfn, nrPages, flags);
    }

    /** unprotect at EL2: x1 as it came back. */
    long unprotect(long pfn) {
        return pkvm.el2ModCallSmccc(unprotect, pfn, 0, 0).a1();
    }

    /** stats at EL2: x1 as it came back. */
    long violations(long pfn) {
        return pkvm.el2ModCallSmccc(stats, pfn, 0, 0).a1();
    }

    private long unguard(long pfn) {
        SmcccRes res = pkvm.el2ModCallSmccc(unprotect, pfn, 0, 0);
        check(res.a1());
        return res.a2();
    }

    private SmcccRes stats(long pfn) {
        SmcccRes res = pkvm.el2ModCallSmccc(stats, pfn, 0, 0);
        check(res.a1());
        return res;
    }

    private static long check(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "page_guard: EL2 answered " + errno);
        }
        return x1;
    }
}
