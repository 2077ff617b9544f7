package org.pkvm4j.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pkvm4j.host.initramfs.ModuleFile;

/** The module-file builder writes what a vendor build writes, and what an attacker writes. */
class ModuleFileBuilderTest {
    private static ModuleFileBuilder hello(String name) {
        return ModuleFileBuilder.module(name)
                .el1Source("module-info.java", """
                        module test.%1$s {
                            requires org.pkvm4j.api;
                            provides org.pkvm4j.api.el1.KernelModule with test.%1$s.Module;
                        }
                        """.formatted(name))
                .el1Source("test/" + name + "/Module.java", """
                        package test.%s;

                        public final class Module implements org.pkvm4j.api.el1.KernelModule {
                            @Override
                            public void init(org.pkvm4j.api.el1.ModuleContext ctx) {
                                ctx.pkvm().loadEl2Module("%s_init");
                            }
                        }
                        """.formatted(name, name))
                .hypSource("module-info.java", "module test.%s.hyp {\n    requires org.pkvm4j.api;\n}\n".formatted(name))
                .hypSource("test/" + name + "/hyp/Hyp.java", """
                        package test.%s.hyp;

                        public final class Hyp {
                            @org.pkvm4j.api.el2.El2Symbol("%s_init")
                            public static void init(org.pkvm4j.api.el2.ModuleOps ops) {
                            }
                        }
                        """.formatted(name, name));
    }

    /** Scenario: sources compiled in memory and packed as a module file the kernel reads, modversions stamped. */
    @Test
    void buildsAModuleFileTheKernelReads(@TempDir Path dir) {
        Path file = hello("hello").modinfo("version", "2.0").modpost().writeTo(dir);
        assertEquals(dir.resolve("hello.jar"), file);
        ModuleFile read = ModuleFile.read(file);
        assertEquals("hello", read.name());
        assertEquals("2.0", read.modinfo().version());
        assertTrue(read.el1().entry("test/hello/Module.class").isPresent());
        assertTrue(read.el1().entry(org.pkvm4j.tools.modpost.ModPost.ENTRY).isPresent(), "modpost stamped it");
        assertTrue(read.el2().orElseThrow().entry("test/hello/hyp/Hyp.class").isPresent());
    }

    /** Scenario: several builders compiled in one javac run give the same classes as one by one. */
    @Test
    void compileAllKeepsEachBuildersClasses() {
        ModuleFileBuilder a = hello("one");
        ModuleFileBuilder b = hello("two");
        ModuleFileBuilder.compileAll(List.of(a, b));
        assertEquals(hello("one").hypClasses().keySet(), a.hypClasses().keySet());
        assertEquals(ClassFile.of().parse(hello("two").hypClass("test.two.hyp.Hyp")).thisClass().asInternalName(),
                ClassFile.of().parse(b.hypClass("test.two.hyp.Hyp")).thisClass().asInternalName());
    }

    /** Scenario: a source that does not compile says so, with javac's message. */
    @Test
    void sourceThatDoesNotCompileFailsWithJavacsMessage() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> hello("bad").hypSource("test/bad/hyp/Oops.java", "package test.bad.hyp; class Oops { int x = ; }").hypClasses());
        assertTrue(e.getMessage().contains("does not compile") && e.getMessage().contains("Oops.java"), e.getMessage());
    }

    /** Scenario: raw entries java.util.zip would refuse to write: duplicates, ../, non-UTF-8 bytes. */
    @Test
    void rawEntriesAreWrittenAsGiven() throws IOException {
        byte[] nonUtf8 = {'a', (byte) 0xff, '.', 'c'};
        byte[] zip = new RawZip().add("x", new byte[] {1}).add("x", new byte[] {2}).add("../../up", new byte[] {3})
                .add(RawZip.Entry.rawName(nonUtf8, new byte[] {4})).toBytes();
        List<String> names = new ArrayList<>();
        List<Integer> firstBytes = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip), StandardCharsets.ISO_8859_1)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                names.add(e.getName());
                firstBytes.add((int) in.readAllBytes()[0]);
            }
        }
        assertEquals(List.of("x", "x", "../../up", new String(nonUtf8, StandardCharsets.ISO_8859_1)), names);
        assertEquals(List.of(1, 2, 3, 4), firstBytes);
    }

    /** Scenario: a 1 GiB stored entry of zeros is a sparse file that zip readers accept. */
    @Test
    void hugeZeroEntryIsSparse(@TempDir Path dir) throws IOException {
        Path file = new RawZip().add(RawZip.Entry.zeros("blob.bin", 1L << 30)).add("after", new byte[] {9}).write(dir.resolve("huge.zip"));
        assertTrue(Files.size(file) > 1L << 30);
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry blob = zip.getEntry("blob.bin");
            assertEquals(1L << 30, blob.getSize());
            assertEquals(ZipEntry.STORED, blob.getMethod());
            assertArrayEquals(new byte[] {9}, zip.getInputStream(zip.getEntry("after")).readAllBytes());
        }
    }

    /** Scenario: hand-made class files: a decoy named after a JDK class, another version, cut short. */
    @Test
    void classFilesMadeByHand() {
        byte[] decoy = ClassFiles.decoy("java.lang.System");
        assertEquals("java/lang/System", ClassFile.of().parse(decoy).thisClass().asInternalName());
        byte[] later = ClassFiles.withMajorVersion(decoy, 70);
        assertEquals(70, (later[6] & 0xff) << 8 | later[7] & 0xff);
        assertEquals(100, ClassFiles.truncated(decoy, 100).length);
        assertArrayEquals(new byte[] {(byte) 0xCA, (byte) 0xFE}, ClassFiles.twoBytes());
        byte[] info = ClassFiles.moduleInfo("java.sql", List.of("org.pkvm4j.api"), List.of("a.b"));
        var descriptor = java.lang.module.ModuleDescriptor.read(java.nio.ByteBuffer.wrap(info));
        assertEquals("java.sql", descriptor.name());
        assertEquals(java.util.Set.of("a.b"), descriptor.packages());
        assertEquals("renamed/Thing", ClassFile.of().parse(ClassFiles.renamed(decoy, "renamed.Thing")).thisClass().asInternalName());
    }
}
