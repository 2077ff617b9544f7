package org.pkvm4j.host.loader;

import java.lang.classfile.Annotation;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassElement;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.FieldElement;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.PermittedSubclassesAttribute;
import java.lang.classfile.attribute.RecordAttribute;
import java.lang.classfile.attribute.RuntimeVisibleAnnotationsAttribute;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.constantpool.NameAndTypeEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.classfile.constantpool.Utf8Entry;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.module.ModuleDescriptor;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The class files of one modular jar that its layer's loader may define, each by the one binary
 * name the JVM will ask for, with the SHA-256 of the approved bytes.
 *
 * <p>Kernel counterpart: the section headers {@code load_module()} checks ({@code
 * elf_validity_check}) before it lays out the module: one reading of the file, decided before any
 * code runs. The JVM asks a class loader for a binary name; {@code acme.x.Foo$1} maps to exactly
 * one entry, {@code acme/x/Foo$1.class}, and that entry is approved only if its class file parses,
 * is no newer than the running JDK's, declares {@code this_class acme/x/Foo$1}, and lies in one of
 * the descriptor's packages. Everything else that looks like code is refused before any class is
 * defined: a class file under {@code META-INF/} (multi-release variants included), a {@code
 * module-info.class} outside the root, a class in the unnamed package, a path that is not a binary
 * name. A checker that decided "which class is this" another way than the loader could be fooled
 * by a decoy; with one table for both, it cannot.
 */
public final class ApprovedClasses {
    /** The largest class file a module may ship: far above javac's output, far below the jar bound. */
    public static final int MAX_CLASS_FILE_BYTES = 4 << 20;
    /** The simple-name prefix of the classes the hyp build generates into a module ({@code $pkvm_preempt}). */
    public static final String GENERATED_PREFIX = "$pkvm_";
    /** The newest class file version the running JDK 25 defines. */
    public static final int LATEST_MAJOR_VERSION = ClassFile.JAVA_25_VERSION;
    private static final String MODULE_INFO = "module-info.class";
    private static final String CLASS = ".class";

    private final String module;
    private final Map<String, Approved> byBinaryName;
    private final Set<String> packages;

    /** One approved class: its entry and the digest of its bytes. */
    private record Approved(String entry, byte[] sha256) {
    }

    private ApprovedClasses(String module, Map<String, Approved> byBinaryName, Set<String> packages) {
        this.module = module;
        this.byBinaryName = Collections.unmodifiableMap(byBinaryName);
        this.packages = Set.copyOf(packages);
    }

    /**
     * Approves the class files of {@code jar}, whose descriptor is {@code descriptor}.
     *
     * @param module the vendor module, for messages
     * @throws PkvmException {@code ENOEXEC}: {@link ErrorCode#LOAD_BAD_ENTRY} for an entry that is
     *     not a class the loader would define by its path, {@link ErrorCode#LOAD_BAD_CLASS} for a
     *     class file that does not parse, is too large or too new; each naming the entry
     */
    public static ApprovedClasses approve(String module, JarImage jar, ModuleDescriptor descriptor) {
        Map<String, Approved> approved = new HashMap<>();
        MessageDigest sha256 = sha256();
        for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) {
            String entry = e.getKey();
            if (entry.startsWith("META-INF/versions/")) {
                throw badEntry(module, jar, entry, "is a multi-release variant; the loader reads no META-INF/versions/ entry");
            }
            if (!entry.endsWith(CLASS)) {
                continue;
            }
            if (entry.equals(MODULE_INFO)) {
                continue; // the descriptor, read by ModuleDescriptor.read
            }
            if (entry.startsWith("META-INF/")) {
                throw badEntry(module, jar, entry, "is a class file under META-INF/; no loader defines it");
            }
            if (entry.endsWith("/" + MODULE_INFO)) {
                throw badEntry(module, jar, entry, "is a module-info.class outside the jar's root");
            }
            String internal = entry.substring(0, entry.length() - CLASS.length());
            String why = notABinaryName(internal);
            if (why != null) {
                throw badEntry(module, jar, entry, why);
            }
            String binaryName = internal.replace('/', '.');
            if (internal.substring(internal.lastIndexOf('/') + 1).startsWith(GENERATED_PREFIX)) {
                // The hyp build's own classes (the preemption flag) carry this prefix, in any package:
                // a module class named so would be taken for one of them.
                throw badEntry(module, jar, entry, "is named like a class the hypervisor's build generates ("
                        + GENERATED_PREFIX + "*); no module class may be");
            }
            String pkg = binaryName.substring(0, binaryName.lastIndexOf('.'));
            if (!descriptor.packages().contains(pkg)) {
                throw badEntry(module, jar, entry, "is in package " + pkg + ", not one of module " + descriptor.name()
                        + "'s packages " + new java.util.TreeSet<>(descriptor.packages()));
            }
            ClassModel model = parse(module, jar, entry, e.getValue());
            String declared = model.thisClass().asInternalName();
            if (!declared.equals(internal)) {
                throw badEntry(module, jar, entry, "declares class " + Printable.quote(declared)
                        + "; a class file must declare the class its path names (" + internal + ")");
            }
            approved.put(binaryName, new Approved(entry, sha256.digest(e.getValue())));
        }
        return new ApprovedClasses(descriptor.name(), approved, descriptor.packages());
    }

    /**
     * Parses a class file and reads every part the checks and the JVM will read: the constant pool,
     * every attribute, field, method and instruction. The Class-File API parses lazily, so a
     * malformed part would otherwise surface in whichever check reads it first.
     *
     * @throws PkvmException {@code ENOEXEC} ({@link ErrorCode#LOAD_BAD_CLASS}) naming the entry
     */
    static ClassModel parse(String module, JarImage jar, String entry, byte[] bytes) {
        if (bytes.length > MAX_CLASS_FILE_BYTES) {
            throw badClass(module, jar, entry, "is " + bytes.length + " bytes, over the limit of "
                    + MAX_CLASS_FILE_BYTES + " bytes per class file");
        }
        // The version first, from the header: the Class-File API refuses newer ones in its own words.
        if (bytes.length >= 8 && (bytes[0] & 0xFF) == 0xCA && (bytes[1] & 0xFF) == 0xFE) {
            int minor = ((bytes[4] & 0xFF) << 8) | (bytes[5] & 0xFF);
            int major = ((bytes[6] & 0xFF) << 8) | (bytes[7] & 0xFF);
            if (major > LATEST_MAJOR_VERSION || minor == ClassFile.PREVIEW_MINOR_VERSION) {
                throw badClass(module, jar, entry, "has class file version " + major + "." + minor
                        + "; the running JDK defines up to " + LATEST_MAJOR_VERSION + ".0 (Java 25, no preview features)");
            }
        }
        ClassModel model;
        try {
            model = ClassModels.parse(jar, entry, bytes);
            touch(model);
        } catch (PkvmException e) {
            throw e;
        } catch (RuntimeException e) {
            throw badClass(module, jar, entry, "is not a valid class file: " + Printable.reason(e));
        }
        return model;
    }

    private static void touch(ClassModel model) {
        // Every pool entry, with the entries it names; UTF-8 contents are decoded lazily.
        for (PoolEntry p : model.constantPool()) {
            if (p instanceof Utf8Entry u) {
                u.stringValue();
            } else if (p instanceof ClassEntry c) {
                // A class name the JVM would refuse (';', '[' inside it, an empty segment): refused
                // here, naming the entry, not in whichever later check resolves it first.
                c.asSymbol();
                printable("class name", c.asInternalName());
            } else if (p instanceof NameAndTypeEntry n) {
                printable("member name", n.name().stringValue());
                String type = n.type().stringValue();
                printable("descriptor", type);
                // A descriptor the JVM would refuse ('.' in a class name, no ';'): refused here, not
                // by whichever later check parses the reference first (the KMI check did).
                if (type.startsWith("(")) {
                    MethodTypeDesc.ofDescriptor(type);
                } else {
                    ClassDesc.ofDescriptor(type);
                }
            } else if (p instanceof MethodTypeEntry t) {
                printable("descriptor", t.descriptor().stringValue());
                t.asSymbol();
            }
        }
        for (int i = 0; i < model.constantPool().bootstrapMethodCount(); i++) {
            model.constantPool().bootstrapMethodEntry(i).arguments();
        }
        model.thisClass().asInternalName();
        // Loops and ifs, not lambdas: this runs on a JVM's first boot, where each lambda was a class to spin.
        if (model.superclass().isPresent()) {
            model.superclass().get().asInternalName();
        }
        for (ClassEntry c : model.interfaces()) {
            c.asInternalName();
        }
        for (ClassElement e : model) {
            if (e instanceof FieldModel f) {
                printable("field name", f.fieldName().stringValue());
                printable("descriptor", f.fieldType().stringValue());
                f.fieldTypeSymbol();
                for (FieldElement _ : f) {
                    // every element read: the iteration is the parse
                }
            } else if (e instanceof MethodModel m) {
                touch(m);
            }
        }
        Optional<RuntimeVisibleAnnotationsAttribute> annotations = model.findAttribute(Attributes.runtimeVisibleAnnotations());
        if (annotations.isPresent()) {
            annotations.get().annotations().size();
        }
        Optional<RecordAttribute> record = model.findAttribute(Attributes.record());
        if (record.isPresent()) {
            record.get().components().size();
        }
        Optional<PermittedSubclassesAttribute> permitted = model.findAttribute(Attributes.permittedSubclasses());
        if (permitted.isPresent()) {
            permitted.get().permittedSubclasses().size();
        }
    }

    /**
     * The JVM takes control characters in names and descriptors (Java calls most of them
     * "identifier-ignorable"); the checks' messages and the kernel log quote class and member names
     * and descriptors, so a class file that names anything with one is refused. String constants
     * are data and may hold any character.
     */
    private static void printable(String what, String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                throw new IllegalArgumentException("a " + what + " has control character U+%04X; names are printable".formatted((int) c));
            }
        }
    }

    private static void touch(MethodModel m) {
        printable("method name", m.methodName().stringValue());
        printable("descriptor", m.methodType().stringValue());
        m.methodTypeSymbol();
        Optional<RuntimeVisibleAnnotationsAttribute> annotations = m.findAttribute(Attributes.runtimeVisibleAnnotations());
        if (annotations.isPresent()) {
            for (Annotation a : annotations.get().annotations()) {
                a.elements();
            }
        }
        for (MethodElement e : m) {
            if (e instanceof CodeModel code) {
                // Instruction operands are pool indices read on first access: read each once.
                for (CodeElement c : code) {
                    switch (c) {
                        case InvokeInstruction i -> i.method().type();
                        case FieldInstruction f -> f.field().type();
                        case ConstantInstruction.LoadConstantInstruction l -> l.constantEntry();
                        case TypeCheckInstruction t -> t.type();
                        case NewObjectInstruction n -> n.className();
                        case NewReferenceArrayInstruction a -> a.componentType();
                        case NewMultiArrayInstruction a -> a.arrayType();
                        case InvokeDynamicInstruction d -> d.invokedynamic().bootstrap();
                        case ExceptionCatch x -> x.catchType();
                        default -> { }
                    }
                }
            }
        }
    }

    /** Why {@code internal} (a path without {@code .class}) is no binary name in internal form, or null. */
    private static String notABinaryName(String internal) {
        if (internal.indexOf('/') < 0) {
            return "is a class in the unnamed package; a named module has none";
        }
        for (String part : internal.split("/", -1)) {
            if (part.isEmpty()) {
                return "has an empty path segment";
            }
            for (int i = 0; i < part.length(); i++) {
                char c = part.charAt(i);
                if (c == '.' || c == ';' || c == '[' || c == '<' || c == '>') {
                    return "has '" + c + "' in a path segment, so its path is no binary name";
                }
                // The JVM takes a control character in a name (Java calls some "identifier-ignorable"),
                // but every message and log line that names the class would carry it.
                if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                    return "has control character U+%04X in its path; a class name is printable".formatted((int) c);
                }
            }
        }
        return null;
    }

    /** The JPMS module these classes belong to. */
    public String moduleName() {
        return module;
    }

    /** The packages of the module. */
    public Set<String> packages() {
        return packages;
    }

    /** The binary names approved. */
    public Set<String> binaryNames() {
        return byBinaryName.keySet();
    }

    /** The entry that holds class {@code binaryName}, if it was approved. */
    public Optional<String> entryOf(String binaryName) {
        Approved a = byBinaryName.get(binaryName);
        return a == null ? Optional.empty() : Optional.of(a.entry());
    }

    /** Whether {@code bytes} are exactly the approved bytes of class {@code binaryName}. */
    public boolean isApproved(String binaryName, byte[] bytes) {
        Approved a = byBinaryName.get(binaryName);
        return a != null && MessageDigest.isEqual(a.sha256(), sha256().digest(bytes));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    // The entry is quoted printably whatever made the jar: the zip reader refuses control characters
    // in names, but a jar may come from a directory (modpost, abi dump) or a module reader too.
    private static Refusal badEntry(String module, JarImage jar, String entry, String why) {
        return new Refusal(ErrorCode.LOAD_BAD_ENTRY, Errno.ENOEXEC, module + ": " + jar.label() + "!/" + Printable.quote(entry) + " " + why);
    }

    private static Refusal badClass(String module, JarImage jar, String entry, String why) {
        return new Refusal(ErrorCode.LOAD_BAD_CLASS, Errno.ENOEXEC, module + ": " + jar.label() + "!/" + Printable.quote(entry) + " " + why);
    }
}
