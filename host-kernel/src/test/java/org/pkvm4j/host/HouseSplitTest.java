package org.pkvm4j.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kernel's room (docs/adr/0012-house-split.md): it exports what a device's users need, its ABI
 * model only to the tools and the CLI, and nothing in it names the CLI, the tools or picocli.
 */
class HouseSplitTest {
    private static final ModuleDescriptor KERNEL = HostKernel.class.getModule().getDescriptor();

    @Test
    void exportsWhatTheTestKitToolsAndCliNeedAndNoMore() {
        Map<String, Set<String>> exports = KERNEL.exports().stream()
                .collect(Collectors.toMap(ModuleDescriptor.Exports::source, ModuleDescriptor.Exports::targets, (a, b) -> a, TreeMap::new));
        Map<String, Set<String>> expected = new TreeMap<>();
        for (String p : List.of("", ".attest", ".cmdline", ".dev", ".diag", ".hvc", ".initramfs", ".kmi", ".kvm", ".loader", ".log",
                ".trace")) {
            expected.put("org.pkvm4j.host" + p, Set.of());
        }
        expected.put("org.pkvm4j.host.abi", Set.of("org.pkvm4j.tools", "org.pkvm4j.cli"));
        expected.put("org.pkvm4j.host.verify", Set.of("org.pkvm4j.tools", "org.pkvm4j.cli"));
        assertEquals(expected, exports);
        assertTrue(KERNEL.opens().isEmpty(), "the kernel opens nothing: " + KERNEL.opens());
    }

    @Test
    void requiresNeitherTheCliNorItsLibraries() {
        Set<String> requires = KERNEL.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet());
        for (String forbidden : List.of("org.pkvm4j.cli", "org.pkvm4j.tools", "info.picocli")) {
            assertFalse(requires.contains(forbidden), "the kernel requires " + forbidden);
        }
    }

    @Test
    void noKernelClassNamesTheCliOrTheTools() throws IOException {
        Path classes = Path.of(HostKernel.class.getModule().getLayer().configuration().findModule("org.pkvm4j.host")
                .orElseThrow().reference().location().orElseThrow());
        try (Stream<Path> walk = Files.isDirectory(classes) ? Files.walk(classes) : Stream.empty()) {
            List<Path> files = walk.filter(p -> p.toString().endsWith(".class")).toList();
            assertTrue(files.size() > 50, "the kernel's classes are at " + classes);
            for (Path f : files) {
                // Class names live in the constant pool as UTF-8: a plain byte search finds every reference.
                String bytes = new String(read(f), StandardCharsets.ISO_8859_1);
                for (String name : List.of("org/pkvm4j/cli", "org/pkvm4j/tools", "picocli")) {
                    assertFalse(bytes.contains(name), f + " names " + name);
                }
            }
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
