package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.machine.El2Image;

/** How an EL2 jar splits into text, rodata and data. */
class El2SectionsTest {

    private static byte[] classWith(String name, int statics, int instance) {
        return ClassFile.of().build(ClassDesc.of(name), cb -> {
            for (int i = 0; i < statics; i++) {
                cb.withField("s" + i, ConstantDescs.CD_long, ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE);
            }
            for (int i = 0; i < instance; i++) {
                cb.withField("f" + i, ConstantDescs.CD_int, ClassFile.ACC_PRIVATE);
            }
        });
    }

    /**
     * Scenario: two classes (3 and 1 static fields, instance fields not counted), a resource, a
     * directory entry and META-INF files: text is the class bytes, rodata the resource, data 8 bytes
     * per static field; META-INF and directories are in no section.
     */
    @Test
    void classesAreTextResourcesRodataStaticFieldsData() {
        byte[] a = classWith("x.hyp.A", 3, 2);
        byte[] b = classWith("x.hyp.B", 1, 0);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("META-INF/MANIFEST.MF", new byte[100]);
        entries.put("x/hyp/", new byte[0]);
        entries.put("x/hyp/A.class", a);
        entries.put("x/hyp/B.class", b);
        entries.put("x/hyp/table.bin", new byte[5000]);
        El2Image.Sections s = El2Sections.of(JarImage.of("test", entries));
        assertEquals(a.length + b.length, s.textBytes());
        assertEquals(5000, s.rodataBytes());
        assertEquals(4 * El2Sections.STATIC_FIELD_BYTES, s.dataBytes());
        assertEquals(2, s.rodataPages());
        assertEquals(1, s.dataPages());
    }

    /** Scenario: a module of code only has no rodata or data pages. */
    @Test
    void codeOnly() {
        El2Image.Sections s = El2Sections.of(JarImage.of("test", Map.of("x/A.class", classWith("x.A", 0, 1))));
        assertEquals(0, s.rodataBytes());
        assertEquals(0, s.dataBytes());
        assertEquals(1, s.nrPages());
    }
}
