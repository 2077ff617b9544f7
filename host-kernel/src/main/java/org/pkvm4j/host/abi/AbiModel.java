package org.pkvm4j.host.abi;

import java.io.IOException;
import java.lang.classfile.AccessFlags;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.FieldModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.ConstantValueAttribute;
import java.lang.classfile.attribute.RecordComponentInfo;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantValueEntry;
import java.lang.classfile.constantpool.StringEntry;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.AccessFlag;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * The ABI of a module API jar: every exported type and member as an {@link AbiSymbol}, in a
 * canonical order.
 *
 * <p>Kernel counterpart: {@code Module.symvers} plus the type information STG keeps for the KMI.
 * Read from the class files with the JDK's Class-File API (it always understands the running JDK's
 * class-file version), never by loading classes. Only packages the module exports count, and in
 * them only public types and their public and protected members; synthetic members do not.
 */
public final class AbiModel {
    /** The first line of every dump: the format's name and version. */
    public static final String DUMP_HEADER = "# pkvm4j ABI dump, format 1";
    private static final String VENDOR_IMPLEMENTED = "Lorg/pkvm4j/api/VendorImplemented;";

    private final String module;
    private final String version;
    private final Map<String, AbiSymbol> symbols;

    private AbiModel(String module, String version, Collection<AbiSymbol> symbols) {
        this.module = module;
        this.version = version;
        Map<String, AbiSymbol> sorted = new LinkedHashMap<>();
        symbols.stream().sorted(Comparator.comparing(AbiSymbol::name)).forEach(s -> sorted.put(s.name(), s));
        this.symbols = java.util.Collections.unmodifiableMap(sorted);
    }

    /**
     * Reads an API jar.
     *
     * @throws IOException if it is not a readable modular jar
     */
    public static AbiModel read(Path apiJar) throws IOException {
        return read(JarImage.read(apiJar.toString(), Files.readAllBytes(apiJar)));
    }

    /**
     * Reads an API from a jar in memory.
     *
     * @throws IOException if it has no readable {@code module-info.class}
     */
    public static AbiModel read(JarImage jar) throws IOException {
        byte[] info = jar.entry("module-info.class")
                .orElseThrow(() -> new IOException(jar.label() + " is not a modular jar"));
        ModuleDescriptor descriptor;
        try {
            descriptor = ModuleDescriptor.read(ByteBuffer.wrap(info), jar::packages);
        } catch (RuntimeException e) {
            throw new IOException(jar.label() + ": bad module-info.class: " + Printable.reason(e), e);
        }
        Set<String> exported = descriptor.exports().stream().filter(e -> !e.isQualified())
                .map(e -> e.source().replace('.', '/')).collect(Collectors.toSet());
        Map<String, ClassModel> classes = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : jar.entries().entrySet()) {
            String name = e.getKey();
            int slash = name.lastIndexOf('/');
            if (name.endsWith(".class") && slash > 0 && exported.contains(name.substring(0, slash))) {
                try {
                    classes.put(name, ClassFile.of().parse(e.getValue()));
                } catch (IllegalArgumentException bad) {
                    throw new IOException(jar.label() + "!/" + name + " is not a class file: " + Printable.reason(bad), bad);
                }
            }
        }
        List<AbiSymbol> symbols = new ArrayList<>();
        for (ClassModel c : classes.values()) {
            if (c.flags().has(AccessFlag.PUBLIC) && !c.flags().has(AccessFlag.SYNTHETIC) && !isModuleInfo(c)) {
                describe(c, symbols);
            }
        }
        return new AbiModel(descriptor.name(), descriptor.rawVersion().orElse(""), symbols);
    }

    /** The API's module name. */
    public String module() {
        return module;
    }

    /** The module's version, or empty. */
    public String version() {
        return version;
    }

    /** Every symbol, sorted by name. */
    public Collection<AbiSymbol> symbols() {
        return symbols.values();
    }

    /** The symbol called {@code name}. */
    public Optional<AbiSymbol> find(String name) {
        return Optional.ofNullable(symbols.get(name));
    }

    /** Every compile-time constant: javac copies their values into callers. */
    public List<AbiSymbol> constants() {
        return symbols.values().stream().filter(s -> s.kind() == AbiSymbol.Kind.CONSTANT).toList();
    }

    /** Builds a model from symbols, for dumps read back. */
    static AbiModel of(String module, String version, Collection<AbiSymbol> symbols) {
        return new AbiModel(module, version, symbols);
    }

    /**
     * Reads a dump back, the inverse of {@link #dump()}: {@code parseDump(m.dump()).dump()} equals
     * {@code m.dump()}.
     *
     * <p>Every line's CRC is recomputed from its kind, name and description and must match the one
     * written, and the symbol count must match the header, so a hand-edited baseline fails here
     * instead of silently moving the goalposts (genksyms likewise recomputes, never trusts, a CRC).
     * Lines may end in CRLF (a checkout on Windows); {@code #} lines after the header are comments.
     *
     * @throws IllegalArgumentException naming the line, if the text is not a well-formed dump
     */
    public static AbiModel parseDump(String text) {
        int control = Printable.firstControl(text);
        if (control >= 0) {
            // The messages below quote lines: none may carry what would forge a line of output.
            throw new IllegalArgumentException("line " + Printable.lineOf(text, control) + ": "
                    + Printable.describeControl(text, control) + "; a dump is printable text");
        }
        String[] lines = text.split("\n", -1);
        if (!strip(lines[0]).equals(DUMP_HEADER)) {
            throw new IllegalArgumentException("not a pkvm4j ABI dump: line 1 is \"" + abbreviate(strip(lines[0]))
                    + "\", expected \"" + DUMP_HEADER + "\"");
        }
        String moduleLine = lines.length > 1 ? strip(lines[1]) : "";
        if (!moduleLine.startsWith("# module ") || moduleLine.length() == "# module ".length()) {
            throw new IllegalArgumentException("line 2: expected \"# module NAME[@VERSION]\", found \""
                    + abbreviate(moduleLine) + "\"");
        }
        String id = moduleLine.substring("# module ".length());
        int at = id.indexOf('@');
        String module = at < 0 ? id : id.substring(0, at);
        String version = at < 0 ? "" : id.substring(at + 1);
        int declared = declaredCount(lines.length > 2 ? strip(lines[2]) : "");
        Map<String, AbiSymbol> symbols = new LinkedHashMap<>();
        for (int i = 3; i < lines.length; i++) {
            String line = strip(lines[i]);
            int number = i + 1;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            AbiSymbol symbol = parseLine(line, number);
            if (symbols.put(symbol.name(), symbol) != null) {
                throw new IllegalArgumentException("line " + number + ": " + symbol.name() + " appears twice");
            }
        }
        if (declared != symbols.size()) {
            throw new IllegalArgumentException("the header declares " + declared + " symbols but the dump has "
                    + symbols.size() + ": lines were added or removed by hand");
        }
        return of(module, version, symbols.values());
    }

    private static AbiSymbol parseLine(String line, int number) {
        // "0x<crc> <kind> <name> | <description>": names never contain spaces, descriptions may.
        int space1 = line.indexOf(' ');
        int space2 = space1 < 0 ? -1 : line.indexOf(' ', space1 + 1);
        int bar = space2 < 0 ? -1 : line.indexOf(" | ", space2 + 1);
        if (bar < 0 || !line.startsWith("0x") || line.indexOf(' ', space2 + 1) != bar) {
            throw new IllegalArgumentException("line " + number + ": expected \"0x<crc> <kind> <name> | <description>\", found \""
                    + abbreviate(line) + "\"");
        }
        int crc;
        try {
            crc = Integer.parseUnsignedInt(line.substring(2, space1), 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("line " + number + ": bad CRC \"" + line.substring(0, space1) + "\"", e);
        }
        String word = line.substring(space1 + 1, space2);
        AbiSymbol.Kind kind = null;
        for (AbiSymbol.Kind k : AbiSymbol.Kind.values()) {
            if (k.word().equals(word)) {
                kind = k;
                break;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("line " + number + ": unknown kind \"" + word
                    + "\" (expected type, method, field or constant)");
        }
        AbiSymbol symbol = new AbiSymbol(kind, line.substring(space2 + 1, bar), line.substring(bar + 3));
        if (symbol.crc() != crc) {
            throw new IllegalArgumentException("line " + number + ": CRC " + line.substring(0, space1)
                    + " does not match the description of " + symbol.name() + " (its CRC is " + symbol.crcHex()
                    + "); the dump was edited by hand: regenerate it with ./pkvm abi dump");
        }
        return symbol;
    }

    private static int declaredCount(String line) {
        // "# <n> symbols: ..."
        String[] words = line.split(" ");
        try {
            if (words.length > 2 && words[0].equals("#") && words[2].startsWith("symbols")) {
                return Integer.parseInt(words[1]);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("line 3: expected \"# <count> symbols: ...\", found \"" + abbreviate(line) + "\"");
    }

    private static String strip(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static String abbreviate(String line) {
        return line.length() <= 80 ? line : line.substring(0, 77) + "...";
    }

    /** The canonical, deterministic text form: a header, then one line per symbol. */
    public String dump() {
        StringBuilder out = new StringBuilder(DUMP_HEADER).append('\n');
        out.append("# module ").append(module).append(version.isEmpty() ? "" : "@" + version).append('\n');
        out.append("# ").append(symbols.size()).append(" symbols: CRC32, kind, name | expanded description\n");
        for (AbiSymbol s : symbols.values()) {
            out.append(s.dumpLine()).append('\n');
        }
        return out.toString();
    }

    private static boolean isModuleInfo(ClassModel c) {
        return c.flags().has(AccessFlag.MODULE);
    }

    private static void describe(ClassModel c, List<AbiSymbol> out) {
        String type = binaryName(c.thisClass());
        boolean isInterface = c.flags().has(AccessFlag.INTERFACE);
        boolean implementable = isInterface && hasAnnotation(c, VENDOR_IMPLEMENTED);
        // What links a member: its owner's kind (invokevirtual vs invokeinterface), not the owner's other flags.
        String ownerKind = isInterface ? "interface" : "class";
        List<String> abstractMethods = new ArrayList<>();
        for (MethodModel m : c.methods()) {
            if (!isApi(m.flags())) {
                continue;
            }
            String name = methodName(type, m.methodName().stringValue(), m.methodType().stringValue());
            out.add(new AbiSymbol(AbiSymbol.Kind.METHOD, name, ownerKind + ", returns "
                    + m.methodTypeSymbol().returnType().descriptorString() + ", " + flags(m.flags())));
            if (m.flags().has(AccessFlag.ABSTRACT)) {
                abstractMethods.add(m.methodName().stringValue() + m.methodType().stringValue());
            }
        }
        for (FieldModel f : c.fields()) {
            if (!isApi(f.flags())) {
                continue;
            }
            String name = fieldName(type, f.fieldName().stringValue());
            String fieldType = "type " + f.fieldType().stringValue();
            Optional<ConstantValueAttribute> constant = f.findAttribute(Attributes.constantValue());
            if (constant.isPresent() && f.flags().has(AccessFlag.STATIC) && f.flags().has(AccessFlag.FINAL)) {
                out.add(new AbiSymbol(AbiSymbol.Kind.CONSTANT, name, ownerKind + ", " + fieldType + ", "
                        + flags(f.flags()) + " = " + value(constant.get().constant())));
            } else {
                out.add(new AbiSymbol(AbiSymbol.Kind.FIELD, name, ownerKind + ", " + fieldType + ", " + flags(f.flags())));
            }
        }
        StringBuilder d = new StringBuilder(typeKind(c)).append(", ").append(flags(c.flags()));
        c.superclass().ifPresent(s -> d.append(", extends ").append(binaryName(s)));
        if (!c.interfaces().isEmpty()) {
            d.append(", implements ").append(c.interfaces().stream().map(AbiModel::binaryName).sorted()
                    .collect(Collectors.joining(" ")));
        }
        c.findAttribute(Attributes.permittedSubclasses()).ifPresent(p -> d.append(", permits ")
                .append(p.permittedSubclasses().stream().map(AbiModel::binaryName).sorted().collect(Collectors.joining(" "))));
        c.findAttribute(Attributes.record()).ifPresent(r -> d.append(", components (").append(r.components().stream()
                .map(AbiModel::component).collect(Collectors.joining(", "))).append(')'));
        if (isInterface) {
            d.append(implementable ? ", vendor-implemented" : ", call-only");
            if (implementable) {
                d.append(", abstract ").append(new TreeSet<>(abstractMethods));
            }
        }
        out.add(new AbiSymbol(AbiSymbol.Kind.TYPE, type, d.toString()));
    }

    /**
     * A method's symbol name: its owner, name and parameter types, as C names a function by its
     * name alone; the return type is in the description, so changing it keeps the name and changes
     * the CRC ("disagrees about version of symbol").
     */
    static String methodName(String type, String name, String descriptor) {
        return type + "." + name + descriptor.substring(0, descriptor.indexOf(')') + 1);
    }

    /** A field's symbol name: its owner and name; its type is in the description. */
    static String fieldName(String type, String name) {
        return type + "." + name;
    }

    private static String component(RecordComponentInfo r) {
        return r.name().stringValue() + ":" + r.descriptor().stringValue();
    }

    private static String typeKind(ClassModel c) {
        if (c.flags().has(AccessFlag.ANNOTATION)) {
            return "annotation";
        } else if (c.flags().has(AccessFlag.INTERFACE)) {
            return "interface";
        } else if (c.flags().has(AccessFlag.ENUM)) {
            return "enum";
        } else if (c.findAttribute(Attributes.record()).isPresent()) {
            return "record";
        }
        return "class";
    }

    private static boolean isApi(AccessFlags flags) {
        return (flags.has(AccessFlag.PUBLIC) || flags.has(AccessFlag.PROTECTED))
                && !flags.has(AccessFlag.SYNTHETIC) && !flags.has(AccessFlag.BRIDGE);
    }

    private static boolean hasAnnotation(ClassModel c, String descriptor) {
        return c.findAttribute(Attributes.runtimeInvisibleAnnotations()).stream()
                .flatMap(a -> a.annotations().stream())
                .anyMatch(a -> a.className().stringValue().equals(descriptor))
                || c.findAttribute(Attributes.runtimeVisibleAnnotations()).stream()
                        .flatMap(a -> a.annotations().stream())
                        .anyMatch(a -> a.className().stringValue().equals(descriptor));
    }

    /** Linkage-relevant flags in a fixed order; SUPER, SYNTHETIC, VARARGS and friends do not link. */
    private static String flags(AccessFlags flags) {
        List<String> words = new ArrayList<>();
        for (AccessFlag f : List.of(AccessFlag.PUBLIC, AccessFlag.PROTECTED, AccessFlag.STATIC, AccessFlag.FINAL,
                AccessFlag.ABSTRACT, AccessFlag.ENUM)) {
            if (flags.has(f)) {
                words.add(f.name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return String.join(" ", words);
    }

    private static String value(ConstantValueEntry entry) {
        if (entry instanceof StringEntry s) {
            return '"' + s.stringValue().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + '"';
        }
        return String.valueOf(entry.constantValue());
    }

    private static String binaryName(ClassEntry entry) {
        return entry.asInternalName().replace('/', '.');
    }
}
