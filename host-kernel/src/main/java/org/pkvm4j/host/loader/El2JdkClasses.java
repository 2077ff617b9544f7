package org.pkvm4j.host.loader;

import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The JDK classes an EL2 layer's loader resolves: the run-time half of the EL2 allow-list. Any
 * other JDK class named by EL2 code is a link error inside EL2 ({@code NoClassDefFoundError}),
 * hence a hyp panic, never a running JDK class; so a gap in the load-time checks cannot become an
 * escape.
 *
 * <p>This is the one place the run-time list is wired ({@link #ADMITTED}). It names classes, not
 * members: the load-time verifier decides which members of them EL2 code may use. Beyond what EL2
 * code may name, it admits what the JVM itself resolves through the EL2 loader while linking
 * javac's own bootstraps (lambdas, string concatenation, records, switches): their owners and the
 * types of their method descriptors.
 */
public final class El2JdkClasses {
    /** Classes by binary name; a name ending in {@code .*} admits every class of that package, {@code *} a prefix. */
    private static final List<String> PATTERNS = List.of(
            // Pure computation in java.lang.
            "java.lang.Object", "java.lang.String", "java.lang.StringBuilder", "java.lang.AbstractStringBuilder",
            "java.lang.CharSequence", "java.lang.Comparable", "java.lang.Iterable", "java.lang.AutoCloseable",
            "java.lang.Runnable", "java.lang.Cloneable", "java.lang.Math", "java.lang.StrictMath", "java.lang.Number",
            "java.lang.Boolean", "java.lang.Byte", "java.lang.Short", "java.lang.Character*", "java.lang.Integer",
            "java.lang.Long", "java.lang.Float", "java.lang.Double", "java.lang.Void", "java.lang.Enum",
            "java.lang.Enum$EnumDesc", "java.lang.Record", "java.lang.Throwable", "java.lang.StackTraceElement",
            "java.lang.*Exception", "java.lang.*Error", "java.lang.Class", "java.lang.Thread",
            // For arraycopy, nanoTime, identityHashCode: a class admits all its members here; which
            // of them EL2 code may call is the verifier's (el2-policy.conf).
            "java.lang.System",
            "java.lang.Override", "java.lang.Deprecated", "java.lang.FunctionalInterface", "java.lang.SafeVarargs",
            "java.lang.SuppressWarnings", "java.lang.annotation.*",
            // java.util, without what blocks, spawns threads, loads classes or does I/O.
            "java.util.*", "java.util.function.*", "java.util.stream.*", "java.util.regex.*",
            "java.util.concurrent.atomic.*", "java.util.concurrent.TimeUnit", "java.util.concurrent.ConcurrentLinked*",
            "java.util.concurrent.ConcurrentSkipList*", "java.util.concurrent.ConcurrentMap",
            "java.util.concurrent.ConcurrentNavigableMap", "java.util.random.RandomGenerator*",
            "java.nio.*Buffer", "java.nio.ByteOrder", "java.nio.charset.StandardCharsets", "java.nio.charset.Charset",
            "java.io.Serializable",
            // What linking javac's bootstraps resolves through the caller's loader.
            "java.lang.invoke.LambdaMetafactory", "java.lang.invoke.StringConcatFactory",
            "java.lang.invoke.ConstantBootstraps", "java.lang.invoke.MethodHandles$Lookup",
            "java.lang.invoke.MethodHandle", "java.lang.invoke.MethodType", "java.lang.invoke.CallSite",
            "java.lang.invoke.TypeDescriptor", "java.lang.invoke.VarHandle", "java.lang.invoke.LambdaConversionException",
            "java.lang.invoke.StringConcatException", "java.lang.invoke.SerializedLambda",
            "java.lang.runtime.ObjectMethods", "java.lang.runtime.SwitchBootstraps",
            "java.lang.constant.ClassDesc", "java.lang.constant.ConstantDesc");
    /** What no pattern above may admit: blocks, threads, class loading, I/O, host state. */
    private static final Set<String> REFUSED = Set.of("java.util.Timer", "java.util.TimerTask", "java.util.ServiceLoader",
            "java.util.ResourceBundle", "java.util.Scanner", "java.util.Formatter", "java.util.Properties",
            "java.util.Vector", "java.util.Stack", "java.util.Hashtable",
            "java.lang.ClassLoader", "java.lang.Process", "java.lang.ProcessBuilder");

    /** The run-time allow-list as the EL2 loader asks it. */
    public static final Predicate<String> ADMITTED = El2JdkClasses::admits;

    private El2JdkClasses() {
    }

    /** Whether an EL2 loader may resolve JDK class {@code binaryName}. */
    public static boolean admits(String binaryName) {
        if (REFUSED.contains(binaryName) || binaryName.startsWith("java.util.ServiceLoader$")
                || binaryName.startsWith("java.util.ResourceBundle$")) {
            return false;
        }
        for (String p : PATTERNS) {
            if (p.endsWith(".*")) {
                String pkg = p.substring(0, p.length() - 1);
                if (binaryName.startsWith(pkg) && binaryName.indexOf('.', pkg.length()) < 0) {
                    return true;
                }
            } else if (p.startsWith("java.lang.*")) {
                String suffix = p.substring("java.lang.*".length());
                if (binaryName.startsWith("java.lang.") && binaryName.indexOf('.', "java.lang.".length()) < 0
                        && binaryName.endsWith(suffix)) {
                    return true;
                }
            } else if (p.endsWith("*") ? binaryName.startsWith(p.substring(0, p.length() - 1))
                    && binaryName.indexOf('.', p.length() - 1) < 0 : binaryName.equals(p)) {
                return true;
            }
        }
        return false;
    }
}
