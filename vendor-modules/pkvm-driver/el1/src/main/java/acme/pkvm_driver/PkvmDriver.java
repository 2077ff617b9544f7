package acme.pkvm_driver;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;

/**
 * {@code pkvm_driver_init}: loads the EL2 part, registers its handler and offers {@code
 * /dev/pkvm_driver}, whose ioctls call it.
 */
public final class PkvmDriver implements KernelModule {
    /** ioctl: call the EL2 handler once and return x1. */
    public static final int IOCTL_CALL = 1;

    private Pkvm pkvm;
    private HvcNumber hvcNumber;

    /** ServiceLoader's constructor. */
    public PkvmDriver() {
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("pkvm_driver_hyp_init");
        hvcNumber = pkvm.registerEl2ModCall("pkvm_driver_hyp_hvc", token);
        ctx.printk("EL2 handler registered as HVC " + hvcNumber.id());
        ctx.miscRegister("pkvm_driver", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> {
                // pkvm_el2_mod_call(hvc_number): the handler answers SUCCESS with x1 = 0.
                long x1 = pkvm.el2ModCall(hvcNumber);
                if (x1 != 0) {
                    throw new PkvmException(Errno.EIO, "pkvm_driver_hyp_hvc returned " + x1 + ", expected 0");
                }
                yield 1;
            }
            case IOCTL_CALL -> pkvm.el2ModCall(hvcNumber, arg);
            default -> throw new PkvmException(Errno.EINVAL, "unknown ioctl " + cmd);
        };
    }
}
