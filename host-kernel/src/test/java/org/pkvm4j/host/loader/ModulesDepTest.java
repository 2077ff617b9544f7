package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.initramfs.Modinfo;
import org.pkvm4j.host.initramfs.ModuleFile;

class ModulesDepTest {
    private final List<String> read = new ArrayList<>();

    /** A fake initramfs: module name to its depends=. */
    private java.util.function.Function<String, ModuleFile> initramfs(Map<String, List<String>> deps) {
        return name -> {
            read.add(name);
            List<String> d = deps.get(name);
            if (d == null) {
                throw new PkvmException(Errno.ENOENT, "module " + name + " not found in initramfs /i");
            }
            return new ModuleFile(Path.of(name + ".jar"), "0", new Modinfo(name, "1", "", "", "", "", d),
                    JarImage.of(name, Map.of("x", new byte[0])), Optional.empty());
        };
    }

    private static List<String> names(List<ModuleFile> files) {
        return files.stream().map(ModuleFile::name).toList();
    }

    @Test
    void dependenciesComeFirstEachOnce() {
        var fs = initramfs(Map.of("a", List.of("b", "c"), "b", List.of("d"), "c", List.of("d"), "d", List.of()));
        assertEquals(List.of("d", "b", "c", "a"), names(ModulesDep.resolve("a", fs, m -> false)));
    }

    @Test
    void loadedModulesAreSkippedAndNotRead() {
        var fs = initramfs(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of()));
        assertEquals(List.of("a"), names(ModulesDep.resolve("a", fs, m -> m.equals("b"))));
        assertEquals(List.of("a"), read);
    }

    @Test
    void aCycleIsNamed() {
        var fs = initramfs(Map.of("a", List.of("b"), "b", List.of("c"), "c", List.of("b")));
        PkvmException e = assertThrows(PkvmException.class, () -> ModulesDep.resolve("a", fs, m -> false));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("EINVAL: modprobe a: dependency cycle b -> c -> b", e.getMessage());
        assertEquals(Errno.EINVAL, assertThrows(PkvmException.class,
                () -> ModulesDep.resolve("s", initramfs(Map.of("s", List.of("s"))), m -> false)).errno());
    }

    @Test
    void aMissingDependencyNamesTheChain() {
        var fs = initramfs(Map.of("a", List.of("b"), "b", List.of("ghost")));
        PkvmException e = assertThrows(PkvmException.class, () -> ModulesDep.resolve("a", fs, m -> false));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("ENOENT: modprobe a: dependency ghost of b cannot be loaded (a -> b -> ghost): module ghost not"
                + " found in initramfs /i", e.getMessage());
        PkvmException top = assertThrows(PkvmException.class, () -> ModulesDep.resolve("ghost", fs, m -> false));
        assertEquals("ENOENT: module ghost not found in initramfs /i", top.getMessage(), "the module itself: the plain message");
    }
}
