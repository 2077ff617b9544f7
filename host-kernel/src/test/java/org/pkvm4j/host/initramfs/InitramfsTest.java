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
