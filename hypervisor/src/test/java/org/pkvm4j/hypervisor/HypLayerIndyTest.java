package org.pkvm4j.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.pkvm4j.hypervisor.setup.PkvmImage;

/**
 * The hypervisor's classes are defined anew by every boot (each device has its own hyp layer, with
 * its own classes and statics), so every {@code invokedynamic} they run is linked again on every
 * boot: a lambda or method reference spins a class, a pattern switch links a {@code typeSwitch},
 * a string concatenation a {@code StringConcatFactory} call site. {@code pkvm explore} boots
 * hundreds of devices in one JVM, where that linking was a sixth of the booting thread's time. These
 * tests read the compiled classes and pin where the remaining call sites are: none on the boot path.
 */
class HypLayerIndyTest {

    /**
     * The lambda and method-reference sites left, each off the boot path (what {@code pkvm explore}
     * runs: init, module loads, deprivilege, the HVC probe); a new one fails this test, and is either
     * made a named class or, if it runs only later, added here with the reason.
     */
    private static final Set<String> OFF_THE_BOOT_PATH = Set.of(
            // The unit tests' constructors.
            "Deprivilege.<init> LambdaMetafactory",
            "module.ModuleOpsTable.<init> LambdaMetafactory",
            // The shared table's adapters: a module's registrations go through ContainedCallbacks.
            "module.ModuleOpsTable.registerDefaultTrapHandlerCtxt LambdaMetafactory",
            "module.ModuleOpsTable.registerHostPermFaultHandlerCtxt LambdaMetafactory",
            "module.ModuleOpsTable.registerHostSmcHandlerCtxt LambdaMetafactory",
            "module.ModuleOpsTable.registerIllegalAbtNotifierCtxt LambdaMetafactory",
            "module.ModuleOpsTable.registerPsciNotifierCtxt LambdaMetafactory",
            // Device assignment and the IOMMU snapshot, pVM teardown, module unload, tests.
            "iommu.KvmIommu.devices LambdaMetafactory",
            "iommu.KvmIommu.initDevice LambdaMetafactory",
            "iommu.KvmIommu.snapshotHostStage2 LambdaMetafactory",
            "mem.HypMemcache.drain LambdaMetafactory",
            "mem.HypVm.gfns LambdaMetafactory",
            "mem.HypVm.tablePfns LambdaMetafactory",
            "module.El2Modules.loadedNames LambdaMetafactory",
            "module.ModuleRegistrations.linearUnmapped LambdaMetafactory",
            "traps.HypTracing.unregisterEventIds LambdaMetafactory");

    /** Scenario: no string concatenation links a call site (the module compiles with {@code -XDstringConcat=inline}). */
    @Test
    void noStringConcatenationCallSites() throws IOException {
        assertEquals(Set.of(), sites("StringConcatFactory"));
    }

    /** Scenario: no pattern or enum switch links a bootstrap ({@code SwitchBootstraps}). */
    @Test
    void noSwitchBootstraps() throws IOException {
        assertEquals(Set.of(), sites("SwitchBootstraps"));
    }

    /** Scenario: the lambdas and method references left are the listed ones, all off the boot path. */
    @Test
    void lambdasOnlyOffTheBootPath() throws IOException {
        Set<String> lambdas = sites("LambdaMetafactory");
        assertEquals(new TreeSet<>(OFF_THE_BOOT_PATH), lambdas);
        assertFalse(lambdas.stream().anyMatch(s -> s.startsWith("setup.PkvmImage") || s.startsWith("module.SymbolLinker")
                || s.startsWith("module.KmiGate") || s.startsWith("module.InjectedFaults")), "boot-path classes");
    }

    /** Every {@code invokedynamic} whose bootstrap class is {@code bootstrap}, as "Class.method Bootstrap". */
    private static Set<String> sites(String bootstrap) throws IOException {
        Set<String> out = new TreeSet<>();
        for (Path file : classFiles()) {
            ClassModel cm = ClassFile.of().parse(file);
            String className = cm.thisClass().asInternalName().replace('/', '.').substring("org.pkvm4j.hypervisor.".length());
            for (MethodModel m : cm.methods()) {
                if (m.code().isEmpty()) {
                    continue;
                }
                for (CodeElement e : m.code().get()) {
                    if (e instanceof InvokeDynamicInstruction indy) {
                        String owner = indy.bootstrapMethod().owner().displayName();
                        if (owner.equals(bootstrap)) {
                            out.add(className + "." + m.methodName().stringValue() + " " + owner);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The compiled classes of the hyp module (its output directory or jar's root). */
    private static List<Path> classFiles() throws IOException {
        Path root;
        try {
            root = Path.of(PkvmImage.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
        Path dir = root.resolve("org/pkvm4j/hypervisor");
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> classes = files.filter(p -> p.toString().endsWith(".class")).toList();
            assertFalse(classes.isEmpty(), "no classes under " + dir);
            return classes;
        }
    }
}
