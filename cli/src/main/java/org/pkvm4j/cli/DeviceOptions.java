package org.pkvm4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.diag.ErrorCode;
import picocli.CommandLine.Option;

/**
 * The device options of {@code lsmod}, {@code dmesg} and {@code hvc}: a device lives only in the
 * process, so each of these boots one (the bundled device unless told otherwise) and runs its
 * command there.
 */
final class DeviceOptions {
    @Option(names = "--cmdline", paramLabel = "CMDLINE", defaultValue = BootCommand.DEFAULT_CMDLINE,
            description = "Kernel command line (default: ${DEFAULT-VALUE}).")
    String cmdline;

    @Option(names = "--initramfs", paramLabel = "DIR",
            description = "Directory of module files (default: the bundled initramfs).")
    Path initramfs;

    @Option(names = "--hypervisor", paramLabel = "JAR", description = "Hypervisor image (default: the bundled one).")
    Path hypervisor;

    /**
     * Boots the device.
     *
     * @throws BootConfigException for a configuration it cannot boot (exit 2)
     */
    HostKernel boot() {
        Path dir = initramfs != null ? initramfs : bundledInitramfs();
        return HostKernel.boot(hypervisor == null ? BootConfig.of(cmdline, dir) : new BootConfig(cmdline, dir, hypervisor));
    }

    /**
     * Whether the boot went as asked: no hyp panic, and in protected mode every listed module loaded
     * and every CPU deprivileged. When not, says why on {@code err}.
     */
    static boolean bootOk(HostKernel kernel, PrintWriter err) {
        boolean ok = kernel.panic().isEmpty() && (!kernel.cmdline().isProtectedMode()
                || kernel.securityState() instanceof SecurityState.Protected && kernel.bootReport().deprivileged());
        if (!ok) {
            err.println("pkvm: the device did not boot as asked: " + kernel.panic().map(p -> "HYP panic on CPU"
                    + p.cpu() + ": " + p.reason() + " [" + ErrorCode.HYP_PANIC.code() + "]").orElse(kernel.securityState().describe()
                            + (kernel.bootReport().deprivileged() ? "" : ", not deprivileged")));
            err.flush();
        }
        return ok;
    }

    private static Path bundledInitramfs() {
        String bundled = System.getProperty(BootCommand.INITRAMFS_PROPERTY);
        if (bundled == null || bundled.isBlank()) {
            throw new BootConfigException(ErrorCode.BOOT_INITRAMFS, "no initramfs: pass --initramfs DIR, or set -D" + BootCommand.INITRAMFS_PROPERTY
                    + " (./pkvm sets it to the bundled one)");
        }
        return Path.of(bundled);
    }
}
