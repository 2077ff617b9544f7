package org.pkvm4j.host.classfile;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassModel;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.initramfs.JarImage;

class ClassModelsTest {

    private static byte[] ownBytes() throws IOException {
        try (InputStream in = ClassModelsTest.class.getResourceAsStream("ClassModelsTest.class")) {
            return in.readAllBytes();
        }
    }

    /** Scenario: inside one run the checks share the model of a class file's bytes. */
    @Test
    void oneRunParsesEachClassFileOnce() throws IOException {
        byte[] bytes = ownBytes();
        ClassModel[] seen = ClassModels.sharing(() -> new ClassModel[] {ClassModels.parse(bytes), ClassModels.parse(bytes)});
        assertSame(seen[0], seen[1]);
    }

    /** Scenario: equal bytes in another array are another class file (the lookup is by identity). */
    @Test
    void equalBytesInAnotherArrayAreParsedOnTheirOwn() throws IOException {
        byte[] bytes = ownBytes();
        byte[] copy = bytes.clone();
        ClassModel[] seen = ClassModels.sharing(() -> new ClassModel[] {ClassModels.parse(bytes), ClassModels.parse(copy)});
        assertNotSame(seen[0], seen[1]);
    }

    /**
     * Scenario: the copies a module's image hands each check of one entry share its model; the same
     * name in another image is another class file.
     */
    @Test
    void theCopiesOfOneEntryShareItsModel() throws IOException {
        JarImage jar = JarImage.of("a.jar", Map.of("a/A.class", ownBytes()));
        JarImage other = JarImage.of("b.jar", Map.of("a/A.class", ownBytes()));
        ClassModel[] seen = ClassModels.sharing(() -> new ClassModel[] {
            ClassModels.parse(jar, "a/A.class", jar.entry("a/A.class").orElseThrow()),
            ClassModels.parse(jar, "a/A.class", jar.entries().get("a/A.class")),
            ClassModels.parse(other, "a/A.class", other.entry("a/A.class").orElseThrow())});
        assertSame(seen[0], seen[1]);
        assertNotSame(seen[0], seen[2]);
    }

    /** Scenario: outside a run, and from one run to the next, nothing is kept. */
    @Test
    void nothingIsKeptOutsideOrBetweenRuns() throws IOException {
        byte[] bytes = ownBytes();
        assertNotSame(ClassModels.parse(bytes), ClassModels.parse(bytes));
        ClassModel first = ClassModels.sharing(() -> ClassModels.parse(bytes));
        ClassModel second = ClassModels.sharing(() -> ClassModels.parse(bytes));
        assertNotSame(first, second);
    }

    /** Scenario: a run inside a run joins it. */
    @Test
    void aNestedRunJoinsTheOuterOne() throws IOException {
        byte[] bytes = ownBytes();
        ClassModels.sharing(() -> {
            ClassModel outer = ClassModels.parse(bytes);
            assertSame(outer, ClassModels.sharing(() -> ClassModels.parse(bytes)));
            return null;
        });
    }

    /** Scenario: bytes that are no class file are refused as the Class-File API refuses them, and not kept. */
    @Test
    void aBadClassFileIsRefusedEveryTime() {
        byte[] bad = {(byte) 0xCA, (byte) 0xFE};
        ClassModels.sharing(() -> {
            assertThrows(IllegalArgumentException.class, () -> ClassModels.parse(bad));
            assertThrows(IllegalArgumentException.class, () -> ClassModels.parse(bad));
            return null;
        });
    }
}
