package org.pkvm4j.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * A booted device with the eight benchmark modules loaded as protected modules, shared by every
 * thread of a trial.
 *
 * <p>Booted as a phone boots: {@code kvm-arm.mode=protected}, the modules listed in {@code
 * kvm-arm.protected_modules=}, host deprivileged before the first measured call. Each module's
 * {@link Pkvm} is the kernel's handle bound to it ({@link HostKernel#pkvm(String)}), so a call is
 * exactly what the module's own {@code pkvm_el2_mod_call} does.
 *
 * <p>The initramfs is the directory named by {@value #INITRAMFS_PROPERTY} (BenchMain writes it
 * once for all forks); without it the trial writes its own. The hypervisor jar is named by {@code
 * -Dpkvm4j.hypervisor}.
 */
@State(Scope.Benchmark)
public class Device {
    /** How many benchmark modules (and EL2 handlers) the device loads. */
    public static final int MODULES = 8;
    /** The system property naming a ready initramfs of the benchmark modules. */
    public static final String INITRAMFS_PROPERTY = "pkvm4j.bench.initramfs";
    /** The kernel command line booted with. */
    public static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules="
            + String.join(",", IntStream.range(0, MODULES).mapToObj(FixtureModules::moduleName).toList())
            + " nr_cpus=4";

    /**
     * Extra kernel parameters, appended to {@link #CMDLINE}: none by default; {@code -p
     * cmdline=pkvm.hyp_lockup_ms=0} measures the trap without the lockup watchdog.
     */
    @Param({""})
    public String cmdline;

    /** The booted device. */
    public HostKernel kernel;
    /** bench0's Pkvm and HVC number: the one-handler shape. */
    public Pkvm pkvm0;
    /** The HVC number bench0 registered. */
    public HvcNumber hvc0;
    /** Module i's Pkvm, i = 0..7: the eight-handler shape. */
    public Pkvm[] pkvm;
    /** Module i's HVC number. */
    public HvcNumber[] hvc;

    private Path ownInitramfs;

    /** Boots the device and checks that every handler answers. */
    @Setup(Level.Trial)
    public void boot() throws IOException, URISyntaxException {
        String given = System.getProperty(INITRAMFS_PROPERTY);
        Path initramfs;
        if (given != null && !given.isBlank()) {
            initramfs = Path.of(given);
        } else {
            ownInitramfs = Files.createTempDirectory("pkvm4j-bench-initramfs");
            FixtureModules.write(ownInitramfs, apiJar(), MODULES);
            initramfs = ownInitramfs;
        }
        kernel = HostKernel.boot(BootConfig.of(cmdline.isBlank() ? CMDLINE : CMDLINE + " " + cmdline, initramfs));
        if (!(kernel.securityState() instanceof SecurityState.Protected) || !kernel.isDeprivileged()) {
            throw new IllegalStateException("the benchmark device did not boot protected and deprivileged: "
                    + kernel.securityState().describe() + "\n" + dmesg());
        }
        pkvm = new Pkvm[MODULES];
        hvc = new HvcNumber[MODULES];
        for (int i = 0; i < MODULES; i++) {
            String name = FixtureModules.moduleName(i);
            LoadedModule module = kernel.lsmod().stream().filter(m -> m.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalStateException(name + " is not loaded\n" + dmesg()));
            if (module.hvcs().size() != 1) {
                throw new IllegalStateException(name + " registered " + module.hvcs() + ", expected one HVC");
            }
            hvc[i] = module.hvcs().getFirst();
            pkvm[i] = kernel.pkvm(name).orElseThrow();
            long x1 = pkvm[i].el2ModCall(hvc[i], 41);
            if (x1 != 42) {
                throw new IllegalStateException(name + "'s handler returned " + x1 + " for 41, expected 42");
            }
        }
        pkvm0 = pkvm[0];
        hvc0 = hvc[0];
    }

    /** Checks the machine did not panic meanwhile and removes a self-made initramfs. */
    @TearDown(Level.Trial)
    public void shutdown() {
        shutdown(kernel, ownInitramfs);
    }

    /** A trial's end on any device: fails it if the hypervisor panicked, and removes a self-made initramfs. */
    static void shutdown(HostKernel kernel, Path ownInitramfs) {
        try {
            if (kernel != null && kernel.panic().isPresent()) {
                throw new IllegalStateException("the hypervisor panicked during the trial: " + kernel.panic().get());
            }
        } finally {
            if (ownInitramfs != null) {
                FixtureModules.deleteTree(ownInitramfs);
            }
        }
    }

    private String dmesg() {
        return String.join("\n", kernel.log().lines());
    }

    /** The jar of {@code org.pkvm4j.api} in the boot layer. */
    static Path apiJar() throws URISyntaxException {
        Module api = Pkvm.class.getModule();
        return Path.of(api.getLayer().configuration().findModule(api.getName()).orElseThrow()
                .reference().location().orElseThrow());
    }
}
