package acme.dma_guard;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * dma_guard's EL1 side: {@code /dev/dma_guard}, whose ioctls ask the EL2 IOMMU driver to guard a DMA
 * device (its stream id), map host pages for it at IOVAs, unmap them, and put another device on the
 * host idmap domain. Every errno EL2 answers fails the ioctl with that errno; {@code ENOMEM} means
 * the hypervisor's IOMMU pool needs pages ({@code kvm_iommu_refill}), after which the call is retried.
 *
 * <p>{@link #IOCTL_MAP} and {@link #IOCTL_MAP_RO} pack their argument as {@code iova_pfn << 32 | pfn}
 * (see {@link #mapArg}).
 */
public final class DmaGuard implements KernelModule {
    /** ioctl: guard the device of stream {@code arg}; returns 0. */
    public static final int IOCTL_ATTACH = 1;
    /** ioctl: map host page {@code pfn} read-write at {@code iova_pfn} for the guarded device. */
    public static final int IOCTL_MAP = 2;
    /** ioctl: as {@link #IOCTL_MAP}, read-only for the device. */
    public static final int IOCTL_MAP_RO = 3;
    /** ioctl: unmap IOVA page {@code arg} (an IOVA pfn); returns 0. */
    public static final int IOCTL_UNMAP = 4;
    /** ioctl: put the device of stream {@code arg} on the host idmap domain; returns 0. */
    public static final int IOCTL_IDMAP = 5;
    /** ioctl: how many times the guarded device was reset. */
    public static final int IOCTL_RESETS = 6;
    /** ioctl: how many pages are mapped for the guarded device. */
    public static final int IOCTL_MAPPED = 7;

    private static final Logger LOG = LogManager.getLogger();

    private Pkvm pkvm;
    private HvcNumber attach;
    private HvcNumber map;
    private HvcNumber unmap;
    private HvcNumber idmap;
    private HvcNumber stats;

    /** ServiceLoader's constructor. */
    public DmaGuard() {
    }

    /** The {@link #IOCTL_MAP} argument: {@code iovaPfn << 32 | pfn}. */
    public static long mapArg(long iovaPfn, long pfn) {
        if (iovaPfn < 0 || iovaPfn >= 1L << 27 || pfn < 0 || pfn >= 1L << 32) {
            throw new IllegalArgumentException("IOVA pfn 0x%x, pfn 0x%x do not fit the ioctl argument".formatted(iovaPfn, pfn));
        }
        return iovaPfn << 32 | pfn;
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("dma_guard_hyp_init");
        attach = pkvm.registerEl2ModCall("dma_guard_attach", token);
        map = pkvm.registerEl2ModCall("dma_guard_map", token);
        unmap = pkvm.registerEl2ModCall("dma_guard_unmap", token);
        idmap = pkvm.registerEl2ModCall("dma_guard_idmap", token);
        stats = pkvm.registerEl2ModCall("dma_guard_stats", token);
        LOG.debug("dma_guard handlers: attach {} map {} unmap {} idmap {} stats {}", attach, map, unmap, idmap, stats);
        ctx.miscRegister("dma_guard", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case IOCTL_ATTACH -> check(pkvm.el2ModCall(attach, arg));
            case IOCTL_MAP, IOCTL_MAP_RO -> check(pkvm.el2ModCall(map, (arg >>> 32) << 12, arg & 0xFFFF_FFFFL, cmd == IOCTL_MAP ? 1 : 0));
            case IOCTL_UNMAP -> check(pkvm.el2ModCall(unmap, arg << 12));
            case IOCTL_IDMAP -> check(pkvm.el2ModCall(idmap, arg));
            case IOCTL_RESETS -> stats().a1();
            case IOCTL_MAPPED -> stats().a2();
            default -> throw new PkvmException(Errno.EINVAL, "dma_guard: unknown ioctl " + cmd);
        };
    }

    private SmcccRes stats() {
        return pkvm.el2ModCallSmccc(stats, 0, 0, 0);
    }

    private static long check(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "dma_guard: EL2 answered " + errno);
        }
        return x1;
    }
}
