package org.pkvm4j.host.verify;

import java.lang.classfile.ClassModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.pkvm4j.host.classfile.ClassModels;
import org.pkvm4j.host.diag.Printable;
import org.pkvm4j.host.initramfs.JarImage;

/**
 * Verifies the classes of an EL2 jar against an {@link El2Allowlist}, reading every class file and
 * every instruction with the JDK's Class-File API, without loading or defining anything.
 *
 * <p>Kernel counterpart: the link step of {@code hyp/Makefile.module}, where an EL2 object that
 * names a host symbol fails to build. EL2 code may reference its own classes (those its loader will
 * define, see {@link ModuleClasses}), the exported types of {@code org.pkvm4j.api} and their
 * members, and the allow-list's JDK members; each reference is resolved as the JVM resolves it
 * ({@link MemberResolver}). Checked: supertypes; field and method descriptors; annotations, nest
 * and permitted-subclass attributes, record components; field and method references; the classes
 * of {@code new}, {@code checkcast}, {@code instanceof}, {@code anewarray}, {@code multianewarray},
 * {@code ldc} and {@code catch}; the bootstrap method, arguments and type of every
 * {@code invokedynamic} and dynamic constant; {@code monitorenter}, {@code ACC_SYNCHRONIZED},
 * native methods and finalizers. A class file that is not the module's own defines nothing and is
 * itself refused.
 *
 * <p>It runs on every load, so it is one pass over the bytes the loader already holds, and each
 * distinct subject is decided once per jar.
 */
public final class El2Verifier {
    /** Why a reference outside the allow-list is refused. */
    public static final String NOT_ALLOWED = "not on the EL2 allow-list: EL2 code may reference only its own classes,"
            + " org.pkvm4j.api and the listed pure JDK members";
    /** Why a monitor is refused. */
    public static final String MONITOR = "EL2 code cannot take a sleeping lock (a contended monitor parks its thread);"
            + " use ModuleOps.newSpinLock()";
    /** Why a native method is refused. */
    public static final String NATIVE = "EL2 code cannot declare native methods: an EL2 image is Java bytecode and nothing else";
    /** Why a finalizer is refused. */
    public static final String FINALIZER = "EL2 has no threads (a finalizer runs on the host's finalizer thread)";
    /** Why a bootstrap method off the list is refused. */
    public static final String BOOTSTRAP = "EL2 code may link invokedynamic and dynamic constants only through javac's own"
            + " bootstraps (lambdas, string concatenation, records, switches)";
    /** Why a method handle or method type constant is refused. */
    public static final String HANDLE_CONSTANT = "EL2 code cannot hold method handles or method types:"
            + " a handle reaches members the checks never see";
    /** Why a reference that resolves to nothing is refused. */
    public static final String UNRESOLVED = "does not resolve: no such member in the class or its supertypes";
    /** Why a class file the loader would not define is refused. */
    public static final String NOT_OWN = "not a class this module defines: its entry path, binary name and this_class"
            + " must agree, in one of the module's own packages";
    /** How deep dynamic constants may nest in bootstrap arguments. */
    static final int MAX_BOOTSTRAP_DEPTH = 8;

    private final El2Allowlist allowlist;

    /** A verifier applying {@code allowlist}. */
    public El2Verifier(El2Allowlist allowlist) {
        this.allowlist = Objects.requireNonNull(allowlist);
    }

    /** A verifier applying the bundled allow-list. */
    public static El2Verifier bundled() {
        return Bundled.VERIFIER;
    }

    /** The allow-list it applies. */
    public El2Allowlist allowlist() {
        return allowlist;
    }

    /**
     * Every violation in {@code el2Jar}'s classes ({@code module-info.class} excepted: the
     * descriptor checks read it), in archive and code order, each distinct one once; empty when the
     * code passes. A class file that cannot be parsed, or that is not one the module's loader
     * defines, is itself a violation.
     */
    public List<Violation> verify(JarImage el2Jar) {
        return verify(el2Jar, null);
    }

    /**
     * As {@link #verify(JarImage)}, with the module's own classes limited to {@code approved}: the
     * binary names of the classes the loader will define from the jar's approved entries.
     */
    public List<Violation> verify(JarImage el2Jar, Set<String> approved) {
        List<Violation> violations = new ArrayList<>();
        Map<String, ClassModel> classes = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> entry : el2Jar.entries().entrySet()) {
            String name = entry.getKey();
            if (name.endsWith(".class") && !name.equals("module-info.class") && !name.endsWith("/module-info.class")) {
                try {
                    ClassModel model = ClassModels.parse(el2Jar, name, entry.getValue());
                    model.thisClass().asInternalName(); // the one name every later step needs: read it now
                    classes.put(name, model);
                } catch (RuntimeException e) {
                    violations.add(unreadable(name, e));
                }
            }
        }
        RuntimeTypes types = allowlist.types();
        ModuleClasses own;
        try {
            own = new ModuleClasses(classes, types::isReservedPackage, approved);
        } catch (RuntimeException e) {
            violations.add(unreadable(el2Jar.label(), e));
            return violations;
        }
        CodeWalk walk = new CodeWalk(allowlist, own, types, violations);
        for (Map.Entry<String, ClassModel> e : classes.entrySet()) {
            String internalName = e.getValue().thisClass().asInternalName();
            if (!own.contains(internalName)) {
                violations.add(new Violation(e.getKey(), "", -1, 0, "is", "not the class it names (this_class "
                        + javaName(internalName) + ")", NOT_OWN));
                continue;
            }
            try {
                walk.verifyClass(e.getValue());
            } catch (RuntimeException x) {
                // The Class-File API parses lazily: a malformed constant or attribute surfaces here.
                violations.add(unreadable(e.getKey(), x));
            } catch (StackOverflowError x) {
                // Annotation values nest without a bound in a forged file: refuse it, do not crash the boot.
                violations.add(new Violation(e.getKey(), "", -1, 0, "is", "not a valid class file", "nested too deeply"));
            }
        }
        return violations;
    }

    private static Violation unreadable(String name, RuntimeException e) {
        return new Violation(name, "", -1, 0, "is", "not a valid class file", Printable.reason(e));
    }

    static String javaName(String internalName) {
        return internalName.replace('/', '.');
    }

    /** The bundled allow-list's verifier, built on first use. */
    private static final class Bundled {
        static final El2Verifier VERIFIER = new El2Verifier(El2Allowlist.bundled());
    }
}
