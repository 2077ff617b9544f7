package org.pkvm4j.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.classfile.ClassFile;
import java.lang.module.ModuleDescriptor;
import java.util.List;
import java.util.Map;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.loader.ApprovedClasses;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.host.verify.Violation;

/**
 * One class file through the loader's checks: the approval every class passes before it is defined
 * ({@link ApprovedClasses}, refusing with ENOEXEC and the entry's name) and the EL2 allow-list
 * verifier ({@link El2Verifier}, which never throws: an unreadable class is a violation). The
 * entry is named after the class the bytes declare when they declare one, so mutations of real
 * class files get past the name check into the code.
 */
class ClassFileFuzzTest {
    private static final String FALLBACK = "p/C";

    @FuzzTest
    void approve(byte[] input) {
        String internal = declaredName(input);
        ModuleDescriptor descriptor;
        try {
            descriptor = descriptor(internal);
        } catch (IllegalArgumentException e) { // not a package name a module may have: the harness's choice
            internal = FALLBACK;
            descriptor = descriptor(internal);
        }
        JarImage jar = jarOf(internal, input);
        ModuleDescriptor module = descriptor;
        Contract.succeedsOrRefuses("class approval", () -> ApprovedClasses.approve("fuzz", jar, module));
    }

    @FuzzTest
    void verify(byte[] input) {
        JarImage jar = jarOf(declaredName(input), input);
        Contract.succeedsOrRefuses("EL2 verifier", () -> {
            List<Violation> violations = El2Verifier.bundled().verify(jar);
            for (Violation v : violations) {
                Contract.checkText("EL2 verifier", "violation", v.toString(), null);
            }
        });
    }

    private static ModuleDescriptor descriptor(String internal) {
        String pkg = internal.substring(0, internal.lastIndexOf('/')).replace('/', '.');
        return ModuleDescriptor.newModule("fuzz").packages(java.util.Set.of(pkg)).build();
    }

    private static JarImage jarOf(String internal, byte[] bytes) {
        return JarImage.of("fuzz.jar", Map.of(internal + ".class", bytes));
    }

    /** The class the bytes declare, if they parse that far and name one in a package; else p/C. */
    private static String declaredName(byte[] bytes) {
        try {
            String name = ClassFile.of().parse(bytes).thisClass().asInternalName();
            int slash = name.lastIndexOf('/');
            return slash > 0 && slash < name.length() - 1 && !name.startsWith("/") && !name.contains("//")
                    && !name.contains(".") && !name.contains(";") && !name.contains("[") ? name : FALLBACK;
        } catch (RuntimeException e) {
            return FALLBACK;
        }
    }
}
