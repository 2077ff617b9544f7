package acme.hello;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;

/**
 * An EL1-only module: it never touches EL2, so it may be loaded after the host is deprivileged, and
 * unloaded ({@code rmmod hello_el1}).
 */
public final class Hello implements KernelModule {
    /** ServiceLoader's constructor. */
    public Hello() {
    }

    @Override
    public void init(ModuleContext ctx) {
        String greeting = ctx.parameter("greeting").orElse("hello from EL1");
        ctx.printk(greeting);
        ctx.miscRegister("hello", (cmd, arg) -> {
            if (cmd != MiscDevice.IOCTL_SELFTEST) {
                throw new PkvmException(Errno.EINVAL, "hello: unknown ioctl " + cmd);
            }
            return 0;
        });
    }

    @Override
    public void exit(ModuleContext ctx) {
        // The kernel deregisters /dev/hello after this returns; nothing else to release.
        ctx.printk(ctx.parameter("farewell").orElse("goodbye from EL1"));
    }
}
