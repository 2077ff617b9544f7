package org.pkvm4j.host.verify;

import java.util.List;

/**
 * Why a well-known JDK class or member is off the allow-list, for the message only: what EL2 code
 * may reference is decided by the allow-list alone, and a reference no hint names is refused all
 * the same. Matched as a prefix of the refused {@code owner.member}, first match wins.
 */
final class RefusalHints {
    private static final String THREADS = "EL2 has no threads";
    private static final String PARALLEL = "EL2 has no threads: parallel streams run on the common ForkJoinPool";
    private static final String BLOCKING = "EL2 code cannot block or take a sleeping lock; use ModuleOps.newSpinLock()";
    private static final String REFLECTION = "reflection and method handles reach members the API does not export";
    private static final String CLASS_LOADING = "EL2 code cannot load classes: its text is fixed when the module loads";
    private static final String HOST = "EL2 code cannot control the host's JVM or processes";
    private static final String IO = "EL2 has no files, streams or network; print with ModuleOps.puts";
    private static final String ENVIRONMENT = "EL2 code cannot read the host's environment or properties";
    private static final String CLOCK = "EL2 code reads time only through ModuleOps.getTime()";
    private static final String FOREIGN = "EL2 code cannot reach native memory or code";
    private static final String INTERNALS = "JDK internals bypass every check";

    private record Hint(String prefix, String why) {
    }

    private static final List<Hint> HINTS = List.of(
            new Hint("java.lang.Object.wait", BLOCKING),
            new Hint("java.lang.Object.notify", BLOCKING),
            new Hint("java.lang.Object.getClass", REFLECTION),
            new Hint("java.util.concurrent.locks.", BLOCKING),
            new Hint("java.util.Collection.parallelStream", PARALLEL),
            new Hint("java.util.stream.BaseStream.parallel", PARALLEL),
            new Hint("java.util.stream.IntStream.parallel", PARALLEL),
            new Hint("java.util.stream.LongStream.parallel", PARALLEL),
            new Hint("java.util.stream.DoubleStream.parallel", PARALLEL),
            new Hint("java.util.stream.StreamSupport", PARALLEL),
            new Hint("java.util.Arrays.parallel", PARALLEL),
            new Hint("java.lang.Thread", THREADS),
            new Hint("java.lang.InheritableThreadLocal", THREADS),
            new Hint("java.lang.ScopedValue", THREADS),
            new Hint("java.lang.ref.", THREADS),
            new Hint("java.util.Timer", THREADS),
            new Hint("java.util.concurrent.atomic.AtomicIntegerFieldUpdater", REFLECTION),
            new Hint("java.util.concurrent.atomic.AtomicLongFieldUpdater", REFLECTION),
            new Hint("java.util.concurrent.atomic.AtomicReferenceFieldUpdater", REFLECTION),
            new Hint("java.util.concurrent.", THREADS),
            new Hint("java.lang.ClassLoader", CLASS_LOADING),
            new Hint("java.lang.ModuleLayer", CLASS_LOADING),
            new Hint("java.lang.Module", CLASS_LOADING),
            new Hint("java.lang.module.", CLASS_LOADING),
            new Hint("java.util.ServiceLoader", CLASS_LOADING),
            new Hint("java.lang.Class.forName", CLASS_LOADING),
            new Hint("java.lang.Class.", REFLECTION),
            new Hint("java.lang.reflect.", REFLECTION),
            new Hint("java.lang.invoke.", REFLECTION),
            new Hint("java.lang.StackWalker", REFLECTION),
            new Hint("java.lang.System.exit", HOST),
            new Hint("java.lang.Runtime", HOST),
            new Hint("java.lang.Process", HOST),
            new Hint("java.lang.System.getenv", ENVIRONMENT),
            new Hint("java.lang.System.getProperty", ENVIRONMENT),
            new Hint("java.lang.Integer.getInteger", ENVIRONMENT),
            new Hint("java.lang.Long.getLong", ENVIRONMENT),
            new Hint("java.lang.Boolean.getBoolean", ENVIRONMENT),
            new Hint("java.lang.System.nanoTime", CLOCK),
            new Hint("java.lang.System.currentTimeMillis", CLOCK),
            new Hint("java.time.", CLOCK),
            new Hint("java.lang.Math.random", CLOCK),
            new Hint("java.lang.System.out", IO),
            new Hint("java.lang.System.err", IO),
            new Hint("java.lang.System.in", IO),
            new Hint("java.lang.Throwable.printStackTrace", IO),
            new Hint("java.io.", IO),
            new Hint("java.nio.file.", IO),
            new Hint("java.nio.channels.", IO),
            new Hint("java.net.", IO),
            new Hint("javax.net.", IO),
            new Hint("java.util.logging.", IO),
            new Hint("java.lang.foreign.", FOREIGN),
            new Hint("java.lang.System.load", FOREIGN),
            new Hint("sun.", INTERNALS),
            new Hint("jdk.", INTERNALS),
            new Hint("com.sun.", INTERNALS));

    private RefusalHints() {
    }

    /** {@code reason}, with the hint for {@code referenced} if there is one: {@code reason (hint)}. */
    static String explain(String reason, String referenced) {
        for (Hint h : HINTS) {
            if (referenced.startsWith(h.prefix())) {
                return reason + " (" + h.why() + ")";
            }
        }
        return reason;
    }
}
