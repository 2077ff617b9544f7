package org.pkvm4j.tools.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.diag.BootConfigException;
import org.pkvm4j.host.initramfs.ImageKeys;

/** The packer refuses what the device would refuse, and writes nothing then. */
class InitramfsPackerTest {
    @TempDir
    Path dir;

    @Test
    void refusesAFileThatIsNotNamedAsAModule() throws IOException {
        Path modules = Files.createDirectory(dir.resolve("modules"));
        Files.writeString(modules.resolve("notes.txt"), "hello");
        Path image = dir.resolve("initramfs.img");
        InitramfsPacker.RefusedException e = assertThrows(InitramfsPacker.RefusedException.class,
                () -> InitramfsPacker.pack(modules, image, Optional.empty()));
        assertTrue(e.getMessage().contains("is not a module file name"), e.getMessage());
        assertTrue(Files.notExists(image));
    }

    @Test
    void refusesAJarThatIsNotAModuleFile() throws IOException {
        Path modules = Files.createDirectory(dir.resolve("modules"));
        Files.writeString(modules.resolve("fake.jar"), "not a zip");
        assertThrows(InitramfsPacker.RefusedException.class,
                () -> InitramfsPacker.pack(modules, dir.resolve("initramfs.img"), Optional.empty()));
    }

    @Test
    void refusesAnEmptyDirectoryAndAMissingOne() throws IOException {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        InitramfsPacker.RefusedException e = assertThrows(InitramfsPacker.RefusedException.class,
                () -> InitramfsPacker.pack(empty, dir.resolve("i.img"), Optional.empty()));
        assertTrue(e.getMessage().contains("holds no module files"), e.getMessage());
        assertThrows(BootConfigException.class, () -> InitramfsPacker.pack(dir.resolve("missing"), dir.resolve("i.img"),
                Optional.empty()));
    }

    @Test
    void keygenWritesAKeyPairAndNeverOverwritesIt() {
        Path key = dir.resolve("k");
        String fingerprint = InitramfsPacker.keygen(key);
        assertTrue(Files.isRegularFile(key) && Files.isRegularFile(ImageKeys.publicKeyFile(key)));
        assertEquals(ImageKeys.fingerprint(ImageKeys.readPublic(ImageKeys.publicKeyFile(key))), fingerprint);
        assertThrows(BootConfigException.class, () -> InitramfsPacker.keygen(key));
    }
}
