package org.pkvm4j.maven;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LoadInstruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The link step of a module build: every EL2 symbol the EL1 code names must exist in the EL2 part.
 *
 * <p>Kernel counterpart: linking {@code el1.o} against {@code hyp/kvm_nvhe.o}, where a misspelt
 * {@code __kvm_nvhe_} name is an undefined symbol and the build fails. In Java the EL1 code names
 * its EL2 symbols as strings ({@code pkvm.loadEl2Module("x")}, {@code
 * pkvm.registerEl2ModCall("y", token)}), which the compiler cannot check; without this step a typo
 * shows only at boot, as {@code ENOENT}. Names passed as string constants are checked (javac
 * inlines {@code static final} ones); a name computed at run time cannot be, and is left alone.
 */
final class El2LinkCheck {
    private static final String PKVM = "org/pkvm4j/api/el1/Pkvm";
    private static final Set<String> CALLS = Set.of("loadEl2Module", "registerEl2ModCall");
    private static final String EL2_SYMBOL = "Lorg/pkvm4j/api/el2/El2Symbol;";

    /**
     * One EL2 symbol named by EL1 code.
     *
     * @param symbol the name
     * @param call the {@code Pkvm} method it is passed to
     * @param source the source file, by package path ({@code acme/kvstore/KvStore.java})
     * @param line its line, or 0 if the class has no line numbers
     */
    record Reference(String symbol, String call, String source, int line) {
    }

    private El2LinkCheck() {
    }

    /** The references to EL2 symbols the module's EL1 part makes that its EL2 part does not define. */
    static List<Reference> undefined(Map<String, byte[]> el1Jar) throws IOException {
        byte[] hyp = el1Jar.get(HostTools.EL2_ENTRY);
        Set<String> defined = hyp == null ? Set.of() : defined(read(hyp));
        return references(el1Jar).stream().filter(r -> !defined.contains(r.symbol())).toList();
    }

    /** Every {@code @El2Symbol} name declared in an EL2 jar, sorted. */
    static Set<String> defined(Map<String, byte[]> el2Jar) {
        Set<String> names = new TreeSet<>();
        for (ClassModel model : classes(el2Jar)) {
            for (MethodModel method : model.methods()) {
                method.findAttribute(Attributes.runtimeVisibleAnnotations()).ifPresent(a -> {
                    for (Annotation annotation : a.annotations()) {
                        if (annotation.className().equalsString(EL2_SYMBOL)) {
                            for (AnnotationElement e : annotation.elements()) {
                                if (e.name().equalsString("value") && e.value() instanceof AnnotationValue.OfString s) {
                                    names.add(s.stringValue());
                                }
                            }
                        }
                    }
                });
            }
        }
        return names;
    }

    /** Every EL2 symbol the EL1 classes pass as a constant to {@code loadEl2Module} or {@code registerEl2ModCall}. */
    static List<Reference> references(Map<String, byte[]> el1Jar) {
        List<Reference> refs = new ArrayList<>();
        for (ClassModel model : classes(el1Jar)) {
            String pkg = model.thisClass().asInternalName();
            pkg = pkg.contains("/") ? pkg.substring(0, pkg.lastIndexOf('/') + 1) : "";
            String source = pkg + model.findAttribute(Attributes.sourceFile()).map(s -> s.sourceFile().stringValue())
                    .orElse(model.thisClass().asInternalName().substring(pkg.length()) + ".class");
            for (MethodModel method : model.methods()) {
                method.code().ifPresent(code -> scan(code, source, refs));
            }
        }
        return refs;
    }

    /**
     * Follows a method's code: a string constant, then at most the loads that push the other
     * arguments (the token: a local, or a field of {@code this}), then the call.
     */
    private static void scan(CodeModel code, String source, List<Reference> refs) {
        String candidate = null;
        int line = 0;
        for (CodeElement element : code) {
            switch (element) {
                case LineNumber ln -> line = ln.line();
                case ConstantInstruction c when c.constantValue() instanceof String s
                        && (c.opcode() == Opcode.LDC || c.opcode() == Opcode.LDC_W) -> candidate = s;
                case LoadInstruction load -> {
                }
                case FieldInstruction f when f.opcode() == Opcode.GETFIELD || f.opcode() == Opcode.GETSTATIC -> {
                }
                case InvokeInstruction call -> {
                    if (candidate != null && call.owner().asInternalName().equals(PKVM) && CALLS.contains(call.name().stringValue())) {
                        refs.add(new Reference(candidate, call.name().stringValue(), source, line));
                    }
                    candidate = null;
                }
                case Instruction other -> candidate = null;
                default -> {
                }
            }
        }
    }

    private static List<ClassModel> classes(Map<String, byte[]> jar) {
        List<ClassModel> models = new ArrayList<>();
        jar.forEach((name, bytes) -> {
            if (name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/")) {
                models.add(ClassFile.of().parse(bytes));
            }
        });
        return models;
    }

    /** The entries of a jar, by name. */
    static Map<String, byte[]> read(byte[] jar) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(jar))) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (!entry.isDirectory()) {
                    entries.put(entry.getName(), zip.readAllBytes());
                }
            }
        }
        return entries;
    }
}
