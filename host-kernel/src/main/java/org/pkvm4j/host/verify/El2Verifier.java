package org.pkvm4j.host.verify;

import java.lang.classfile.BootstrapMethodEntry;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.ConstantDynamicEntry;
import java.lang.classfile.constantpool.FieldRefEntry;
import java.lang.classfile.constantpool.LoadableConstantEntry;
import java.lang.classfile.constantpool.MemberRefEntry;
import java.lang.classfile.constantpool.MethodHandleEntry;
import java.lang.classfile.constantpool.MethodTypeEntry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ExceptionCatch;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.pkvm4j.host.initramfs.JarImage;
import org.pkvm4j.host.verify.El2Policy.Decision;
import org.pkvm4j.host.verify.El2Policy.Kind;

/**
 * Verifies the classes of an EL2 jar against an {@link El2Policy}, reading every class file and
 * every instruction with the JDK's Class-File API, without loading or defining anything.
 *
 * <p>Kernel counterpart: the link step of {@code hyp/Makefile.module}, where an EL2 object that
 * names a host symbol fails to build ({@code EXPORT_SYMBOL_GPL} is an error at EL2). Checked: the
 * supertypes of every class; field and method references ({@code invoke*}, {@code get*}/{@code
 * put*}); the classes of {@code new}, {@code checkcast}, {@code instanceof}, {@code anewarray},
 * {@code multianewarray}, {@code ldc} and {@code catch}; method handles and method types loaded by
 * {@code ldc}; the bootstrap method and arguments of every {@code invokedynamic} and dynamic
 * constant; {@code monitorenter} and {@code ACC_SYNCHRONIZED}; native methods and finalizers.
 * References to the module's own classes are always fine (except bootstraps: only javac's own may
 * link a call site).
 *
 * <p>It runs on every load, so it is one pass over the bytes the loader already holds, and each
 * distinct subject is decided once per jar.
 */
public final class El2Verifier {
    // Line numbers and local variable tables carry no references: the walk need not see them.
    private static final ClassFile CLASS_FILE = ClassFile.of(ClassFile.DebugElementsOption.DROP_DEBUG,
            ClassFile.LineNumbersOption.DROP_LINE_NUMBERS);

    private final El2Policy policy;

    /** A verifier applying {@code policy}. */
    public El2Verifier(El2Policy policy) {
        this.policy = Objects.requireNonNull(policy);
    }

    /** A verifier applying the bundled policy. */
    public static El2Verifier bundled() {
        return Bundled.VERIFIER;
    }

    /** The policy it applies. */
    public El2Policy policy() {
        return policy;
    }

    /**
     * Every violation in {@code el2Jar}'s classes ({@code module-info.class} excepted: the
     * descriptor policy checks it), in archive and code order, each distinct one once; empty when the
     * code passes. A class file that cannot be parsed is itself a violation.
     */
    public List<Violation> verify(JarImage el2Jar) {
        List<Violation> violations = new ArrayList<>();
        List<ClassModel> classes = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (Map.Entry<String, byte[]> entry : el2Jar.entries().entrySet()) {
            String name = entry.getKey();
            if (name.endsWith(".class") && !name.equals("module-info.class") && !name.endsWith("/module-info.class")) {
                try {
                    classes.add(CLASS_FILE.parse(entry.getValue()));
                    entries.add(name);
                } catch (IllegalArgumentException e) {
                    violations.add(unreadable(name, e));
                }
            }
        }
        ModuleClasses own;
        try {
            own = new ModuleClasses(classes);
        } catch (IllegalArgumentException e) {
            violations.add(unreadable(el2Jar.label(), e));
            return violations;
        }
        Walk walk = new Walk(own, violations);
        for (int i = 0; i < classes.size(); i++) {
            try {
                walk.verifyClass(classes.get(i));
            } catch (IllegalArgumentException e) {
                // The Class-File API parses lazily: a malformed constant or attribute surfaces here.
                violations.add(unreadable(entries.get(i), e));
            }
        }
        return violations;
    }

    private static Violation unreadable(String name, IllegalArgumentException e) {
        return new Violation(name, "", "is", "not a valid class file", String.valueOf(e.getMessage()));
    }

    /** One verification: the module's classes, the decisions taken so far, the violations found. */
    private final class Walk {
        private final ModuleClasses own;
        private final List<Violation> violations;
        private final Map<String, Decision> decided = new HashMap<>();
        private final Set<Violation> reported = new HashSet<>();
        private String className;
        private String method;

        Walk(ModuleClasses own, List<Violation> violations) {
            this.own = own;
            this.violations = violations;
        }

        void verifyClass(ClassModel model) {
            className = javaName(model.thisClass().asInternalName());
            method = "";
            if (model.superclass().isPresent()) {
                classRef("extends", model.superclass().get());
            }
            for (ClassEntry i : model.interfaces()) {
                classRef("implements", i);
            }
            for (MethodModel m : model.methods()) {
                String name = m.methodName().stringValue();
                String type = m.methodType().stringValue();
                method = name.concat(type);
                if (m.flags().has(AccessFlag.SYNCHRONIZED)) {
                    pseudo(Kind.MONITOR, "is", "synchronized");
                }
                if (m.flags().has(AccessFlag.NATIVE)) {
                    pseudo(Kind.NATIVE, "is", "native");
                }
                if (name.equals("finalize") && type.equals("()V") && !m.flags().has(AccessFlag.STATIC)) {
                    pseudo(Kind.FINALIZER, "declares", "a finalizer");
                }
                if (m.code().isPresent()) {
                    walkCode(m.code().get());
                }
            }
        }

        // instanceof chains rather than pattern switches, lambdas or streams: each of those links a
        // call site on first use, and at boot this code runs once, cold.
        private void walkCode(CodeModel code) {
            for (CodeElement e : code) {
                if (e instanceof InvokeInstruction i) {
                    member("calls", i.method());
                } else if (e instanceof FieldInstruction f) {
                    member(f.opcode() == Opcode.GETFIELD || f.opcode() == Opcode.GETSTATIC ? "reads" : "writes", f.field());
                } else if (e instanceof NewObjectInstruction n) {
                    classRef("instantiates", n.className());
                } else if (e instanceof TypeCheckInstruction t) {
                    classRef(t.opcode() == Opcode.CHECKCAST ? "casts to" : "tests instanceof", t.type());
                } else if (e instanceof NewReferenceArrayInstruction a) {
                    classRef("creates an array of", a.componentType());
                } else if (e instanceof NewMultiArrayInstruction a) {
                    classRef("creates an array of", a.arrayType());
                } else if (e instanceof ConstantInstruction.LoadConstantInstruction l) {
                    constant(l.constantEntry());
                } else if (e instanceof InvokeDynamicInstruction d) {
                    bootstrap("links invokedynamic through", d.invokedynamic().bootstrap());
                } else if (e instanceof MonitorInstruction m && m.opcode() == Opcode.MONITORENTER) {
                    pseudo(Kind.MONITOR, "enters", "a monitor (synchronized block)");
                } else if (e instanceof ExceptionCatch c && c.catchType().isPresent()) {
                    classRef("catches", c.catchType().get());
                }
            }
        }

        private void constant(LoadableConstantEntry entry) {
            if (entry instanceof ClassEntry c) {
                classRef("references", c);
            } else if (entry instanceof MethodHandleEntry h) {
                reference("loads a constant of type", "java.lang.invoke.MethodHandle");
                member("takes a method handle to", h.reference());
            } else if (entry instanceof MethodTypeEntry) {
                reference("loads a constant of type", "java.lang.invoke.MethodType");
            } else if (entry instanceof ConstantDynamicEntry d) {
                bootstrap("loads a dynamic constant through", d.bootstrap());
            }
        }

        /** A bootstrap method is checked even when it is the module's own: it receives a full-privilege lookup. */
        private void bootstrap(String action, BootstrapMethodEntry bootstrap) {
            MemberRefEntry bsm = bootstrap.bootstrapMethod().reference();
            String subject = javaName(bsm.owner().asInternalName()).concat(".").concat(bsm.name().stringValue())
                    .concat(bsm.type().stringValue());
            Decision d = decide(Kind.BOOTSTRAP, subject);
            if (!d.allowed()) {
                report(new Violation(className, method, action, subject, d.reason()));
            }
            // Its arguments are references too: the method handle of a lambda is the lambda's body.
            for (LoadableConstantEntry arg : bootstrap.arguments()) {
                if (arg instanceof ClassEntry c) {
                    classRef("references", c);
                } else if (arg instanceof MethodHandleEntry h) {
                    member("takes a method handle to", h.reference());
                } else if (arg instanceof ConstantDynamicEntry c) {
                    bootstrap("loads a dynamic constant through", c.bootstrap());
                }
            }
        }

        private void member(String action, MemberRefEntry ref) {
            String owner = ref.owner().asInternalName();
            String key = ref instanceof FieldRefEntry ? ref.name().stringValue()
                    : ref.name().stringValue().concat(ref.type().stringValue());
            if (owner.startsWith("[")) {
                owner = "java/lang/Object"; // clone() and the rest of an array's methods are Object's
            }
            if (!own.contains(owner)) {
                reference(action, javaName(owner).concat(".").concat(key));
                return;
            }
            List<String> from = own.inheritedFrom(owner, key);
            if (from.isEmpty()) {
                return;
            }
            // Inherited from outside the module: refused only if every place it may come from refuses it.
            Decision first = null;
            for (String candidate : from) {
                Decision d = decide(Kind.REFERENCE, javaName(candidate).concat(".").concat(key));
                if (d.allowed()) {
                    return;
                }
                first = first == null ? d : first;
            }
            report(new Violation(className, method, action, javaName(from.getFirst()) + "." + key
                    + " (through " + javaName(owner) + ")", first.reason()));
        }

        private void classRef(String action, ClassEntry entry) {
            String c = ModuleClasses.elementClass(entry.asInternalName());
            if (c != null && !own.contains(c)) {
                reference(action, javaName(c));
            }
        }

        private void reference(String action, String subject) {
            Decision d = decide(Kind.REFERENCE, subject);
            if (!d.allowed()) {
                report(new Violation(className, method, action, subject, d.reason()));
            }
        }

        private void pseudo(Kind kind, String action, String what) {
            Decision d = decide(kind, "");
            if (!d.allowed()) {
                report(new Violation(className, method, action, what, d.reason()));
            }
        }

        /** Records {@code v} once: a method that calls the same refused member twice has one violation. */
        private void report(Violation v) {
            if (reported.add(v)) {
                violations.add(v);
            }
        }

        private Decision decide(Kind kind, String subject) {
            String key = kind.token().concat(subject);
            Decision d = decided.get(key);
            if (d == null) {
                d = policy.decide(kind, subject);
                decided.put(key, d);
            }
            return d;
        }
    }

    private static String javaName(String internalName) {
        return internalName.replace('/', '.');
    }

    /** The bundled policy's verifier, built on first use. */
    private static final class Bundled {
        static final El2Verifier VERIFIER = new El2Verifier(El2Policy.bundled());
    }
}
