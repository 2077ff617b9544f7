package org.pkvm4j.bench;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.ServiceLoader;
import java.util.function.LongUnaryOperator;
import java.util.stream.IntStream;
import org.pf4j.JarPluginManager;
import org.pf4j.PluginManager;
import org.pf4j.PluginState;
import org.pf4j.PluginWrapper;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.BootReport;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;

/**
 * One admission, timed, in the fresh JVM {@link AdmissionHarness} started for it; prints {@code
 * admission SYSTEM N MILLIS [STEPS_2_TO_5_MILLIS]} and exits 0, or fails with the reason.
 *
 * <ul>
 *   <li>{@code pkvm4j N INITRAMFS}: {@code HostKernel.boot} of {@code kvm-arm.mode=protected
 *       kvm-arm.protected_modules=bench0,...,bench<N-1> nr_cpus=4}, every check on (boot steps 1 to
 *       5: each module file read, checked, its EL1 layer defined, its init run, which loads its EL2
 *       part and registers one handler; then every CPU deprivileged), then each handler called once
 *       through {@code el2ModCall};</li>
 *   <li>{@code pf4j N PLUGINS}: a {@code JarPluginManager} on the directory, {@code loadPlugins},
 *       {@code startPlugins}, {@code getExtensions(PluginHandler.class)}, each extension called
 *       once;</li>
 *   <li>{@code raw N JARS}: per jar, a configuration resolved on the boot layer's, one layer with
 *       one loader, its one {@code LongUnaryOperator} provider instantiated and called once;</li>
 *   <li>{@code raw2 N JARS}: per plugin, pkvm4j's two layers without its checks, as {@code
 *       VendorLayers} defines them: the EL1-like part's layer (one loader, the platform loader its
 *       parent), its provider instantiated and called once (its "init"), then the EL2-like part's
 *       layer, also a child of the boot layer (pkvm4j's EL2 layers are children of the API's
 *       layer, not of the EL1 layer), whose loader has no parent, and its handler called once.</li>
 * </ul>
 * The time runs from the first line of that work to the last call's result, in this JVM, after
 * JVM start-up and {@code main}: what each system itself costs, class loading of its own code
 * included. Every result is checked (42 for 41) so that a broken admission is no measurement.
 */
public final class AdmissionChild {
    private AdmissionChild() {
    }

    /** {@code SYSTEM N DIR}. */
    public static void main(String[] args) throws Exception {
        String system = args[0];
        int n = Integer.parseInt(args[1]);
        Path dir = Path.of(args[2]);
        String line = switch (system) {
            case "pkvm4j" -> pkvm4j(n, dir);
            case "pf4j" -> pf4j(n, dir);
            case "raw" -> raw(n, dir);
            case "raw2" -> rawTwoLayers(n, dir);
            default -> throw new IllegalArgumentException("unknown system " + system);
        };
        System.out.println("admission " + system + " " + n + " " + line);
    }

    static String cmdline(int n) {
        return "kvm-arm.mode=protected kvm-arm.protected_modules="
                + String.join(",", IntStream.range(0, n).mapToObj(FixtureModules::moduleName).toList()) + " nr_cpus=4";
    }

    private static String pkvm4j(int n, Path initramfs) {
        BootConfig config = BootConfig.of(cmdline(n), initramfs);
        long start = System.nanoTime();
        HostKernel kernel = HostKernel.boot(config);
        long sum = 0;
        for (LoadedModule m : kernel.lsmod()) {
            HvcNumber hvc = m.hvcs().getFirst();
            sum += kernel.pkvm(m.name()).orElseThrow().el2ModCall(hvc, 41);
        }
        long nanos = System.nanoTime() - start;
        if (!(kernel.securityState() instanceof SecurityState.Protected) || !kernel.isDeprivileged()
                || kernel.lsmod().size() != n || sum != 42L * n) {
            throw new IllegalStateException("pkvm4j: not booted protected with " + n + " modules answering 42: "
                    + kernel.securityState().describe() + ", " + kernel.lsmod().size() + " loaded, sum " + sum + "\n"
                    + String.join("\n", kernel.log().lines()));
        }
        long steps = kernel.bootReport().steps().stream().filter(s -> s.number() >= 2 && s.number() <= 5)
                .mapToLong(BootReport.Step::nanos).sum();
        return millis(nanos) + " " + millis(steps);
    }

    private static String pf4j(int n, Path plugins) {
        long start = System.nanoTime();
        PluginManager manager = new JarPluginManager(plugins);
        manager.loadPlugins();
        manager.startPlugins();
        List<PluginHandler> handlers = manager.getExtensions(PluginHandler.class);
        long sum = 0;
        for (PluginHandler h : handlers) {
            sum += h.handle(41);
        }
        long nanos = System.nanoTime() - start;
        long started = manager.getPlugins().stream().map(PluginWrapper::getPluginState).filter(s -> s == PluginState.STARTED).count();
        if (handlers.size() != n || started != n || sum != 42L * n) {
            throw new IllegalStateException("pf4j: " + started + " started, " + handlers.size() + " extensions, sum " + sum
                    + ", expected " + n);
        }
        return millis(nanos);
    }

    private static String raw(int n, Path jars) throws java.io.IOException {
        List<Path> files;
        try (var list = Files.list(jars)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        long start = System.nanoTime();
        ModuleLayer boot = ModuleLayer.boot();
        long sum = 0;
        for (int i = 0; i < files.size(); i++) {
            Configuration cf = boot.configuration().resolve(ModuleFinder.of(files.get(i)), ModuleFinder.of(),
                    Set.of(PeerPlugins.rawModule(Integer.parseInt(files.get(i).getFileName().toString().replaceAll("\\D", "")))));
            ModuleLayer layer = boot.defineModulesWithOneLoader(cf, ClassLoader.getPlatformClassLoader());
            LongUnaryOperator op = ServiceLoader.load(layer, LongUnaryOperator.class).findFirst().orElseThrow();
            sum += op.applyAsLong(41);
        }
        long nanos = System.nanoTime() - start;
        if (files.size() != n || sum != 42L * n) {
            throw new IllegalStateException("raw: " + files.size() + " layers, sum " + sum + ", expected " + n);
        }
        return millis(nanos);
    }

    private static String rawTwoLayers(int n, Path jars) {
        long start = System.nanoTime();
        ModuleLayer boot = ModuleLayer.boot();
        long sum = 0;
        for (int i = 0; i < n; i++) {
            List<String> modules = PeerPlugins.twoLayerModules(i);
            List<String> files = PeerPlugins.twoLayerJars(i);
            long init = call(boot, jars.resolve(files.get(0)), modules.get(0), ClassLoader.getPlatformClassLoader());
            // EL2: no parent loader, as pkvm4j's EL2 loaders (VendorLayers).
            long handled = call(boot, jars.resolve(files.get(1)), modules.get(1), null);
            sum += init == 42 ? handled : -1;
        }
        long nanos = System.nanoTime() - start;
        if (sum != 42L * n) {
            throw new IllegalStateException("raw2: sum " + sum + ", expected " + 42L * n);
        }
        return millis(nanos);
    }

    /** One layer of one module from {@code jar} on {@code parent}, its operator called with 41. */
    private static long call(ModuleLayer parent, Path jar, String module, ClassLoader parentLoader) {
        Configuration cf = parent.configuration().resolve(ModuleFinder.of(jar), ModuleFinder.of(), Set.of(module));
        ModuleLayer layer = parent.defineModulesWithOneLoader(cf, parentLoader);
        return ServiceLoader.load(layer, LongUnaryOperator.class).findFirst().orElseThrow().applyAsLong(41);
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.2f", nanos / 1e6);
    }
}
