package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.diag.BootConfigException;

class InitramfsTest {
    @TempDir
    Path dir;

    private Path touch(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "x");
    }

    @Test
    void findTreatsDashAndUnderscoreAlike() throws IOException {
        Path pl011 = touch("pkvm-pl011.jar");
        Path driver = touch("pkvm_driver.jar");
        Initramfs initramfs = Initramfs.mount(dir);

        assertEquals(Optional.of(pl011), initramfs.find("pkvm_pl011").map(p -> dir.resolve(p.getFileName())));
        assertEquals(Optional.of(pl011), initramfs.find("pkvm-pl011").map(p -> dir.resolve(p.getFileName())));
        assertEquals(Optional.of(driver), initramfs.find("pkvm-driver").map(p -> dir.resolve(p.getFileName())));
        assertTrue(initramfs.find("pkvm").isEmpty());
        assertTrue(initramfs.find("pkvm_driver.jar").isEmpty());
    }

    @Test
    void findSeesFilesAddedRemovedAndReplacedAfterAnEarlierFind() throws IOException {
        // find keeps its listing between calls (ADR 0018); what it answers must still be the directory's.
        touch("a.jar");
        Initramfs initramfs = Initramfs.mount(dir);
        assertTrue(initramfs.find("a").isPresent());
        assertTrue(initramfs.find("b").isEmpty());

        touch("b.jar");
        assertEquals(Optional.of("b.jar"), initramfs.find("b").map(p -> p.getFileName().toString()));

        Files.delete(dir.resolve("a.jar"));
        assertTrue(initramfs.find("a").isEmpty());

        // A file that sorts first and provides the same module is the one found, as modprobe finds it.
        touch("c_d.jar");
        assertEquals(Optional.of("c_d.jar"), initramfs.find("c-d").map(p -> p.getFileName().toString()));
        touch("c-d.jar");
        assertEquals(Optional.of("c-d.jar"), initramfs.find("c-d").map(p -> p.getFileName().toString()));

        // A directory named like a module is no module file; the next candidate is.
        Files.delete(dir.resolve("c-d.jar"));
        Files.createDirectory(dir.resolve("c-d.jar"));
        assertEquals(Optional.of("c_d.jar"), initramfs.find("c-d").map(p -> p.getFileName().toString()));
    }

    @Test
    void spellingsAreEveryDashUnderscoreVariantInPathOrder() {
        assertEquals(List.of("kvstore"), Initramfs.spellings("kvstore"));
        assertEquals(List.of("a-b-c", "a-b_c", "a_b-c", "a_b_c"), Initramfs.spellings("a_b_c"));
        List<String> many = Initramfs.spellings("a_b_c_d_e");
        assertEquals(16, many.size());
        assertEquals(many.stream().sorted().toList(), many);
    }

    @Test
    void findWithManyUnderscoresListsTheDirectory() throws IOException {
        touch("a_b-c_d-e_f.jar");
        touch("a_b_c_d_e_f.jar");
        Initramfs initramfs = Initramfs.mount(dir);
        assertEquals(Optional.of("a_b-c_d-e_f.jar"), initramfs.find("a-b-c-d-e-f").map(p -> p.getFileName().toString()));
        assertTrue(initramfs.find("a_b_c_d_e_g").isEmpty());
        assertTrue(initramfs.find("a/b").isEmpty());
    }

    @Test
    void listsOnlyJarFilesSortedByName() throws IOException {
        touch("b.jar");
        touch("a.jar");
        touch("notes.txt");
        Files.createDirectory(dir.resolve("dir.jar"));
        List<String> names = Initramfs.mount(dir).list().stream().map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("a.jar", "b.jar"), names);
    }

    @Test
    void moduleNameComesFromTheFileName() {
        assertEquals("pkvm_pl011", Initramfs.moduleName(Path.of("/x/pkvm-pl011.jar")));
    }

    @Test
    void rootIsAbsolute() {
        assertTrue(Initramfs.mount(dir).root().isAbsolute());
    }

    @Test
    void aFileIsNotAnInitramfs() throws IOException {
        Path file = touch("file.jar");
        BootConfigException e = assertThrows(BootConfigException.class, () -> Initramfs.mount(file));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void aMissingDirectoryIsNotAnInitramfs() {
        assertThrows(BootConfigException.class, () -> Initramfs.mount(dir.resolve("absent")));
    }
}
