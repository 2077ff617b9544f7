package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.ModuleAttribute;
import java.lang.constant.ModuleDesc;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;

/** Reading a vendor module's {@code module-info.class}: a descriptor, or ENOEXEC naming the jar. */
class DescriptorPolicyTest {
    private static final String NAME = "acme.fuzzmod";

    private static byte[] moduleInfo() {
        return ClassFile.of().buildModule(ModuleAttribute.of(ModuleDesc.of(NAME),
                mb -> mb.requires(ModuleDesc.of("java.base"), ClassFile.ACC_MANDATED, null)));
    }

    @Test
    void aDescriptorIsRead() {
        assertEquals(NAME, DescriptorPolicy.read(TestClasses.jar("module-info.class", moduleInfo())).name());
    }

    @Test
    void everyMalformedModifiedUtf8NameIsRefusedAsAnInvalidDescriptor() {
        // The JDK reads the constant pool through a DataInput: a malformed modified-UTF-8 constant is
        // an UncheckedIOException, not an InvalidModuleDescriptorException (found by fuzzing).
        byte[] name = NAME.getBytes(StandardCharsets.UTF_8);
        for (int bad : new int[] {0x80, 0xc0, 0xe0, 0xf0, 0xff}) {
            byte[] info = moduleInfo();
            int at = indexOf(info, name);
            info[at + 1] = (byte) bad;
            Refusal r = assertThrows(Refusal.class, () -> DescriptorPolicy.read(TestClasses.jar("module-info.class", info)));
            assertEquals(ErrorCode.LOAD_NOT_MODULE_FILE, r.code());
            assertEquals(Errno.ENOEXEC, r.errno());
            assertTrue(r.getMessage().contains("t.jar has an invalid module-info.class: malformed input"), r.getMessage());
        }
    }

    // Found by fuzzing (ModuleFileFuzzTest#entries): the JDK takes identifier-ignorable control
    // characters in a package name, which the "not one of module M's packages [...]" refusal quoted.
    @Test
    void aControlCharacterInAPackageOfTheDescriptorIsRefused() {
        // (The JDK refuses a control character in a module name itself; in a package it does not.)
        assertRefusedNaming("acme.fu\\u0001zz", TestClasses.jar("module-info.class", moduleInfo(), "acme/fu\u0001zz/X.class", new byte[0]));
    }

    private static void assertRefusedNaming(String name, org.pkvm4j.host.initramfs.JarImage jar) {
        Refusal r = assertThrows(Refusal.class, () -> DescriptorPolicy.read(jar));
        assertEquals(Errno.ENOEXEC, r.errno());
        assertTrue(r.getMessage().contains("has an invalid module-info.class: it names " + name), r.getMessage());
        assertTrue(r.getMessage().chars().noneMatch(Character::isISOControl), r.getMessage());
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no " + new String(needle, StandardCharsets.UTF_8) + " in the class file");
    }
}
