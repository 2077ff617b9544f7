package acme.hyp_audit;

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

/**
 * hyp_audit's EL1 side (android14-5.15): loads the EL2 audit, makes {@code ACTLR_EL1} trap on every
 * CPU ({@code on_each_cpu}), and offers {@code /dev/hyp_audit}, whose ioctls read and write {@code
 * ACTLR_EL1} as the kernel would.
 */
public final class HypAudit implements KernelModule {
    /** ioctl: returns {@code read_sysreg(actlr_el1)}. */
    public static final int IOCTL_READ_ACTLR = 1;
    /** ioctl: {@code write_sysreg(arg, actlr_el1)}: EL2 does not allow it, pKVM panics. */
    public static final int IOCTL_WRITE_ACTLR = 2;

    private static final Logger LOG = LogManager.getLogger();

    private ModuleContext ctx;

    /** ServiceLoader's constructor. */
    public HypAudit() {
    }

    @Override
    public void init(ModuleContext context) {
        ctx = context;
        Pkvm pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("hyp_audit_hyp_init");
        HvcNumber trap = pkvm.registerEl2ModCall("hyp_audit_trap_actlr", token);
        ctx.onEachCpu(cpu -> {
            long x1 = pkvm.el2ModCall(trap, 0);
            if (x1 != 0) {
                throw new PkvmException(Errno.fromNegated(x1), "hyp_audit: trapping ACTLR_EL1 failed on CPU" + cpu);
            }
        });
        LOG.debug("hyp_audit trap hcall {}", trap);
        ctx.printk("hyp_audit: auditing SMCs, PSCI and ACTLR_EL1");
        ctx.miscRegister("hyp_audit", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case IOCTL_READ_ACTLR -> ctx.readSysreg(SysReg.ACTLR_EL1);
            case IOCTL_WRITE_ACTLR -> {
                ctx.writeSysreg(SysReg.ACTLR_EL1, arg);
                yield 0;
            }
            default -> throw new PkvmException(Errno.EINVAL, "hyp_audit: unknown ioctl " + cmd);
        };
    }
}
