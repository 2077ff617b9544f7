package org.pkvm4j.host.initramfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;

class ModuleFileTest {
    private static final String MODINFO = "name=pkvm-driver\nversion=0.1\ndepends=pkvm-pl011,base\n";

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static PkvmException refused(Path file) {
        return assertThrows(PkvmException.class, () -> ModuleFile.read(file));
    }

    @Test
    void readsAGoodModuleWithItsEl2Jar() throws Exception {
        byte[] hyp = TestJars.jar().with("com/acme/drv/hyp/Hyp.class", new byte[8]).bytes();
        byte[] bytes = TestJars.jar()
                .with(Modinfo.ENTRY, MODINFO)
                .with("com/acme/drv/Main.class", new byte[16])
                .with(ModuleFile.EL2_ENTRY, hyp)
                .bytes();
        Path file = write("pkvm-driver.jar", bytes);

        ModuleFile m = ModuleFile.read(file);

        assertEquals("pkvm_driver", m.name());
        assertEquals(List.of("pkvm_pl011", "base"), m.modinfo().depends());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), m.sha256());
        assertEquals(64, m.sha256().length());
        assertEquals(file, m.path());
        assertTrue(m.el1().entry("com/acme/drv/Main.class").isPresent());
        JarImage el2 = m.el2().orElseThrow();
        assertEquals("pkvm-driver.jar!/" + ModuleFile.EL2_ENTRY, el2.label());
        assertTrue(el2.entry("com/acme/drv/hyp/Hyp.class").isPresent());
    }

    @Test
    void anEl1OnlyModuleHasNoEl2Jar() throws IOException {
        Path file = write("el1.jar", TestJars.jar().with(Modinfo.ENTRY, "name=el1_only").bytes());
        ModuleFile m = ModuleFile.read(file);
        assertEquals("el1_only", m.name());
        assertTrue(m.el2().isEmpty());
    }

    @Test
    void aFileThatIsNotAZipIsEnoexec() throws IOException {
        PkvmException e = refused(write("text.jar", "just text".getBytes()));
        assertEquals(Errno.ENOEXEC, e.errno());
        assertTrue(e.getMessage().contains("text.jar"), e.getMessage());
    }

    @Test
    void aJarWithoutModinfoIsEnoexec() throws IOException {
        PkvmException e = refused(write("plain.jar", TestJars.jar().with("a/A.class", new byte[1]).bytes()));
        assertEquals(Errno.ENOEXEC, e.errno());
        assertTrue(e.getMessage().contains(Modinfo.ENTRY), e.getMessage());
    }

    @Test
    void aModinfoWithoutANameIsEnoexec() throws IOException {
        PkvmException e = refused(write("noname.jar", TestJars.jar().with(Modinfo.ENTRY, "version=1").bytes()));
        assertEquals(Errno.ENOEXEC, e.errno());
    }

    @Test
    void anEl2EntryThatIsNotAZipIsEnoexec() throws IOException {
        byte[] bytes = TestJars.jar().with(Modinfo.ENTRY, MODINFO).with(ModuleFile.EL2_ENTRY, "garbage").bytes();
        PkvmException e = refused(write("bad-hyp.jar", bytes));
        assertEquals(Errno.ENOEXEC, e.errno());
        assertTrue(e.getMessage().contains(ModuleFile.EL2_ENTRY), e.getMessage());
    }

    @Test
    void anEl2EntryWithAZipHeaderButNoEntriesIsEnoexec() throws IOException {
        byte[] bytes = TestJars.jar().with(Modinfo.ENTRY, MODINFO)
                .with(ModuleFile.EL2_ENTRY, new byte[] {'P', 'K', 3, 4, 0, 0, 0}).bytes();
        assertEquals(Errno.ENOEXEC, refused(write("trunc-hyp.jar", bytes)).errno());
    }

    @Test
    void aMissingFileIsEnoent() {
        assertEquals(Errno.ENOENT, refused(dir.resolve("absent.jar")).errno());
    }
}
