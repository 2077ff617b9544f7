package org.pkvm4j.host.loader;

import java.lang.classfile.Annotation;
import java.lang.classfile.AnnotationElement;
import java.lang.classfile.AnnotationValue;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.KvmCpuContext;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.machine.El2Image;

/**
 * The {@code @El2Symbol} table of an EL2 module, read from its class files without loading them.
 *
 * <p>Kernel counterpart: the symbol table of {@code hyp/kvm_nvhe.o}, whose {@code __kvm_nvhe_}
 * names EL1 links against. The class files are parsed with the JDK's Class-File API; nothing of the
 * EL2 module is initialised at EL1. Each symbol gets an offset inside the module's sections (its
 * class's position in the text plus its method index), so that token + offset is its hyp VA.
 *
 * @param symbols every symbol, in section order
 */
record El2SymbolTable(List<El2Image.Symbol> symbols) {
    /** The kernel's bound on a symbol name, with its terminating NUL ({@code KSYM_NAME_LEN}). */
    static final int KSYM_NAME_LEN = 512;

    private static final ClassDesc CD_EL2_SYMBOL = desc(El2Symbol.class);
    private static final MethodTypeDesc INIT = MethodTypeDesc.of(ClassDesc.ofDescriptor("V"), desc(ModuleOps.class));
    private static final MethodTypeDesc HVC = MethodTypeDesc.of(ClassDesc.ofDescriptor("V"), desc(UserPtRegs.class));
    private static final MethodTypeDesc HVC_515 = MethodTypeDesc.of(ClassDesc.ofDescriptor("V"), desc(KvmCpuContext.class));

    /** Copies the list. */
    El2SymbolTable {
        symbols = List.copyOf(symbols);
    }

    /**
     * Scans every class of {@code jar}.
     *
     * @throws PkvmException {@code ENOEXEC} for an unreadable class file, a symbol on a method that
     *     is not public static, a signature no ABI accepts, or a name declared twice
     */
    static El2SymbolTable scan(String module, JarImage jar) {
        List<El2Image.Symbol> symbols = new ArrayList<>();
        Map<String, String> declaredAt = new HashMap<>();
        long classStart = 0;
        for (Map.Entry<String, byte[]> entry : jar.entries().entrySet()) {
            String name = entry.getKey();
            if (!name.endsWith(".class") || name.equals("module-info.class")) {
                continue;
            }
            ClassModel model;
            try {
                model = ClassModels.parse(jar, name, entry.getValue());
            } catch (IllegalArgumentException e) {
                throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": " + jar.label() + "!/" + name
                        + " is not a valid class file: " + Printable.reason(e), e);
            }
            String className = model.thisClass().asInternalName().replace('/', '.');
            int index = 0;
            for (MethodModel method : model.methods()) {
                index++;
                Optional<String> symbol = symbolName(method);
                if (symbol.isEmpty()) {
                    continue;
                }
                String where = className + "." + method.methodName().stringValue() + method.methodType().stringValue();
                if (!isCName(symbol.get())) {
                    // The name is an annotation's string: any character may be in it, and every
                    // later message quotes it. The kernel's symbols are C names; so are these.
                    throw new Refusal(ErrorCode.LOAD_BAD_EL2_SYMBOL, Errno.ENOEXEC, module + ": EL2 symbol "
                            + Printable.quote(symbol.get()) + " on " + where + " is not a C name ([A-Za-z_][A-Za-z0-9_]*,"
                            + " shorter than KSYM_NAME_LEN, " + KSYM_NAME_LEN + ")");
                }
                String previous = declaredAt.putIfAbsent(symbol.get(), where);
                if (previous != null) {
                    throw new Refusal(ErrorCode.LOAD_BAD_EL2_SYMBOL, Errno.ENOEXEC, module + ": EL2 symbol " + symbol.get()
                            + " is declared twice (" + previous + " and " + where + ")");
                }
                if (!method.flags().has(AccessFlag.STATIC) || !method.flags().has(AccessFlag.PUBLIC)) {
                    throw new Refusal(ErrorCode.LOAD_BAD_EL2_SYMBOL, Errno.ENOEXEC, module + ": EL2 symbol " + symbol.get() + " on " + where
                            + " must be a public static method");
                }
                symbols.add(new El2Image.Symbol(symbol.get(), classStart + 16L * index, kindOf(module, symbol.get(),
                        method.methodTypeSymbol(), where), className, method.methodName().stringValue()));
            }
            classStart += entry.getValue().length;
        }
        return new El2SymbolTable(symbols);
    }

    /** Whether {@code name} is a C identifier shorter than {@code KSYM_NAME_LEN}. */
    static boolean isCName(String name) {
        if (name.isEmpty() || name.length() >= KSYM_NAME_LEN || Character.isDigit(name.charAt(0))) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
                return false;
            }
        }
        return true;
    }

    /** The symbol called {@code name}. */
    Optional<El2Image.Symbol> find(String name) {
        return symbols.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    private static Optional<String> symbolName(MethodModel method) {
        return method.findAttribute(Attributes.runtimeVisibleAnnotations()).stream()
                .flatMap(a -> a.annotations().stream())
                .filter(a -> a.classSymbol().equals(CD_EL2_SYMBOL))
                .map(El2SymbolTable::value)
                .findFirst();
    }

    private static String value(Annotation annotation) {
        for (AnnotationElement element : annotation.elements()) {
            if (element.name().equalsString("value") && element.value() instanceof AnnotationValue.OfString s) {
                return s.stringValue();
            }
        }
        return "";
    }

    private static El2Image.Kind kindOf(String module, String symbol, MethodTypeDesc type, String where) {
        if (type.equals(INIT)) {
            return El2Image.Kind.INIT;
        } else if (type.equals(HVC)) {
            return El2Image.Kind.HVC_USER_PT_REGS;
        } else if (type.equals(HVC_515)) {
            return El2Image.Kind.HVC_KVM_CPU_CONTEXT;
        }
        throw new Refusal(ErrorCode.LOAD_BAD_EL2_SYMBOL, Errno.ENOEXEC, module + ": EL2 symbol " + symbol + " on " + where
                + " has no accepted signature; use (ModuleOps)void for an init, (UserPtRegs)void or"
                + " (KvmCpuContext)void for a handler");
    }

    private static ClassDesc desc(Class<?> type) {
        return type.describeConstable().orElseThrow();
    }
}
