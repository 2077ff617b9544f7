package org.pkvm4j.host.loader;

import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.reflect.AccessFlag;
import java.util.Map;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.machine.El2Image;

/**
 * Splits an EL2 jar into the sections the hypervisor maps with their own permissions.
 *
 * <p>Kernel counterpart: the section table {@code pkvm_el2_module} records for {@code
 * __pkvm_load_el2_module} ({@code .hyp.text}, {@code .hyp.rodata}, {@code .hyp.data}/{@code .bss}).
 * For a Java module: text is the class files (the code, mapped R+X), rodata the other resources it
 * ships outside {@code META-INF/} (constant data, mapped R), data the storage of its static fields,
 * 8 bytes each (the state it writes, mapped RW). The jar was read and checked before, so a class
 * that does not parse counts as text only.
 */
final class El2Sections {
    /** Bytes a static field takes in the data section: one 64-bit slot. */
    static final long STATIC_FIELD_BYTES = 8;

    private El2Sections() {
    }

    /** The sections of {@code jar}. */
    static El2Image.Sections of(JarImage jar) {
        long text = 0;
        long rodata = 0;
        long data = 0;
        for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) {
            String name = e.getKey();
            if (name.endsWith("/") || name.startsWith("META-INF/")) {
                continue;
            }
            if (name.endsWith(".class")) {
                text += e.getValue().length;
                data += STATIC_FIELD_BYTES * staticFields(jar, name, e.getValue());
            } else {
                rodata += e.getValue().length;
            }
        }
        return new El2Image.Sections(text, rodata, data);
    }

    private static long staticFields(JarImage jar, String name, byte[] classBytes) {
        try {
            ClassModel model = ClassModels.parse(jar, name, classBytes);
            long n = 0;
            for (FieldModel f : model.fields()) {
                if (f.flags().has(AccessFlag.STATIC)) {
                    n++;
                }
            }
            return n;
        } catch (IllegalArgumentException e) {
            return 0;
        }
    }
}
