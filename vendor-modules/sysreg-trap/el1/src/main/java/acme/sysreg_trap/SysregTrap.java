package acme.sysreg_trap;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.SysReg;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * sysreg_trap's EL1 side: loads the EL2 filter, turns the {@code SCTLR_EL1} write trap on on every
 * CPU ({@code on_each_cpu}), and offers {@code /dev/sysreg_trap}, whose ioctls write and read {@code
 * SCTLR_EL1} as the kernel would ({@code write_sysreg}) and read back what EL2 counted and logged,
 * the power events its PSCI notifier saw included.
 */
public final class SysregTrap implements KernelModule {
    /** ioctl: {@code write_sysreg(arg, sctlr_el1)}, then returns {@code read_sysreg(sctlr_el1)}. */
    public static final int IOCTL_WRITE_SCTLR = 1;
    /** ioctl: returns {@code read_sysreg(sctlr_el1)}. */
    public static final int IOCTL_READ_SCTLR = 2;
    /** ioctl: how many writes EL2 allowed. */
    public static final int IOCTL_ALLOWED = 3;
    /** ioctl: how many writes EL2 refused. */
    public static final int IOCTL_REFUSED = 4;
    /** ioctl: the {@code arg}-th refused value, from EL2's heap log. */
    public static final int IOCTL_LOG = 5;
    /** ioctl: turns the trap off ({@code arg} 0) or on again (1) on every CPU. */
    public static final int IOCTL_ENABLE = 6;
    /**
     * ioctl: the {@code arg}-th power event EL2's PSCI notifier was told of, as {@code cpu << 8 |
     * event} (0 CPU_SUSPEND, 1 SYSTEM_SUSPEND, 2 CPU_ENTRY).
     */
    public static final int IOCTL_PSCI_LOG = 7;

    private static final Logger LOG = LogManager.getLogger();

    private ModuleContext ctx;
    private Pkvm pkvm;
    private HvcNumber enable;
    private HvcNumber stats;
    private HvcNumber log;
    private HvcNumber psciLog;

    /** ServiceLoader's constructor. */
    public SysregTrap() {
    }

    @Override
    public void init(ModuleContext context) {
        ctx = context;
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("sysreg_trap_hyp_init");
        enable = pkvm.registerEl2ModCall("sysreg_trap_enable", token);
        stats = pkvm.registerEl2ModCall("sysreg_trap_stats", token);
        log = pkvm.registerEl2ModCall("sysreg_trap_log", token);
        psciLog = pkvm.registerEl2ModCall("sysreg_trap_psci_log", token);
        enableOnEachCpu(1);
        LOG.debug("sysreg_trap handlers: enable {} stats {} log {}", enable, stats, log);
        ctx.miscRegister("sysreg_trap", this::ioctl);
    }

    private void enableOnEachCpu(long on) {
        ctx.onEachCpu(cpu -> check(pkvm.el2ModCall(enable, on)));
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case IOCTL_WRITE_SCTLR -> {
                ctx.writeSysreg(SysReg.SCTLR_EL1, arg);
                yield ctx.readSysreg(SysReg.SCTLR_EL1);
            }
            case IOCTL_READ_SCTLR -> ctx.readSysreg(SysReg.SCTLR_EL1);
            case IOCTL_ALLOWED -> statsOf().a1();
            case IOCTL_REFUSED -> statsOf().a2();
            case IOCTL_LOG -> check(pkvm.el2ModCall(log, arg));
            case IOCTL_PSCI_LOG -> check(pkvm.el2ModCall(psciLog, arg));
            case IOCTL_ENABLE -> {
                enableOnEachCpu(arg);
                yield 0;
            }
            default -> throw new PkvmException(Errno.EINVAL, "sysreg_trap: unknown ioctl " + cmd);
        };
    }

    private SmcccRes statsOf() {
        return pkvm.el2ModCallSmccc(stats, 0, 0, 0);
    }

    /** x1 as EL2 answered it: a negative errno fails the ioctl with that errno. */
    private static long check(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "sysreg_trap: EL2 answered " + errno);
        }
        return x1;
    }
}
