package acme.pl011_console;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;

/**
 * {@code pl011_console}: loads the EL2 console driver and offers {@code /dev/pl011_console}.
 *
 * <p>Kernel counterpart: the host side of Android's {@code pkvm-pl011} module, which only loads its
 * EL2 part ({@code pkvm_load_el2_module}); everything it does happens at EL2. The ioctls exist to
 * check it from EL1: {@link #IOCTL_CHARS} reads how many characters the EL2 driver wrote, the
 * selftest has EL2 print a line and checks it went through the driver.
 */
public final class Pl011Console implements KernelModule {
    /** ioctl: the number of characters the EL2 driver wrote to the UART. */
    public static final int IOCTL_CHARS = 1;
    /** The HVC ops of {@code pl011_hyp_hvc}. */
    private static final long HVC_SELFTEST = 1;
    private static final long HVC_CHARS = 2;
    /** The selftest line EL2 prints, and its newline. */
    private static final int SELFTEST_CHARS = "pl011_console: EL2 console selftest".length() + 1;

    private Pkvm pkvm;
    private HvcNumber hvc;

    /** ServiceLoader's constructor. */
    public Pl011Console() {
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("pl011_hyp_init");
        hvc = pkvm.registerEl2ModCall("pl011_hyp_hvc", token);
        ctx.miscRegister("pl011_console", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> {
                long before = pkvm.el2ModCall(hvc, HVC_CHARS);
                long after = pkvm.el2ModCall(hvc, HVC_SELFTEST);
                if (after - before != SELFTEST_CHARS) {
                    throw new PkvmException(Errno.EIO, "the EL2 driver wrote %d characters of the selftest line, expected %d"
                            .formatted(after - before, SELFTEST_CHARS));
                }
                yield 1;
            }
            case IOCTL_CHARS -> pkvm.el2ModCall(hvc, HVC_CHARS);
            default -> throw new PkvmException(Errno.EINVAL, "unknown ioctl " + cmd);
        };
    }
}
