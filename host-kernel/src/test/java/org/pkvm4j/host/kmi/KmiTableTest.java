package org.pkvm4j.host.kmi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.machine.ModuleOpsMembers;

/**
 * The per-KMI tables of {@code struct pkvm_module_ops} against {@link ModuleOps}, member for member,
 * both ways: every Java method a table names exists, and every {@code ModuleOps} method stands for a
 * member of at least one KMI (or is one of pkvm4j's own).
 */
class KmiTableTest {
    private static Map<String, Method> moduleOps() {
        Map<String, Method> out = new LinkedHashMap<>();
        for (Method m : ModuleOps.class.getDeclaredMethods()) {
            if (!m.isSynthetic() && !Modifier.isStatic(m.getModifiers())) {
                out.put(ModuleOpsMembers.signature(m), m);
            }
        }
        return out;
    }

    /** Scenario: a module's call, named from its descriptor (KmiCheck), is named as the reflected method (KmiGate). */
    @Test
    void aDescriptorsSignatureIsTheReflectedMethods() {
        Map<String, Method> ops = moduleOps();
        assertTrue(ops.size() > 10, ops.keySet().toString());
        for (Map.Entry<String, Method> e : ops.entrySet()) {
            Method m = e.getValue();
            String descriptor = java.lang.invoke.MethodType.methodType(m.getReturnType(), m.getParameterTypes())
                    .toMethodDescriptorString();
            assertEquals(e.getKey(), KmiTable.javaSignature(m.getName(), descriptor), descriptor);
        }
    }

    /** Scenario: every Java method a KMI's table names is a ModuleOps method. */
    @ParameterizedTest
    @EnumSource(Kmi.class)
    void everyTableMethodIsAModuleOpsMethod(Kmi kmi) {
        Map<String, Method> ops = moduleOps();
        List<String> missing = kmi.table().javaMethods().stream().filter(m -> !ops.containsKey(m)).toList();
        assertEquals(List.of(), missing, kmi + "'s table names methods ModuleOps lacks");
    }

    /** Scenario: every ModuleOps method stands for a member of some KMI's table. */
    @Test
    void everyModuleOpsMethodIsInSomeTable() {
        Set<String> tabled = Arrays.stream(Kmi.values()).flatMap(k -> k.table().javaMethods().stream())
                .collect(Collectors.toSet());
        List<String> untabled = moduleOps().keySet().stream().filter(m -> !tabled.contains(m)).toList();
        assertEquals(List.of(), untabled, "ModuleOps methods that no KMI table lists");
    }

    /** Scenario: the slot counts per branch of PKVM §1.2-1.3, declaration numbers without gaps, KABI slots from 1. */
    @ParameterizedTest
    @EnumSource(Kmi.class)
    void layoutFollowsTheKabiRules(Kmi kmi) {
        KmiTable table = kmi.table();
        assertEquals(kmi, table.kmi());
        List<KmiTable.Member> c = table.cMembers();
        List<String> numbered = c.stream().filter(m -> !m.kabi()).map(KmiTable.Member::slot).toList();
        List<String> expected = new ArrayList<>();
        for (int i = 1; i <= numbered.size(); i++) {
            expected.add(Integer.toString(i));
        }
        assertEquals(expected, numbered, "declaration numbers 1..n in order");
        List<String> kabi = c.stream().filter(KmiTable.Member::kabi).map(KmiTable.Member::slot).toList();
        List<String> slots = new ArrayList<>();
        for (int i = 1; i <= kabi.size(); i++) {
            slots.add("KABI " + i);
        }
        assertEquals(slots, kabi, "reserved slots are used in order from 1, after every fixed member");
        long fixed = c.stream().filter(m -> !m.kabi() && !m.configDependent()).count();
        Map<Kmi, List<Integer>> spec = Map.of(Kmi.ANDROID14_5_15, List.of(32, 1), Kmi.ANDROID14_6_1, List.of(52, 0),
                Kmi.ANDROID15_6_6, List.of(52, 3), Kmi.ANDROID16_6_12, List.of(59, 4));
        assertEquals(spec.get(kmi), List.of((int) fixed, kabi.size()), "members (without CONFIG_LIST_HARDENED) and KABI slots used");
        assertEquals(c.size(), c.stream().map(KmiTable.Member::name).distinct().count(), "a C member listed twice");
    }

    /** Scenario: at most five members are refused by design, each with its reason in the table and in ADR 0016. */
    @Test
    void refusedByDesignAreFewAndExplained() throws IOException {
        Set<String> refused = new TreeSet<>();
        for (Kmi kmi : Kmi.values()) {
            kmi.table().members().stream().filter(m -> m.refusal().isPresent()).forEach(m -> {
                assertTrue(!m.refusal().get().isBlank(), m.name() + " refused without a reason");
                refused.add(m.name());
            });
        }
        assertTrue(refused.size() <= 5, "more than five members refused by design: " + refused);
        String adr = Files.readString(repositoryRoot().resolve("docs/adr/0016-kmi-generations.md"));
        for (String member : refused) {
            assertTrue(adr.contains("`" + member + "`"), "ADR 0016 does not give the reason for " + member);
        }
    }

    /** Scenario: the handler ABI per branch is that of PKVM §3.5. */
    @Test
    void handlerAbiPerBranch() {
        for (Kmi kmi : Kmi.values()) {
            assertEquals(kmi.handlerAbi(), kmi.table().handlerAbi(), kmi.branch());
        }
        assertTrue(Kmi.ANDROID14_5_15.table().javaMethods().stream().filter(m -> m.startsWith("register"))
                .allMatch(m -> m.contains("KvmCpuContext") || m.contains("SerialDriver")), "5.15 callbacks take kvm_cpu_context");
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
