package acme.percpu_counter;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/** percpu_counter's EL1 side: {@code /dev/percpu_counter} increments, reads and sums through EL2. */
public final class PercpuCounter implements KernelModule {
    /** ioctl: increment the calling CPU's counter; returns the new value. */
    public static final int IOCTL_INC = 1;
    /** ioctl: the count of CPU {@code arg}. */
    public static final int IOCTL_READ = 2;
    /** ioctl: the sum over every CPU. */
    public static final int IOCTL_SUM = 3;

    private static final int SELFTEST_INCREMENTS = 100;

    private Pkvm pkvm;
    private HvcNumber inc;
    private HvcNumber read;
    private HvcNumber sum;

    /** ServiceLoader's constructor. */
    public PercpuCounter() {
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("percpu_counter_hyp_init");
        inc = pkvm.registerEl2ModCall("percpu_counter_inc", token);
        read = pkvm.registerEl2ModCall("percpu_counter_read", token);
        sum = pkvm.registerEl2ModCall("percpu_counter_sum", token);
        ctx.miscRegister("percpu_counter", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> selftest();
            case IOCTL_INC -> pkvm.el2ModCall(inc);
            case IOCTL_READ -> checked(pkvm.el2ModCall(read, arg));
            case IOCTL_SUM -> pkvm.el2ModCall(sum);
            default -> throw new PkvmException(Errno.EINVAL, "percpu_counter: unknown ioctl " + cmd);
        };
    }

    /** Increments on the calling CPU and checks that the CPU's count and the sum both moved. */
    private long selftest() {
        long before = pkvm.el2ModCall(sum);
        for (int i = 0; i < SELFTEST_INCREMENTS; i++) {
            SmcccRes res = pkvm.el2ModCallSmccc(inc, 0, 0, 0);
            long own = checked(pkvm.el2ModCall(read, res.a2()));
            if (own < res.a1()) {
                throw new PkvmException(Errno.EIO, "percpu_counter: CPU" + res.a2() + " reads " + own
                        + " after incrementing to " + res.a1());
            }
        }
        long after = pkvm.el2ModCall(sum);
        // Other CPUs may count meanwhile: the sum must have moved by at least our increments.
        if (after - before < SELFTEST_INCREMENTS) {
            throw new PkvmException(Errno.EIO, "percpu_counter: sum moved by " + (after - before)
                    + ", expected at least " + SELFTEST_INCREMENTS);
        }
        return 2L * SELFTEST_INCREMENTS + 2;
    }

    private static long checked(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "percpu_counter: EL2 answered " + errno);
        }
        return x1;
    }
}
