package acme.smc_filter;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * smc_filter's EL1 side, a port of Google's pkvm-smc: reads the {@code permissive} module parameter
 * ({@code smc_filter.permissive=1}: "Only log SMC filter violations"), hands it to EL2 before the
 * EL2 init runs, and loads the filter. {@code /dev/smc_filter} reads back what EL2 counted.
 */
public final class SmcFilter implements KernelModule {
    /** ioctl: how many SMCs EL2 denied. */
    public static final int IOCTL_DENIED = 1;
    /** ioctl: how many SMCs EL2 logged and let through (permissive). */
    public static final int IOCTL_LOGGED = 2;
    /** ioctl: 1 if the filter is permissive. */
    public static final int IOCTL_PERMISSIVE = 3;

    private static final Logger LOG = LogManager.getLogger();

    private Pkvm pkvm;
    private HvcNumber stats;

    /** ServiceLoader's constructor. */
    public SmcFilter() {
    }

    @Override
    public void init(ModuleContext ctx) {
        boolean permissive = ctx.parameter("permissive").map(SmcFilter::parseBool).orElse(false);
        pkvm = ctx.pkvm();
        try {
            // module_param copied into EL2 before its init: the init symbol carries the value.
            var token = pkvm.loadEl2Module(permissive ? "pkvm_smc_filter_hyp_init_permissive" : "pkvm_smc_filter_hyp_init");
            stats = pkvm.registerEl2ModCall("pkvm_smc_filter_stats", token);
        } catch (PkvmException e) {
            ctx.printk("failed to load the pKVM SMC filter: " + e.errno());
            throw e;
        }
        ctx.printk("pKVM SMC filter loaded (permissive=" + (permissive ? "Y" : "N") + ")");
        LOG.debug("smc_filter stats hcall {}", stats);
        ctx.miscRegister("smc_filter", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        SmcccRes res = pkvm.el2ModCallSmccc(stats, 0, 0, 0);
        return switch (cmd) {
            case IOCTL_DENIED -> res.a1();
            case IOCTL_LOGGED -> res.a2();
            case IOCTL_PERMISSIVE -> res.a3();
            default -> throw new PkvmException(Errno.EINVAL, "smc_filter: unknown ioctl " + cmd);
        };
    }

    /** A kernel bool parameter: Y/y/1/true on, N/n/0/false off. */
    static boolean parseBool(String value) {
        return switch (value) {
            case "Y", "y", "1", "true", "on" -> true;
            case "N", "n", "0", "false", "off" -> false;
            default -> throw new PkvmException(Errno.EINVAL, "smc_filter.permissive: not a bool: " + value);
        };
    }
}
