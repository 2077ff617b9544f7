package org.pkvm4j.hypervisor.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.device.PkvmDevices;
import org.pkvm4j.hypervisor.iommu.KvmIommu;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.HypVaSpace;
import org.pkvm4j.hypervisor.mem.IllegalAbtNotifiers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.hypervisor.smc.SmcRegistry;
import org.pkvm4j.hypervisor.traps.HypTraps;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.El2Image;
import org.pkvm4j.machine.HypKmi;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.Machine;
import org.pkvm4j.machine.MachineConfig;
import org.pkvm4j.machine.ModuleOpsMembers;

/**
 * The hypervisor knows the device's KMI at run time: booted as each of the four KMIs (their tables,
 * read from host-kernel's resources, the same files the loader reads), every {@code ModuleOps} method
 * the KMI lacks throws {@code ENOSYS} when a module calls it inside its trap, and every method it has
 * passes the gate.
 */
class KmiGateTest {
    private static final Path TABLES = repositoryRoot().resolve("host-kernel/src/main/resources/org/pkvm4j/host/kmi");

    @AfterEach
    void forget() {
        InitImages.clear("kmi_caller");
    }

    static Stream<String> branches() {
        return Stream.of("android14-5.15", "android14-6.1", "android15-6.6", "android16-6.12");
    }

    /** The Java methods a table offers, as KmiTable reads them: the last cell, split at ';', notes in [] dropped. */
    static Set<String> members(String branch) throws IOException {
        Set<String> out = new HashSet<>();
        for (String line : Files.readAllLines(TABLES.resolve(branch + ".md"))) {
            if (!line.startsWith("| ") || line.startsWith("| slot")) {
                continue;
            }
            String[] cells = line.substring(1, line.length() - 1).split(" \\| ");
            String java = cells[cells.length - 1].strip();
            if (java.startsWith("refused")) {
                continue;
            }
            for (String part : java.split(";")) {
                String m = part.replaceAll("\\[[^]]*]", "").strip();
                if (!m.isEmpty()) {
                    out.add(m);
                }
            }
        }
        return out;
    }

    /** A zero of each parameter type. */
    private static Object[] zeros(Method m) {
        Object[] args = new Object[m.getParameterCount()];
        Class<?>[] types = m.getParameterTypes();
        for (int i = 0; i < args.length; i++) {
            Class<?> t = types[i];
            args[i] = t == long.class ? (Object) 0L : t == int.class ? (Object) 0 : t == boolean.class ? (Object) false
                    : t == char.class ? (Object) 'x' : t == byte.class ? (Object) (byte) 0 : null;
        }
        return args;
    }

    /**
     * Scenario: each KMI's absent members are ENOSYS inside a trap; each present one, called there
     * with zero arguments, may be refused for its arguments but never as absent.
     */
    @ParameterizedTest
    @MethodSource("branches")
    void absentMembersAreEnosysPresentOnesPass(String branch) throws IOException {
        Set<String> offered = members(branch);
        KmiGate gate = KmiGate.of(new HypKmi(branch, offered));
        List<Method> absent = new ArrayList<>();
        for (Method m : methods()) {
            boolean has = offered.contains(signature(m));
            assertEquals(!has, gate.refused().contains(key(m)), branch + ": " + signature(m));
            if (!has) {
                absent.add(m);
            }
        }
        assertFalse(absent.isEmpty(), branch + " lacks some member of another KMI");

        Machine machine = new Machine(new MachineConfig(2, 64L << 20));
        HypPlatform platform = machine.takeHypPlatform();
        MemProtect mp = new MemProtect(platform.memory());
        HypVaSpace va = new HypVaSpace(mp, 2);
        HypConsole console = new HypConsole(platform.uart());
        SmcRegistry smc = new SmcRegistry();
        ModuleOpsTable ops = new ModuleOpsTable(console, platform, mp, new HostPermFaultHandlers(), va, new IllegalAbtNotifiers(),
                new KvmIommu(mp, platform.memory(), line -> { }), new PkvmDevices(), smc, HypTraps.create(platform, console, va),
                new HypKmi(branch, offered));
        El2Modules modules = new El2Modules(platform, va, ops, new DynamicHcalls(platform));
        Map<String, Object> outcome = new TreeMap<>();
        List<String> presentRefused = new ArrayList<>();
        El2Image image = InitImages.image("kmi_caller", o -> {
            for (Method m : methods()) {
                if (absent.contains(m)) {
                    continue;
                }
                try {
                    m.invoke(o, zeros(m));
                } catch (InvocationTargetException e) {
                    if (e.getCause() instanceof PkvmException p && p.errno() == Errno.ENOSYS) {
                        presentRefused.add(signature(m));
                    }
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
            for (Method m : absent) {
                try {
                    m.invoke(o, zeros(m));
                    outcome.put(signature(m), "returned");
                } catch (InvocationTargetException e) {
                    outcome.put(signature(m), e.getCause() instanceof PkvmException p ? p.errno() : e.getCause());
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        });
        long pa = machine.moduleRam().place(image);
        long token = modules.allocModuleVa(image.nrPages());
        Cpu cpu = machine.getCpu(0);
        try {
            assertEquals(0, modules.initModule(cpu, pa, token, token));
        } finally {
            machine.putCpu(cpu);
        }
        Map<String, Object> expected = new TreeMap<>();
        absent.forEach(m -> expected.put(signature(m), Errno.ENOSYS));
        assertEquals(expected, outcome, branch);
        assertEquals(List.of(), presentRefused, branch + ": members the KMI has, refused as absent");
        assertEquals(0, smc.hostSmcHandlers(), "a refused registration registers nothing");
    }

    /** Scenario: a hypervisor started without a KMI refuses nothing. */
    @org.junit.jupiter.api.Test
    void withoutAKmiEveryMemberPasses() {
        assertTrue(KmiGate.of(HypKmi.EVERY).refused().isEmpty());
        assertInstanceOf(KmiGate.class, KmiGate.EVERY);
    }

    /**
     * Scenario: the members the gate is built from ({@code ModuleOpsMembers}, read once per JVM in
     * the machine layer) are those the reflection below finds, which the gate did on every boot.
     */
    @org.junit.jupiter.api.Test
    void sharedMembersAreModuleOpsReflected() {
        Map<String, String> reflected = new TreeMap<>();
        for (Method m : methods()) {
            reflected.put(signature(m), key(m));
        }
        Map<String, String> shared = new TreeMap<>();
        for (ModuleOpsMembers.Member m : ModuleOpsMembers.all()) {
            assertEquals(null, shared.put(m.signature(), m.key()), "listed twice: " + m.signature());
        }
        assertEquals(reflected, shared);
        assertTrue(shared.containsValue("hostStage2ModProt(long, int)"), "an overloaded name is keyed by its signature");
        assertTrue(shared.containsValue("puts"), "a name of its own is its key");
    }

    /** {@code ModuleOps}'s members: its abstract methods. */
    static List<Method> methods() {
        return Arrays.stream(ModuleOps.class.getMethods()).filter(m -> !Modifier.isStatic(m.getModifiers())).toList();
    }

    /** {@code m} as the KMI tables spell it: {@code name(Type, Type)}, simple type names. */
    static String signature(Method m) {
        return m.getName() + Arrays.stream(m.getParameterTypes()).map(Class::getSimpleName)
                .collect(Collectors.joining(", ", "(", ")"));
    }

    /** The key {@code ModuleOpsTable} checks {@code m} under: its name, or its signature if overloaded. */
    static String key(Method m) {
        long sameName = methods().stream().filter(o -> o.getName().equals(m.getName())).count();
        return sameName > 1 ? signature(m) : m.getName();
    }

    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("docs/adr"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docs/adr above " + Path.of("").toAbsolutePath());
    }
}
