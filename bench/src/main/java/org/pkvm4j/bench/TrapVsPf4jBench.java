package org.pkvm4j.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginWrapper;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * The trap against the peer it replaces (issue 12, item 5): an {@code el2ModCall} round trip,
 * round-robin over N modules' handlers, against a PF4J 3.15.0 extension call, round-robin over N
 * plugins' extensions, both from one call site (megamorphic), in the same fork. Average time per
 * call, one thread; run with {@code -prof gc} for the bytes per call.
 *
 * <p>The device boots {@code bench0..bench<N-1>} ({@link FixtureModules}: each loads its EL2 part and
 * registers one handler, {@code x1 + 1}) as protected modules, every check on, and is deprivileged;
 * the plugins are {@link PeerPlugins#writePf4j}'s ({@code x1 + 1} in each plugin's own {@link
 * PluginHandler} class), loaded and started by a {@code JarPluginManager}. Both are written and
 * compiled in the trial's setup, in the fork. Setup checks every handler and extension answers 42
 * for 41.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(2)
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@State(Scope.Benchmark)
public class TrapVsPf4jBench {
    /** How many modules and plugins; a power of two (the round robin is a mask). */
    @Param({"16", "64"})
    public int n;

    /** x1 of every call; a field, so the JIT cannot fold it. */
    public long arg = 41;
    private int nextTrap;
    private int nextPlugin;
    private Pkvm[] pkvm;
    private HvcNumber[] hvc;
    private PluginHandler[] extensions;
    private HostKernel kernel;
    private PluginManager plugins;
    private Path work;

    /** Writes, boots and loads both sides, and checks every handler. */
    @Setup(Level.Trial)
    public void setup() throws IOException, URISyntaxException {
        if (Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("n must be a power of two, was " + n);
        }
        work = Files.createTempDirectory("pkvm4j-trap-vs-pf4j");
        Path initramfs = work.resolve("initramfs");
        FixtureModules.write(initramfs, Device.apiJar(), n);
        kernel = HostKernel.boot(BootConfig.of(AdmissionChild.cmdline(n), initramfs));
        if (!(kernel.securityState() instanceof SecurityState.Protected) || !kernel.isDeprivileged() || kernel.lsmod().size() != n) {
            throw new IllegalStateException("not booted protected and deprivileged with " + n + " modules: "
                    + kernel.securityState().describe() + "\n" + String.join("\n", kernel.log().lines()));
        }
        pkvm = new Pkvm[n];
        hvc = new HvcNumber[n];
        for (int i = 0; i < n; i++) {
            String name = FixtureModules.moduleName(i);
            LoadedModule m = kernel.lsmod().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
            hvc[i] = m.hvcs().getFirst();
            pkvm[i] = kernel.pkvm(name).orElseThrow();
            check(name, pkvm[i].el2ModCall(hvc[i], 41));
        }
        Path pluginDir = work.resolve("plugins");
        PeerPlugins.writePf4j(pluginDir, n);
        plugins = new JarPluginManager(pluginDir);
        plugins.loadPlugins();
        plugins.startPlugins();
        List<PluginHandler> found = plugins.getExtensions(PluginHandler.class);
        if (found.size() != n) {
            throw new IllegalStateException("PF4J found " + found.size() + " extensions, expected " + n);
        }
        extensions = found.toArray(PluginHandler[]::new);
        for (PluginHandler h : extensions) {
            check(h.getClass().getName(), h.handle(41));
        }
    }

    private static void check(String who, long x1) {
        if (x1 != 42) {
            throw new IllegalStateException(who + " returned " + x1 + " for 41, expected 42");
        }
    }

    /** Stops and unloads the plugins, fails the trial if the hypervisor panicked, removes the files. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (plugins != null) {
            // One by one from a copy: PF4J 3.15.0's stopPlugins() iterates the list stopPlugin() edits
            // (ConcurrentModificationException).
            for (PluginWrapper p : List.copyOf(plugins.getPlugins())) {
                plugins.unloadPlugin(p.getPluginId());
            }
        }
        Device.shutdown(kernel, work);
    }

    /** {@code pkvm_el2_mod_call} of the next of N modules' handlers; returns x1. */
    @Benchmark
    public long trap() {
        int i = nextTrap;
        nextTrap = (i + 1) & (n - 1);
        return pkvm[i].el2ModCall(hvc[i], arg);
    }

    /** The next of N plugins' extensions, from one interface call site; returns the result. */
    @Benchmark
    public long pf4jExtension() {
        int i = nextPlugin;
        nextPlugin = (i + 1) & (n - 1);
        return extensions[i].handle(arg);
    }
}
