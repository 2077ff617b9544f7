package acme.guest_trng;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * guest_trng's EL1 side: loads the EL2 TRNG back end protected guests' SMCCC TRNG calls reach, and
 * offers {@code /dev/guest_trng}, whose ioctls read what EL2 counted.
 */
public final class GuestTrng implements KernelModule {
    /** ioctl: how many RND64 calls EL2 served. */
    public static final int IOCTL_SERVED = 1;
    /** ioctl: how many RND64 calls EL2 refused for want of entropy. */
    public static final int IOCTL_NO_ENTROPY = 2;

    private Pkvm pkvm;
    private HvcNumber stats;

    /** ServiceLoader's constructor. */
    public GuestTrng() {
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        stats = pkvm.registerEl2ModCall("guest_trng_stats", pkvm.loadEl2Module("guest_trng_hyp_init"));
        ctx.printk("TRNG for protected guests loaded");
        ctx.miscRegister("guest_trng", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        SmcccRes res = pkvm.el2ModCallSmccc(stats, 0, 0, 0);
        return switch (cmd) {
            case IOCTL_SERVED -> res.a1();
            case IOCTL_NO_ENTROPY -> res.a2();
            default -> throw new PkvmException(Errno.EINVAL, "guest_trng: unknown ioctl " + cmd);
        };
    }
}
