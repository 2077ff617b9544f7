package org.pkvm4j.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.loader.InMemoryModuleReference;
import org.pkvm4j.machine.Machine;

/**
 * The floor of a boot under the per-boot-layer design (issue 12, item 2: 300 boots per second per
 * core, a boot of 3.3 ms): only what no design that gives every device its own hyp layer and its
 * own vendor layers can avoid, measured per boot in a warm JVM, as {@code pkvm explore} boots.
 *
 * <p>One operation defines, from bytes already in memory (the hypervisor jar and the module files
 * read once in setup), what one boot of {@code pkvm explore --modules
 * pkvm_driver,kvstore,percpu_counter,hello_el1} defines:
 *
 * <ul>
 *   <li>a hyp layer, as {@code HypervisorLayer} does: an in-memory reference, {@code
 *       Configuration.resolve} on the machine's layer, {@code defineModulesWithOneLoader} with the
 *       platform loader as parent;</li>
 *   <li>each module's EL1 layer and, if it has one, its EL2 layer, as {@code VendorLayers} does:
 *       resolved on the layer that holds {@code org.pkvm4j.api}, EL1 on the platform loader, EL2 with
 *       no parent loader. The JDK's own loader, not the loader's {@code ApprovedClassLoader}: the
 *       floor is what the JDK needs, not what pkvm4j's checks add.</li>
 * </ul>
 *
 * {@link #defineLayers} stops there; {@link #defineAndLoadClasses} also <em>loads</em> every class
 * the layers hold ({@code Class.forName(Module, String)}: defined and linked as far as the JVM
 * loads, not verified ahead and not initialized; no static initializer runs). No check, no init,
 * no hypercall, no machine: everything else a boot does is above this floor.
 *
 * <p>Forks get a fixed, pre-touched heap, as {@link ModuleChecksBench}'s: each operation leaves
 * nine class loaders for the collector to unload.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsPrepend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
@State(Scope.Benchmark)
public class BootFloorBench {
    /** The hypervisor's module name. */
    private static final String HYP_MODULE = "org.pkvm4j.hypervisor";

    /** The modules, comma-separated: those of the explore run the lead profiled. */
    @Param({"pkvm_driver,kvstore,percpu_counter,hello_el1"})
    public String modules;

    /**
     * The hyp classes {@link #defineAndLoadClasses} loads: {@code all}, or a file of binary names, one
     * a line: those a boot loads, from {@code -Xlog:class+load} of an explore run (a boot loads about
     * 66 of them; every vendor class is loaded either way).
     */
    @Param({"all"})
    public String hypClasses;

    private Part hyp;
    private ModuleLayer machineLayer;
    private final List<Part> el1 = new ArrayList<>();
    private final List<Part> el2 = new ArrayList<>();
    private List<ModuleLayer> apiLayers;
    private List<Configuration> apiConfigs;
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();
    private int classes;

    /** One jar in memory: its descriptor and its classes' binary names. */
    private record Part(JarImage jar, ModuleDescriptor descriptor, List<String> classNames) {
        static Part of(JarImage jar) {
            byte[] info = jar.entry("module-info.class")
                    .orElseThrow(() -> new IllegalStateException(jar.label() + " has no module-info.class"));
            ModuleDescriptor descriptor = ModuleDescriptor.read(ByteBuffer.wrap(info), jar::packages);
            List<String> names = new ArrayList<>();
            for (String entry : jar.entryNames()) {
                if (entry.endsWith(".class") && !entry.endsWith("module-info.class") && !entry.startsWith("META-INF/")) {
                    names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
                }
            }
            return new Part(jar, descriptor, List.copyOf(names));
        }
    }

    /** Reads the hypervisor jar and the module files once; checks that one operation defines and loads everything. */
    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path initramfs = BundledDevice.initramfs();
        Path hypJar = BootConfig.of("", initramfs).hypervisor();
        hyp = Part.of(JarImage.read(hypJar.toString(), java.nio.file.Files.readAllBytes(hypJar)));
        if (!hypClasses.equals("all")) {
            List<String> listed = java.nio.file.Files.readAllLines(Path.of(hypClasses)).stream().map(String::strip)
                    .filter(l -> !l.isEmpty()).toList();
            if (!hyp.classNames().containsAll(listed)) {
                throw new IllegalStateException(hypClasses + " names classes the hypervisor jar does not hold");
            }
            hyp = new Part(hyp.jar(), hyp.descriptor(), listed);
        }
        for (String module : modules.split(",")) {
            ModuleFile file = ModuleFile.read(BundledDevice.moduleFile(initramfs, module));
            if (!file.modinfo().depends().isEmpty()) {
                throw new IllegalStateException(module + " depends on " + file.modinfo().depends() + ": not modelled here");
            }
            el1.add(Part.of(file.el1()));
            file.el2().ifPresent(jar -> el2.add(Part.of(jar)));
        }
        machineLayer = Machine.class.getModule().getLayer();
        ModuleLayer apiLayer = Errno.class.getModule().getLayer();
        if (machineLayer == null || apiLayer == null) {
            throw new IllegalStateException("pkvm4j is not on the module path: run through BenchMain");
        }
        apiLayers = List.of(apiLayer);
        apiConfigs = List.of(apiLayer.configuration());
        classes = hyp.classNames().size();
        for (Part p : el1) {
            classes += p.classNames().size();
        }
        for (Part p : el2) {
            classes += p.classNames().size();
        }
        int loaded = defineAndLoad();
        if (loaded != classes) {
            throw new IllegalStateException("loaded " + loaded + " classes of " + classes);
        }
        System.out.printf("%nBootFloorBench: 1 hyp layer (%d classes), %d EL1 and %d EL2 layers, %d classes in all%n",
                hyp.classNames().size(), el1.size(), el2.size(), classes);
    }

    /** The layers of one boot, no class loaded. */
    @Benchmark
    public int defineLayers(CpuTime cpu) {
        cpu.start();
        int n = defineHyp().modules().size();
        for (Part p : el1) {
            n += defineVendor(p, platform).modules().size();
        }
        for (Part p : el2) {
            n += defineVendor(p, null).modules().size();
        }
        cpu.stop();
        return n;
    }

    /** The layers of one boot and every class in them loaded (not initialized). */
    @Benchmark
    public int defineAndLoadClasses(CpuTime cpu) {
        cpu.start();
        int n = defineAndLoad();
        cpu.stop();
        return n;
    }

    /**
     * The benchmark thread's CPU time, the whole process's CPU time and the operations, summed (JMH
     * sums these counters over the iterations): CPU time per operation is {@code cpuMs / ops}. On a
     * shared machine the wall-clock score also measures the neighbours, and {@code pkvm explore}
     * reports boots per CPU-second of its booting threads, which {@code 1000 * ops / cpuMs} is
     * comparable with. {@code processCpuMs} adds what the operations cost the JVM's other threads
     * (the collector, which unloads the dead layers' classes, and the JIT; JMH's own threads too).
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class CpuTime {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final com.sun.management.OperatingSystemMXBean OS =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

        /** CPU milliseconds of the benchmark thread in the measured operations. */
        public double cpuMs;
        /** CPU milliseconds of the whole process over the iteration. */
        public double processCpuMs;
        /** Operations measured. */
        public long ops;
        private long threadStart;
        private long processStart;

        /** Starts the iteration's sums. */
        @Setup(Level.Iteration)
        public void clear() {
            cpuMs = 0;
            ops = 0;
            processStart = OS.getProcessCpuTime();
        }

        /** Ends the iteration's process CPU time. */
        @org.openjdk.jmh.annotations.TearDown(Level.Iteration)
        public void end() {
            processCpuMs = (OS.getProcessCpuTime() - processStart) / 1e6;
        }

        void start() {
            threadStart = THREADS.getCurrentThreadCpuTime();
        }

        void stop() {
            cpuMs += (THREADS.getCurrentThreadCpuTime() - threadStart) / 1e6;
            ops++;
        }
    }

    private int defineAndLoad() {
        int n = load(defineHyp(), hyp);
        for (Part p : el1) {
            n += load(defineVendor(p, platform), p);
        }
        for (Part p : el2) {
            n += load(defineVendor(p, null), p);
        }
        return n;
    }

    private ModuleLayer defineHyp() {
        Configuration cf = machineLayer.configuration().resolve(finder(hyp), ModuleFinder.of(), Set.of(HYP_MODULE));
        return machineLayer.defineModulesWithOneLoader(cf, platform);
    }

    private ModuleLayer defineVendor(Part part, ClassLoader parentLoader) {
        Configuration cf = Configuration.resolve(finder(part), apiConfigs, ModuleFinder.of(), Set.of(part.descriptor().name()));
        return ModuleLayer.defineModulesWithOneLoader(cf, apiLayers, parentLoader).layer();
    }

    private static ModuleFinder finder(Part part) {
        return InMemoryModuleReference.finder(Set.of(new InMemoryModuleReference(part.descriptor(), part.jar())));
    }

    /** Loads every class of {@code part} through its module in {@code layer}; the count loaded. */
    private static int load(ModuleLayer layer, Part part) {
        Module module = layer.findModule(part.descriptor().name()).orElseThrow();
        int n = 0;
        for (String name : part.classNames()) {
            if (Class.forName(module, name) == null) {
                throw new IllegalStateException(name + " not found in " + module.getName());
            }
            n++;
        }
        return n;
    }
}
