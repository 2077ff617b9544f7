package org.pkvm4j.host.loader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.lang.classfile.ClassFile;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;

/** Which class files a layer's loader may define: one table, decided before any class is defined. */
class ApprovedClassesTest {
    private static final java.lang.module.ModuleDescriptor ACME = TestClasses.descriptor("acme.x", "acme.x");

    private static Refusal refused(ErrorCode code, JarImage jar, java.lang.module.ModuleDescriptor d) {
        Refusal r = assertThrows(Refusal.class, () -> ApprovedClasses.approve("x", jar, d));
        assertEquals(code, r.code(), r.getMessage());
        assertEquals(Errno.ENOEXEC, r.errno());
        return r;
    }

    @Test
    void eachClassIsApprovedUnderTheOneNameTheJvmAsksFor() {
        byte[] foo = TestClasses.type("acme.x.Foo");
        byte[] inner = TestClasses.type("acme.x.Foo$1");
        ApprovedClasses a = ApprovedClasses.approve("x", TestClasses.jar("module-info.class", new byte[0],
                "acme/x/Foo.class", foo, "acme/x/Foo$1.class", inner, "acme/x/data.bin", new byte[3]), ACME);
        assertEquals(Set.of("acme.x.Foo", "acme.x.Foo$1"), a.binaryNames());
        assertEquals(Optional.of("acme/x/Foo$1.class"), a.entryOf("acme.x.Foo$1"));
        assertTrue(a.entryOf("acme.x.Bar").isEmpty());
        assertTrue(a.isApproved("acme.x.Foo", foo.clone()));
        assertFalse(a.isApproved("acme.x.Foo", inner), "other bytes under the name are not approved");
        byte[] changed = foo.clone();
        changed[changed.length - 1] ^= 1;
        assertFalse(a.isApproved("acme.x.Foo", changed));
        assertEquals("acme.x", a.moduleName());
    }

    @Test
    void aDecoyWhoseThisClassIsAJdkClassIsRefusedNamingTheEntry() {
        Refusal r = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x/Util.class",
                TestClasses.type("java.lang.System")), ACME);
        assertTrue(r.getMessage().contains("t.jar!/acme/x/Util.class declares class java/lang/System"), r.getMessage());
    }

    /**
     * Scenario: a module class named like the hyp build's preemption flag, in any of its packages,
     * would be taken for it when the hypervisor stops the module's code: refused.
     */
    // Found by fuzzing (ClassFileFuzzTest#approve): the declared name was quoted with its control characters.
    @Test
    void aDeclaredNameIsQuotedPrintablyAndShort() {
        byte[] forged = TestClasses.type("acme.x.UQQ" + "x".repeat(1000));
        String latin1 = new String(forged, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = latin1.indexOf("acme/x/UQQ") + "acme/x/U".length();
        byte[] longName = forged.clone();
        longName[at] = 'V';
        Refusal r = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x/Util.class", longName), ACME);
        assertTrue(r.getMessage().contains("declares class acme/x/UVQxxx"), r.getMessage());
        assertTrue(r.getMessage().length() < 600, r.getMessage());
        // A control character in it: since the campaign of 2026-12-06, refused with every name in the
        // class file before the declared name is compared (aControlCharacterInANameOrDescriptor...).
        forged[at] = 0x11; // no ClassDesc has a control character in its name: the bytes are forged
        forged[at + 1] = 0x1b;
        Refusal control = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Util.class", forged), ACME);
        assertTrue(control.getMessage().contains("a class name has control character U+0011"), control.getMessage());
    }

    // Found by fuzzing (ClassFileFuzzTest#approve): a class path with a control character (a name the
    // JVM takes) reached the class-file refusal and was quoted raw. The zip reader refuses such entry
    // names; a jar made from a directory or a module reader does not pass through it.
    @Test
    void aControlCharacterInAClassPathIsRefusedAndQuotedPrintably() {
        for (char c : new char[] {'\u0000', '\u0011', '\u001b', '\u007f', '\u009b', '\u2028'}) {
            String entry = "acme/x/Kv" + c + "Store.class";
            Refusal r = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar(entry, new byte[] {(byte) 0xca, (byte) 0xfe}), ACME);
            assertTrue(r.getMessage().contains("has control character U+%04X in its path".formatted((int) c)), r.getMessage());
            assertTrue(r.getMessage().chars().noneMatch(ch -> Character.isISOControl(ch) || ch == '\u2028'), r.getMessage());
        }
    }

    // Found by fuzzing (ModuleFileFuzzTest#bytes): a class constant the JVM would refuse (';' inside
    // it) passed approval and failed the API scan with the name, NUL and all, in its message.
    @Test
    void aClassConstantWithAnInvalidNameIsRefusedAtApproval() {
        byte[] forged = TestClasses.referencingInInit("acme.x.Util", "acme.x.Zzz");
        String latin1 = new String(forged, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = latin1.indexOf("acme/x/Zzz");
        forged[at + "acme/x/Z".length()] = ';';
        forged[at + "acme/x/Z".length() + 1] = 0x00; // not modified UTF-8: written as a literal 0x00, refused either way
        Refusal r = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Util.class", forged), ACME);
        assertTrue(r.getMessage().contains("acme/x/Util.class is not a valid class file"), r.getMessage());
        assertTrue(r.getMessage().chars().noneMatch(Character::isISOControl), r.getMessage());
    }

    // Found by fuzzing (ModuleFileFuzzTest, both, the rerun): a control character in a class name
    // inside a method descriptor (the JVM takes it) was quoted by the EL2 symbol check.
    @Test
    void aControlCharacterInANameOrDescriptorIsRefusedAtApprovalButNotInAString() {
        for (String target : new String[] {"acme/x/Zzz", "run", "Ljava/lang/String;"}) {
            byte[] forged = TestClasses.type("acme.x.Util", cb -> cb
                    .withField("name", java.lang.constant.ConstantDescs.CD_String, ClassFile.ACC_STATIC)
                    .withMethodBody("run", java.lang.constant.MethodTypeDesc.of(java.lang.constant.ConstantDescs.CD_void,
                            java.lang.constant.ClassDesc.of("acme.x.Zzz")), ClassFile.ACC_STATIC, code -> code.return_()));
            String latin1 = new String(forged, java.nio.charset.StandardCharsets.ISO_8859_1);
            forged[latin1.indexOf(target) + 1] = 0x01;
            Refusal r = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Util.class", forged), ACME);
            assertTrue(r.getMessage().contains("acme/x/Util.class is not a valid class file: a "), r.getMessage());
            assertTrue(r.getMessage().contains("has control character U+0001; names are printable"), r.getMessage());
        }
        byte[] withString = TestClasses.type("acme.x.Util", cb -> cb.withMethodBody("run", java.lang.constant.ConstantDescs.MTD_void,
                ClassFile.ACC_STATIC, code -> code.ldc("a line\n\u0001").pop().return_()));
        ApprovedClasses.approve("m", TestClasses.jar("acme/x/Util.class", withString), ACME);
    }

    @Test
    void aClassNamedLikeTheGeneratedPreemptionFlagIsRefused() {
        Refusal r = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x/$pkvm_preempt.class",
                TestClasses.type("acme.x.$pkvm_preempt")), ACME);
        assertTrue(r.getMessage().contains("acme/x/$pkvm_preempt.class is named like a class the hypervisor's build generates"),
                r.getMessage());
    }

    @Test
    void aClassOutsideTheModulesPackagesIsRefused() {
        Refusal r = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x/Foo.class", TestClasses.type("acme.x.Foo"),
                "acme/y/Bar.class", TestClasses.type("acme.y.Bar")), ACME);
        assertTrue(r.getMessage().contains("t.jar!/acme/y/Bar.class is in package acme.y, not one of module acme.x's packages"),
                r.getMessage());
    }

    @Test
    void multiReleaseVariantsAndClassesUnderMetaInfAreRefused() {
        Refusal mr = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("META-INF/versions/9/acme/x/Foo.class",
                TestClasses.type("acme.x.Foo")), ACME);
        assertTrue(mr.getMessage().contains("META-INF/versions/9/acme/x/Foo.class is a multi-release variant"), mr.getMessage());
        refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("META-INF/versions/9/notes.txt", new byte[1]), ACME);
        Refusal meta = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("META-INF/acme/x/Foo.class",
                TestClasses.type("acme.x.Foo")), ACME);
        assertTrue(meta.getMessage().contains("is a class file under META-INF/"), meta.getMessage());
        Refusal info = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x/module-info.class", new byte[4]), ACME);
        assertTrue(info.getMessage().contains("module-info.class outside the jar's root"), info.getMessage());
    }

    @Test
    void pathsThatAreNoBinaryNameAreRefused() {
        refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("Foo.class", TestClasses.type("Foo")), ACME);
        Refusal dotted = refused(ErrorCode.LOAD_BAD_ENTRY, TestClasses.jar("acme/x.y/Foo.class", new byte[4]),
                TestClasses.descriptor("acme.x", "acme.x.y"));
        assertTrue(dotted.getMessage().contains("no binary name"), dotted.getMessage());
    }

    @Test
    void malformedTruncatedTooNewAndOversizedClassFilesAreRefusedNamingTheEntry() {
        Refusal twoBytes = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class", new byte[] {(byte) 0xCA, (byte) 0xFE}), ACME);
        assertTrue(twoBytes.getMessage().startsWith("ENOEXEC: x: t.jar!/acme/x/Foo.class is not a valid class file"), twoBytes.getMessage());
        byte[] whole = TestClasses.type("acme.x.Foo", cb -> cb.withMethodBody("run", java.lang.constant.ConstantDescs.MTD_void,
                java.lang.classfile.ClassFile.ACC_PUBLIC | java.lang.classfile.ClassFile.ACC_STATIC, code -> code.return_()));
        for (int cut : new int[] {9, whole.length / 2, whole.length - 3}) {
            Refusal truncated = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class", Arrays.copyOf(whole, cut)), ACME);
            assertTrue(truncated.getMessage().contains("acme/x/Foo.class is not a valid class file"), truncated.getMessage());
        }
        Refusal v70 = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class", TestClasses.version("acme.x.Foo", 70)), ACME);
        assertTrue(v70.getMessage().contains("acme/x/Foo.class has class file version 70.0; the running JDK defines up to 69.0"),
                v70.getMessage());
        Refusal big = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class",
                new byte[ApprovedClasses.MAX_CLASS_FILE_BYTES + 1]), ACME);
        assertTrue(big.getMessage().contains("over the limit of " + ApprovedClasses.MAX_CLASS_FILE_BYTES), big.getMessage());
    }

    @Test
    void aClassFileWithABadPoolIndexInItsCodeIsRefusedBeforeAnyCheckReadsIt() {
        byte[] good = TestClasses.type("acme.x.Foo", cb -> cb.withMethodBody("run", java.lang.constant.ConstantDescs.MTD_void,
                java.lang.classfile.ClassFile.ACC_PUBLIC | java.lang.classfile.ClassFile.ACC_STATIC,
                code -> code.ldc(java.lang.constant.ClassDesc.of("acme.x.Foo")).pop().return_()));
        // The ldc's pool index is the byte after the ldc opcode (0x12): point it past the pool.
        byte[] bad = good.clone();
        for (int i = bad.length - 1; i > 0; i--) {
            if (bad[i - 1] == 0x12 && bad[i + 1] == 0x57) { // ldc #i; pop
                bad[i] = (byte) 0xEE;
                break;
            }
        }
        refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class", bad), ACME);
    }

    /**
     * Scenario: a member descriptor the JVM would refuse ('.' in a class name, an unterminated one)
     * is refused at approval, naming the entry, before any check parses the reference. Found by
     * fuzzing (ModuleFileFuzzTest#entries): such a method reference reached the KMI check as an
     * IllegalArgumentException.
     */
    @Test
    void aDescriptorTheJvmWouldRefuseIsRefusedAtApproval() {
        for (String descriptor : java.util.List.of("()Lo.g/pkvm4j/api/el2/HypSpinLock;", "(I", "Lacme/x/Foo", "()Q")) {
            byte[] bad = TestClasses.type("acme.x.Foo", cb -> cb.constantPool().nameAndTypeEntry(
                    cb.constantPool().utf8Entry("m"), cb.constantPool().utf8Entry(descriptor)));
            Refusal r = refused(ErrorCode.LOAD_BAD_CLASS, TestClasses.jar("acme/x/Foo.class", bad), ACME);
            assertTrue(r.getMessage().contains("t.jar!/acme/x/Foo.class"), r.getMessage());
        }
    }
}
