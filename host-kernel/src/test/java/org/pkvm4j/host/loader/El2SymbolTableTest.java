package org.pkvm4j.host.loader;

import static java.lang.constant.ConstantDescs.CD_void;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.pkvm4j.api.Errno;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;

/** The {@code @El2Symbol} names of an EL2 jar, read from its class files. */
class El2SymbolTableTest {

    /** An EL2 jar with one init method named {@code symbol}. */
    private static JarImage el2Jar(String symbol) {
        byte[] hyp = TestClasses.type("acme.x.hyp.Hyp", cb -> cb.withMethod("init",
                MethodTypeDesc.of(CD_void, ClassDesc.of("org.pkvm4j.api.el2.ModuleOps")),
                ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, mb -> mb
                        .with(RuntimeVisibleAnnotationsAttribute.of(Annotation.of(ClassDesc.of("org.pkvm4j.api.el2.El2Symbol"),
                                AnnotationElement.ofString("value", symbol))))
                        .withCode(code -> code.return_())));
        return TestClasses.jar("acme/x/hyp/Hyp.class", hyp);
    }

    /** Scenario: a C name is a symbol of the module. */
    @Test
    void aCNameIsASymbol() {
        assertTrue(El2SymbolTable.scan("x", el2Jar("x_hyp_init2")).find("x_hyp_init2").isPresent());
    }

    /**
     * Scenario: a name that is no C name (an annotation's string may hold anything) is refused, and
     * the refusal quotes it printably. Found by fuzzing (ModuleFileFuzzTest#bytes, after the merge of
     * the fuzz campaign): a control character in the name reached the "no accepted signature"
     * message raw.
     */
    @Test
    void aSymbolThatIsNoCNameIsRefusedAndQuotedPrintably() {
        for (String bad : List.of("erHyp;\u0001in_hyp_init", "", "1st", "a-b", "x y", "x".repeat(El2SymbolTable.KSYM_NAME_LEN))) {
            Refusal r = assertThrows(Refusal.class, () -> El2SymbolTable.scan("x", el2Jar(bad)), bad);
            assertEquals(ErrorCode.LOAD_BAD_EL2_SYMBOL, r.code(), r.getMessage());
            assertEquals(Errno.ENOEXEC, r.errno());
            assertTrue(r.getMessage().chars().noneMatch(Character::isISOControl), r.getMessage());
            assertTrue(r.getMessage().contains("is not a C name"), r.getMessage());
        }
    }
}
