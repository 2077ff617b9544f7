package org.pkvm4j.host.abi;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.InterfaceMethodRefEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodRefEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * What a vendor module's classes use of {@code org.pkvm4j.api}: the types they name, the members
 * they link to, the API interfaces they implement, and the handler ABI of their EL2 symbols.
 *
 * <p>Kernel counterpart: the undefined symbols {@code modpost} finds in a {@code .ko}. Read from
 * the class files (constant pool, supertypes, descriptors) without loading a class.
 *
 * @param types the API types named anywhere (binary names)
 * @param members the API members linked to, with the class that links each
 * @param implementations for each class of the module that implements an API interface, the
 *     interfaces and the methods the class declares
 * @param handlerAbis the handler ABIs of the module's {@code @El2Symbol} handlers
 */
public record ApiReferences(Set<String> types, List<MemberRef> members, List<Implementation> implementations,
        Set<HandlerAbi> handlerAbis) {

    /** The package prefix of the module API, in internal form. */
    static final String API_PREFIX = "org/pkvm4j/api/";
    private static final String EL2_SYMBOL = "Lorg/pkvm4j/api/el2/El2Symbol;";

    /** A handler ABI, as the module's EL2 symbols declare it. */
    public enum HandlerAbi {
        /** android14-6.1 and later: {@code void (*)(struct user_pt_regs *)}. */
        USER_PT_REGS("Lorg/pkvm4j/api/UserPtRegs;"),
        /** android14-5.15: {@code void (*)(struct kvm_cpu_context *)}. */
        KVM_CPU_CONTEXT("Lorg/pkvm4j/api/KvmCpuContext;");

        private final String parameter;

        HandlerAbi(String parameter) {
            this.parameter = parameter;
        }

        /** The spelling in a modversions record. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A link from a module class to an API member.
     *
     * @param owner the API type the reference names (binary name)
     * @param name the member name
     * @param descriptor the member descriptor
     * @param method whether it is a method (else a field)
     * @param from the module class holding the reference
     */
    public record MemberRef(String owner, String name, String descriptor, boolean method, String from) {
        /** The symbol name this reference has on API type {@code type}, as {@link AbiSymbol} spells it. */
        String symbolOn(String type) {
            return method ? AbiModel.methodName(type, name, descriptor) : AbiModel.fieldName(type, name);
        }
    }

    /**
     * A module class implementing API interfaces.
     *
     * @param className the class
     * @param superclass its superclass (binary name)
     * @param interfaces the API interfaces it names directly
     * @param declared the methods it declares, as {@code name + descriptor}
     */
    public record Implementation(String className, String superclass, List<String> interfaces, Set<String> declared) {
    }

    /** Scans every class of the given jars (an EL1 jar, an EL2 jar). */
    public static ApiReferences scan(List<JarImage> jars) {
        Set<String> types = new TreeSet<>();
        List<MemberRef> members = new ArrayList<>();
        List<Implementation> implementations = new ArrayList<>();
        Set<HandlerAbi> abis = new java.util.TreeSet<>();
        for (JarImage jar : jars) {
            for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) {
                if (e.getKey().endsWith(".class") && !e.getKey().endsWith("module-info.class")) {
                    scanClass(ClassModels.parse(jar, e.getKey(), e.getValue()), types, members, implementations, abis);
                }
            }
        }
        return new ApiReferences(types, members, implementations, abis);
    }

    private static void scanClass(ClassModel c, Set<String> types, List<MemberRef> members,
            List<Implementation> implementations, Set<HandlerAbi> abis) {
        String self = name(c.thisClass());
        for (PoolEntry entry : c.constantPool()) {
            switch (entry) {
                case FieldRefEntry f when isApi(f.owner()) -> members.add(ref(f, false, self));
                case MethodRefEntry m when isApi(m.owner()) -> members.add(ref(m, true, self));
                case InterfaceMethodRefEntry m when isApi(m.owner()) -> members.add(ref(m, true, self));
                case ClassEntry ce -> addType(ce.asSymbol(), types);
                case MethodTypeEntry mt -> addTypes(mt.asSymbol(), types);
                default -> {
                }
            }
        }
        List<String> apiInterfaces = c.interfaces().stream().filter(ApiReferences::isApi).map(ApiReferences::name).toList();
        Map<String, Boolean> declared = new HashMap<>();
        for (MethodModel m : c.methods()) {
            declared.put(m.methodName().stringValue() + m.methodType().stringValue(), true);
            addTypes(m.methodTypeSymbol(), types);
            if (isEl2Symbol(m)) {
                for (HandlerAbi abi : HandlerAbi.values()) {
                    if (m.methodType().stringValue().equals("(" + abi.parameter + ")V")) {
                        abis.add(abi);
                    }
                }
            }
        }
        c.fields().forEach(f -> addType(f.fieldTypeSymbol(), types));
        if (!apiInterfaces.isEmpty()) {
            implementations.add(new Implementation(self, c.superclass().map(ApiReferences::name).orElse(""),
                    apiInterfaces, Set.copyOf(declared.keySet())));
        }
    }

    private static boolean isEl2Symbol(MethodModel m) {
        return m.findAttribute(Attributes.runtimeVisibleAnnotations()).stream()
                .flatMap(a -> a.annotations().stream())
                .anyMatch(a -> a.className().stringValue().equals(EL2_SYMBOL));
    }

    private static MemberRef ref(MemberRefEntry m, boolean method, String from) {
        return new MemberRef(name(m.owner()), m.name().stringValue(), m.type().stringValue(), method, from);
    }

    private static void addTypes(MethodTypeDesc type, Set<String> types) {
        addType(type.returnType(), types);
        type.parameterList().forEach(p -> addType(p, types));
    }

    private static void addType(ClassDesc desc, Set<String> types) {
        ClassDesc d = desc;
        while (d.isArray()) {
            d = d.componentType();
        }
        if (d.isClassOrInterface() && d.descriptorString().startsWith("L" + API_PREFIX)) {
            String internal = d.descriptorString();
            types.add(internal.substring(1, internal.length() - 1).replace('/', '.'));
        }
    }

    private static boolean isApi(ClassEntry entry) {
        return entry.asInternalName().startsWith(API_PREFIX);
    }

    private static String name(ClassEntry entry) {
        return entry.asInternalName().replace('/', '.');
    }
}
