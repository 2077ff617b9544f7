package org.pkvm4j.host.preempt;

import static java.lang.constant.ConstantDescs.MTD_void;

import java.io.ByteArrayInputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.CodeTransform;
import java.lang.classfile.Label;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.constant.ClassDesc;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * Inserts a preemption point ({@code invokestatic <flag class>.poll()}) at every method entry, before
 * every backward branch and at every exception handler's entry of an EL2 class, and an allocation
 * charge ({@code <flag class>.array} or {@code .arrays}) before every array allocation: a pure bytes
 * to bytes transform with the JDK's Class-File API.
 *
 * <p>Kernel counterpart: none (see the package). A poll is a static call of a two-instruction
 * method, which the JIT inlines into a load of a volatile boolean and a branch never taken. The poll
 * at a handler's entry throws again while the flag stays set, so a {@code catch (Throwable t) {}} in a
 * loop cannot swallow a stop. That needs one rule: the stop thrown by a handler's poll must not come
 * back to that handler, directly or through other handlers, or it would be caught forever. javac
 * makes every {@code finally} (and {@code synchronized}) handler cover its own first instructions
 * (the store of the exception); there the poll goes right after that prologue. Any other handler
 * that leads back to itself is refused with {@link PreemptionException}.
 *
 * <p>Stack maps are regenerated; the class hierarchy they need comes from the module's own class
 * files, the module API and the JDK, so nothing of the module is loaded to transform it.
 */
public final class PreemptionPoints {
    private static final ClassDesc CD_ERROR = ClassDesc.of("java.lang.Error");
    private static final ClassDesc CD_THROWABLE = ClassDesc.of("java.lang.Throwable");
    /** log2 of the bytes charged per reference element: 4, as with compressed oops. */
    private static final int REFERENCE_SHIFT = 2;

    private final ClassDesc flagClass;
    private final ClassDesc stopClass;
    private final ClassFile classFile;

    /**
     * A transform polling {@code flagBinaryName} ({@link PreemptFlagClass#binaryName}); {@code
     * moduleClass} answers the bytes of one of the module's own classes by internal name ({@code
     * a/b/C}), or null.
     */
    public PreemptionPoints(String flagBinaryName, Function<String, byte[]> moduleClass) {
        this.flagClass = ClassDesc.of(flagBinaryName);
        this.stopClass = ClassDesc.of(flagBinaryName + "$Stop");
        Objects.requireNonNull(moduleClass, "moduleClass");
        ClassHierarchyResolver own = ClassHierarchyResolver.ofResourceParsing(desc -> {
            String internal = desc.descriptorString();
            byte[] bytes = internal.length() > 2 ? moduleClass.apply(internal.substring(1, internal.length() - 1)) : null;
            return bytes == null ? null : new ByteArrayInputStream(bytes);
        });
        ClassHierarchyResolver resolver = own
                .orElse(ClassHierarchyResolver.ofResourceParsing(ModuleOps.class.getClassLoader()))
                .orElse(ClassHierarchyResolver.defaultResolver())
                .cached();
        this.classFile = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(resolver));
    }

    /**
     * The class {@code bytes} with preemption points.
     *
     * @throws PreemptionException if a method has a handler that covers its own handler code, or
     *     the class cannot be parsed or rewritten
     */
    public byte[] transform(byte[] bytes) {
        ClassModel model;
        try {
            model = classFile.parse(bytes);
        } catch (IllegalArgumentException e) {
            throw new PreemptionException("not a class file the transform can read: " + e.getMessage(), e);
        }
        String className = model.thisClass().asInternalName().replace('/', '.');
        if (model.thisClass().asSymbol().equals(flagClass) || model.thisClass().asSymbol().equals(stopClass)) {
            throw new PreemptionException(className + ": the module defines a class named like the generated preemption flag");
        }
        Map<String, Set<Label>> handlerPolls = new HashMap<>();
        for (MethodModel m : model.methods()) {
            m.code().ifPresent(code -> handlerPolls.put(key(m), handlerPolls(className, m, (CodeAttribute) code)));
        }
        try {
            return classFile.transformClass(model, ClassTransform.transformingMethods((mb, me) -> {
                if (me instanceof CodeModel code) {
                    mb.transformCode(code, new Polls(handlerPolls.get(key(code.parent().orElseThrow()))));
                } else {
                    mb.with(me);
                }
            }));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new PreemptionException(className + ": cannot insert preemption points: " + e.getMessage(), e);
        }
    }

    /**
     * Where each exception handler of a method polls, as labels the poll follows; refuses a method
     * where a stop could come back to the handler that threw it.
     *
     * <p>A handler polls at its entry, unless entries that lead to itself cover its first
     * instructions: javac emits that for every {@code finally} (the catch-any range covers the
     * handler's {@code astore} of the exception) and for {@code synchronized}. Then the poll goes
     * right after that self-covered prologue, which must be straight-line code that cannot call or
     * throw anything (loads, stores, stack shuffles, {@code monitorexit}). From each handler's poll,
     * follow the handler that would catch a stop thrown there (the first entry of the table whose
     * range covers it and whose type can catch an {@code Error}); a cycle is refused.
     */
    private Set<Label> handlerPolls(String className, MethodModel m, CodeAttribute code) {
        List<ExceptionCatch> table = code.exceptionHandlers();
        Set<Label> polls = new HashSet<>();
        if (table.isEmpty()) {
            return polls;
        }
        String where = className + "." + m.methodName().stringValue() + m.methodType().stringValue();
        int n = table.size();
        int[] pollBci = new int[n];
        for (int i = 0; i < n; i++) {
            Label handler = table.get(i).handler();
            int h = code.labelToBci(handler);
            Label at = handler;
            int p = h;
            for (boolean moved = true; moved; ) {
                moved = false;
                for (ExceptionCatch e : table) {
                    if (e.handler().equals(handler) && catchesStop(e) && covers(code, e, p)) {
                        at = e.tryEnd();
                        p = code.labelToBci(at);
                        moved = true;
                    }
                }
            }
            if (p != h) {
                checkPrologue(where, code, h, p);
            }
            pollBci[i] = p;
            polls.add(at);
        }
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = catcherAt(code, table, pollBci[i]);
        }
        for (int start = 0; start < n; start++) {
            Set<Integer> seen = new HashSet<>();
            for (int at = start; at >= 0; at = next[at]) {
                if (!seen.add(at)) {
                    throw new PreemptionException("%s: exception handler at bytecode %d is covered by handlers that lead back to it:"
                            .formatted(where, code.labelToBci(table.get(at).handler()))
                            + " a stopped trap could not unwind");
                }
            }
        }
        return polls;
    }

    /** The self-covered prologue {@code [from, to)} of a handler: only instructions that cannot call or throw. */
    private static void checkPrologue(String where, CodeAttribute code, int from, int to) {
        int bci = 0;
        for (CodeElement e : code) {
            if (e instanceof Instruction i) {
                if (bci >= from && bci < to && !(i instanceof LoadInstruction || i instanceof StoreInstruction
                        || i instanceof StackInstruction || i instanceof NopInstruction
                        || (i instanceof MonitorInstruction mi && mi.opcode() == Opcode.MONITOREXIT))) {
                    throw new PreemptionException("%s: exception handler at bytecode %d covers its own code up to bytecode %d, which"
                            .formatted(where, from, to) + " holds " + i.opcode() + ": a stopped trap could not unwind");
                }
                bci += i.sizeInBytes();
            }
        }
    }

    private static String key(MethodModel m) {
        return m.methodName().stringValue() + m.methodType().stringValue();
    }

    private static boolean covers(CodeAttribute code, ExceptionCatch e, int bci) {
        return bci >= code.labelToBci(e.tryStart()) && bci < code.labelToBci(e.tryEnd());
    }

    /** The index of the first entry that catches a stop thrown at {@code bci}, or -1. */
    private int catcherAt(CodeAttribute code, List<ExceptionCatch> table, int bci) {
        for (int j = 0; j < table.size(); j++) {
            ExceptionCatch e = table.get(j);
            if (covers(code, e, bci) && catchesStop(e)) {
                return j;
            }
        }
        return -1;
    }

    /** Whether the entry's type is a supertype of the stop throwable (or any type). */
    private boolean catchesStop(ExceptionCatch e) {
        if (e.catchType().isEmpty()) {
            return true;
        }
        ClassDesc type = e.catchType().get().asSymbol();
        return type.equals(CD_THROWABLE) || type.equals(CD_ERROR) || type.equals(stopClass);
    }

    /** The code transform: polls at method entry, backward branches and handler entries. */
    private final class Polls implements CodeTransform {
        private final Set<Label> seen = new HashSet<>();
        // The labels a handler's poll follows: its entry, or the end of its self-covered prologue.
        private final Set<Label> handlers;

        Polls(Set<Label> handlers) {
            this.handlers = handlers;
        }

        @Override
        public void atStart(CodeBuilder builder) {
            poll(builder);
        }

        @Override
        public void accept(CodeBuilder builder, CodeElement element) {
            switch (element) {
                case LabelTarget t -> {
                    seen.add(t.label());
                    builder.with(element);
                    if (handlers.contains(t.label())) {
                        poll(builder);
                    }
                }
                case BranchInstruction b -> {
                    if (seen.contains(b.target())) {
                        poll(builder);
                    }
                    builder.with(element);
                }
                case TableSwitchInstruction s -> {
                    if (backward(s.defaultTarget(), s.cases())) {
                        poll(builder);
                    }
                    builder.with(element);
                }
                case LookupSwitchInstruction s -> {
                    if (backward(s.defaultTarget(), s.cases())) {
                        poll(builder);
                    }
                    builder.with(element);
                }
                case NewPrimitiveArrayInstruction a -> {
                    chargeArray(builder, shift(a.typeKind()));
                    builder.with(element);
                }
                case NewReferenceArrayInstruction a -> {
                    chargeArray(builder, REFERENCE_SHIFT);
                    builder.with(element);
                }
                case NewMultiArrayInstruction a -> {
                    chargeArrays(builder, a);
                    builder.with(element);
                }
                default -> builder.with(element);
            }
        }

        /** Before {@code newarray} / {@code anewarray}: the length on the stack, charged and kept. */
        private void chargeArray(CodeBuilder builder, int shift) {
            builder.dup().loadConstant(shift).invokestatic(flagClass, PreemptFlagClass.ARRAY, PreemptFlagClass.MTD_ARRAY);
        }

        /**
         * Before {@code multianewarray} with d lengths on the stack: charge the product of all d
         * lengths as elements and the product of the first d-1 as arrays, then put the lengths back.
         */
        private void chargeArrays(CodeBuilder builder, NewMultiArrayInstruction a) {
            int d = a.dimensions();
            int[] slots = new int[d];
            for (int i = d - 1; i >= 0; i--) {
                slots[i] = builder.allocateLocal(TypeKind.INT);
                builder.istore(slots[i]);
            }
            builder.lconst_1();
            for (int i = 0; i < d - 1; i++) {
                builder.iload(slots[i]).invokestatic(flagClass, PreemptFlagClass.DIM, PreemptFlagClass.MTD_DIM);
            }
            ClassDesc type = a.arrayType().asSymbol();
            int rank = type.descriptorString().lastIndexOf('[') + 1;
            ClassDesc leaf = type;
            for (int i = 0; i < d; i++) {
                leaf = leaf.componentType();
            }
            int shift = d < rank || !leaf.isPrimitive() ? REFERENCE_SHIFT : shift(TypeKind.from(leaf));
            builder.dup2().iload(slots[d - 1]).invokestatic(flagClass, PreemptFlagClass.DIM, PreemptFlagClass.MTD_DIM)
                    .loadConstant(shift)
                    .invokestatic(flagClass, PreemptFlagClass.ARRAYS, PreemptFlagClass.MTD_ARRAYS);
            for (int slot : slots) {
                builder.iload(slot);
            }
        }

        private boolean backward(Label dflt, List<SwitchCase> cases) {
            if (seen.contains(dflt)) {
                return true;
            }
            for (SwitchCase c : cases) {
                if (seen.contains(c.target())) {
                    return true;
                }
            }
            return false;
        }

        private void poll(CodeBuilder builder) {
            builder.invokestatic(flagClass, PreemptFlagClass.POLL, MTD_void);
        }
    }

    /** log2 of the size of a primitive array element. */
    private static int shift(TypeKind kind) {
        return switch (kind) {
            case BOOLEAN, BYTE -> 0;
            case CHAR, SHORT -> 1;
            case INT, FLOAT -> 2;
            case LONG, DOUBLE -> 3;
            default -> REFERENCE_SHIFT;
        };
    }

    /**
     * Adds the generated flag class and the preemption points to a module's classes.
     *
     * @param packages the module's packages; the flag class goes into the first, in sorted order
     * @param classes the module's class files by entry name ({@code a/b/C.class}), other entries too
     * @return every entry, classes transformed, plus the flag class
     * @throws PreemptionException as {@link #transform}
     */
    public static Map<String, byte[]> apply(Set<String> packages, Map<String, byte[]> classes) {
        if (packages.isEmpty()) {
            return classes;
        }
        String pkg = packages.stream().sorted().findFirst().orElseThrow();
        String flag = PreemptFlagClass.binaryName(pkg);
        String flagEntry = flag.replace('.', '/') + ".class";
        String stopEntry = PreemptFlagClass.stopBinaryName(pkg).replace('.', '/') + ".class";
        if (classes.containsKey(flagEntry) || classes.containsKey(stopEntry)) {
            throw new PreemptionException(flag + ": the module defines a class named like the generated preemption flag");
        }
        PreemptionPoints points = new PreemptionPoints(flag, internal -> classes.get(internal + ".class"));
        Map<String, byte[]> out = new LinkedHashMap<>();
        List<String> order = new ArrayList<>(classes.keySet());
        for (String name : order) {
            byte[] bytes = classes.get(name);
            out.put(name, isClassOf(name, packages) ? points.transform(bytes) : bytes);
        }
        out.put(flagEntry, PreemptFlagClass.bytes(pkg));
        out.put(stopEntry, PreemptFlagClass.stopBytes(pkg));
        return out;
    }

    /** A class file of one of the module's packages (not module-info, not a resource). */
    static boolean isClassOf(String entry, Set<String> packages) {
        if (!entry.endsWith(".class") || entry.equals("module-info.class") || entry.startsWith("META-INF/")) {
            return false;
        }
        int slash = entry.lastIndexOf('/');
        return slash > 0 && packages.contains(entry.substring(0, slash).replace('/', '.'));
    }
}
