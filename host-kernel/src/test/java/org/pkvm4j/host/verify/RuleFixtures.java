package org.pkvm4j.host.verify;

import java.util.List;

/**
 * One fixture class per policy rule: Java source that breaks the rule, and the first violation the
 * bundled policy must report for it. Compiled with javac against the module API, as vendor code is.
 */
final class RuleFixtures {
    static final String BLOCK = "EL2 code cannot block: pKVM's EL2 is not preemptible";
    static final String THREADS = "EL2 has no threads";
    static final String LOCK = "EL2 code cannot take a sleeping lock";
    static final String REFLECT = "EL2 code cannot use reflection";
    static final String METHOD_HANDLES = "EL2 code cannot look up or invoke method handles";
    static final String BOOTSTRAP = "EL2 code may link invokedynamic only through javac's own bootstraps";
    static final String CLASS_LOADING = "EL2 code cannot load classes";
    static final String FILE_IO = "EL2 code cannot do file";
    static final String NETWORK = "EL2 code cannot use the network";
    static final String EXIT = "EL2 code cannot exit the host";
    static final String RUNTIME = "EL2 code cannot use the host's Runtime";
    static final String STREAMS = "EL2 has no standard streams";
    static final String FOREIGN = "EL2 code cannot reach native memory or code";
    static final String INTERNALS = "EL2 code cannot use JDK internals";
    static final String HOST_STATE = "EL2 code cannot read or change the host's state";
    static final String NATIVE = "EL2 code cannot declare native methods";

    /**
     * A fixture.
     *
     * @param name the class, {@code fx.<name>}
     * @param declaration everything after {@code public class <name>}
     * @param method the method expected to hold the first violation ({@code ""}: the class)
     * @param action the expected verb
     * @param referenced the expected member or class
     * @param reason how the expected reason starts
     */
    record Fixture(String name, String declaration, String method, String action, String referenced, String reason) {
        String source() {
            return "package fx;\n\npublic class " + name + " " + declaration + "\n";
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private RuleFixtures() {
    }

    static final List<Fixture> ALL = List.of(
            // Blocking
            new Fixture("Sleeps", "{ public void run() throws InterruptedException { Thread.sleep(1); } }",
                    "run()V", "calls", "java.lang.Thread.sleep(J)V", BLOCK),
            new Fixture("SleepsTwice", "{ public void run() throws InterruptedException { Thread.sleep(1); Thread.sleep(2); } }",
                    "run()V", "calls", "java.lang.Thread.sleep(J)V", BLOCK),
            new Fixture("Waits", "{ public void run(Object o) throws InterruptedException { o.wait(); } }",
                    "run(Ljava/lang/Object;)V", "calls", "java.lang.Object.wait()V", BLOCK),
            new Fixture("Joins", "{ public void run(Thread t) throws InterruptedException { t.join(); } }",
                    "run(Ljava/lang/Thread;)V", "calls", "java.lang.Thread.join()V", BLOCK),
            new Fixture("Parks", "{ public void run() { java.util.concurrent.locks.LockSupport.park(); } }",
                    "run()V", "calls", "java.util.concurrent.locks.LockSupport.park()V", BLOCK),
            new Fixture("TakesFromQueue", "{ public Object run(java.util.concurrent.BlockingQueue<Object> q)"
                    + " throws InterruptedException { return q.take(); } }",
                    "run(Ljava/util/concurrent/BlockingQueue;)Ljava/lang/Object;", "calls",
                    "java.util.concurrent.BlockingQueue.take()Ljava/lang/Object;", BLOCK),
            new Fixture("AwaitsLatch", "{ public void run() throws InterruptedException {"
                    + " new java.util.concurrent.CountDownLatch(1).await(); } }",
                    "run()V", "instantiates", "java.util.concurrent.CountDownLatch", BLOCK),
            new Fixture("GetsFuture", "{ public Object run(java.util.concurrent.Future<?> f) throws Exception { return f.get(); } }",
                    "run(Ljava/util/concurrent/Future;)Ljava/lang/Object;", "calls",
                    "java.util.concurrent.Future.get()Ljava/lang/Object;", BLOCK),
            new Fixture("SeedsSecureRandom", "{ public long run() { return new java.security.SecureRandom().nextLong(); } }",
                    "run()J", "instantiates", "java.security.SecureRandom", BLOCK),
            // Threads
            new Fixture("StartsThread", "{ public void run() { new Thread(() -> { }).start(); } }",
                    "run()V", "instantiates", "java.lang.Thread", THREADS),
            new Fixture("StartsVirtualThread", "{ public void run(Runnable r) { Thread.ofVirtual().start(r); } }",
                    "run(Ljava/lang/Runnable;)V", "calls",
                    "java.lang.Thread.ofVirtual()Ljava/lang/Thread$Builder$OfVirtual;", THREADS),
            new Fixture("UsesExecutor", "{ public Object run() { return java.util.concurrent.Executors.newSingleThreadExecutor(); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.util.concurrent.Executors.newSingleThreadExecutor()Ljava/util/concurrent/ExecutorService;", THREADS),
            new Fixture("ExtendsThread", "extends Thread { }", "", "extends", "java.lang.Thread", THREADS),
            new Fixture("PerThreadState", "{ private final ThreadLocal<Long> state = new ThreadLocal<>(); }",
                    "<init>()V", "instantiates", "java.lang.ThreadLocal", THREADS),
            new Fixture("ParallelStream", "{ public long run(java.util.List<Long> l) { return l.parallelStream().count(); } }",
                    "run(Ljava/util/List;)J", "calls", "java.util.List.parallelStream()Ljava/util/stream/Stream;", THREADS),
            // javac names the receiver's static type: a member the module inherits is checked where it comes from.
            new Fixture("InheritedParallelStream", "extends java.util.AbstractList<Long> { public Long get(int i) { return 0L; }"
                    + " public int size() { return 0; } public long run() { return parallelStream().count(); } }",
                    "run()J", "calls", "java.util.AbstractList.parallelStream()Ljava/util/stream/Stream;"
                    + " (through fx.InheritedParallelStream)", THREADS),
            new Fixture("MethodRefToYield", "{ public Runnable run() { return Thread::yield; } }",
                    "run()Ljava/lang/Runnable;", "takes a method handle to", "java.lang.Thread.yield()V", THREADS),
            new Fixture("Finalizes", "{ @SuppressWarnings(\"removal\") @Override protected void finalize() { } }",
                    "finalize()V", "declares", "a finalizer", THREADS),
            // Locks that sleep
            new Fixture("SyncMethod", "{ public synchronized void run() { } }",
                    "run()V", "is", "synchronized", LOCK),
            new Fixture("SyncBlock", "{ public void run() { synchronized (this) { } } }",
                    "run()V", "enters", "a monitor (synchronized block)", LOCK),
            new Fixture("Notifies", "{ public void run() { notifyAll(); } }",
                    "run()V", "calls", "java.lang.Object.notifyAll()V", LOCK),
            new Fixture("TakesReentrantLock", "{ public void run() { new java.util.concurrent.locks.ReentrantLock().lock(); } }",
                    "run()V", "instantiates", "java.util.concurrent.locks.ReentrantLock", LOCK),
            new Fixture("UsesStringBuffer", "{ public String run() { return new StringBuffer().append(1).toString(); } }",
                    "run()Ljava/lang/String;", "instantiates", "java.lang.StringBuffer", LOCK),
            new Fixture("UsesConcurrentHashMap", "{ public Object run() { return new java.util.concurrent.ConcurrentHashMap<String, String>(); } }",
                    "run()Ljava/lang/Object;", "instantiates", "java.util.concurrent.ConcurrentHashMap", LOCK),
            new Fixture("CollectsConcurrently", "{ public Object run() { return java.util.stream.Stream.of(\"a\")"
                    + ".collect(java.util.stream.Collectors.toConcurrentMap(x -> x, x -> x)); } }",
                    "run()Ljava/lang/Object;", "calls", "java.util.stream.Collectors.toConcurrentMap("
                    + "Ljava/util/function/Function;Ljava/util/function/Function;)Ljava/util/stream/Collector;", LOCK),
            // Reflection and method handles
            new Fixture("FieldUpdater", "{ volatile long v; public Object run() {"
                    + " return java.util.concurrent.atomic.AtomicLongFieldUpdater.newUpdater(FieldUpdater.class, \"v\"); } }",
                    "run()Ljava/lang/Object;", "calls", "java.util.concurrent.atomic.AtomicLongFieldUpdater.newUpdater("
                    + "Ljava/lang/Class;Ljava/lang/String;)Ljava/util/concurrent/atomic/AtomicLongFieldUpdater;", REFLECT),
            new Fixture("Reflects", "{ public Object run(Object o) { return o.getClass().getDeclaredFields(); } }",
                    "run(Ljava/lang/Object;)Ljava/lang/Object;", "calls",
                    "java.lang.Class.getDeclaredFields()[Ljava/lang/reflect/Field;", REFLECT),
            new Fixture("InvokesMethod", "{ public Object run(java.lang.reflect.Method m) throws Exception { return m.invoke(null); } }",
                    "run(Ljava/lang/reflect/Method;)Ljava/lang/Object;", "calls",
                    "java.lang.reflect.Method.invoke(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;", REFLECT),
            new Fixture("LooksUp", "{ public Object run() { return java.lang.invoke.MethodHandles.lookup(); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.lang.invoke.MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;", METHOD_HANDLES),
            new Fixture("InvokesHandle", "{ public void run(java.lang.invoke.MethodHandle h) throws Throwable { h.invokeExact(); } }",
                    "run(Ljava/lang/invoke/MethodHandle;)V", "calls", "java.lang.invoke.MethodHandle.invokeExact()V",
                    METHOD_HANDLES),
            // Class loading
            new Fixture("ForName", "{ public Object run() throws Exception { return Class.forName(\"org.pkvm4j.host.HostKernel\"); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.Class.forName(Ljava/lang/String;)Ljava/lang/Class;",
                    CLASS_LOADING),
            new Fixture("SystemLoader", "{ public Object run() { return ClassLoader.getSystemClassLoader(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.ClassLoader.getSystemClassLoader()Ljava/lang/ClassLoader;",
                    CLASS_LOADING),
            new Fixture("BootLayer", "{ public Object run() { return ModuleLayer.boot(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.ModuleLayer.boot()Ljava/lang/ModuleLayer;", CLASS_LOADING),
            // File and network I/O
            new Fixture("ReadsFile", "{ public Object run() throws Exception { return new java.io.FileInputStream(\"/etc/passwd\"); } }",
                    "run()Ljava/lang/Object;", "instantiates", "java.io.FileInputStream", FILE_IO),
            new Fixture("NioFiles", "{ public byte[] run() throws Exception {"
                    + " return java.nio.file.Files.readAllBytes(java.nio.file.Path.of(\"x\")); } }",
                    "run()[B", "calls", "java.nio.file.Path.of(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;",
                    FILE_IO),
            new Fixture("OpensSocket", "{ public Object run() { return new java.net.Socket(); } }",
                    "run()Ljava/lang/Object;", "instantiates", "java.net.Socket", NETWORK),
            new Fixture("Logs", "{ public Object run() { return java.util.logging.Logger.getLogger(\"x\"); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.util.logging.Logger.getLogger(Ljava/lang/String;)Ljava/util/logging/Logger;", FILE_IO),
            // The host's process
            new Fixture("Exits", "{ public void run() { System.exit(1); } }",
                    "run()V", "calls", "java.lang.System.exit(I)V", EXIT),
            new Fixture("UsesRuntime", "{ public int run() { return Runtime.getRuntime().availableProcessors(); } }",
                    "run()I", "calls", "java.lang.Runtime.getRuntime()Ljava/lang/Runtime;", RUNTIME),
            new Fixture("PrintsOut", "{ public void run() { System.out.println(\"hi\"); } }",
                    "run()V", "reads", "java.lang.System.out", STREAMS),
            new Fixture("PrintsStackTrace", "{ public void run(RuntimeException e) { e.printStackTrace(); } }",
                    "run(Ljava/lang/RuntimeException;)V", "calls", "java.lang.RuntimeException.printStackTrace()V", STREAMS),
            new Fixture("ReadsEnvironment", "{ public String run() { return System.getenv(\"HOME\"); } }",
                    "run()Ljava/lang/String;", "calls", "java.lang.System.getenv(Ljava/lang/String;)Ljava/lang/String;",
                    HOST_STATE),
            // Native memory and code, JDK internals
            new Fixture("ForeignMemory", "{ public Object run() { return java.lang.foreign.Arena.ofConfined(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.foreign.Arena.ofConfined()Ljava/lang/foreign/Arena;",
                    FOREIGN),
            new Fixture("DeclaresNative", "{ public native void run(); }", "run()V", "is", "native", NATIVE),
            new Fixture("SunMiscUnsafe", "{ public Object run() { return sun.misc.Unsafe.class; } }",
                    "run()Ljava/lang/Object;", "references", "sun.misc.Unsafe", INTERNALS),
            // Outside the allowlist
            new Fixture("OutsideAllowlist", "{ public Object run() { return java.time.Instant.now(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.time.Instant.now()Ljava/time/Instant;", El2Policy.DEFAULT_REASON));

    /** EL2 code that uses what EL2 code may: kvstore's spinlock and more of the allowlist. */
    static final String CLEAN = """
            package clean;

            import java.util.ArrayList;
            import java.util.Arrays;
            import java.util.HashMap;
            import java.util.Iterator;
            import java.util.List;
            import java.util.Map;
            import java.util.Objects;
            import java.util.Optional;
            import java.util.concurrent.atomic.AtomicBoolean;
            import java.util.concurrent.atomic.AtomicLongArray;
            import java.util.function.LongUnaryOperator;
            import java.util.function.Supplier;
            import org.pkvm4j.api.Errno;
            import org.pkvm4j.api.PkvmException;
            import org.pkvm4j.api.Smccc;
            import org.pkvm4j.api.UserPtRegs;
            import org.pkvm4j.api.el2.El2Symbol;
            import org.pkvm4j.api.el2.ModuleOps;

            public final class Clean {
                sealed interface Shape permits Circle, Square, Point { }
                record Circle(double r) implements Shape { }
                record Square(double side) implements Shape { }
                enum Point implements Shape { ORIGIN, UNIT }
                enum Mode { FAST, SLOW }
                static final class Failure extends RuntimeException {
                    Failure(String message) { super(message); }
                }

                private static Clean state;
                private final AtomicBoolean lock = new AtomicBoolean();
                private final AtomicLongArray perCpu = new AtomicLongArray(4);
                private final long[] table = new long[16];
                private final Map<String, Long> map = new HashMap<>();
                private final List<Long> list = new ArrayList<>();

                @El2Symbol("clean_init")
                public static void init(ModuleOps ops) {
                    state = new Clean();
                    ops.puts("clean: " + ops.nrCpus() + " CPUs, mode " + Mode.FAST);
                }

                @El2Symbol("clean_hvc")
                public static void hvc(UserPtRegs regs) {
                    if (regs.get(1) < 0) {
                        throw new PkvmException(Errno.EINVAL, "negative");
                    }
                    regs.set(0, Smccc.RET_SUCCESS);
                    regs.set(1, (long) state.run(regs.get(1)));
                }

                private void lock() {
                    while (!lock.compareAndSet(false, true)) {
                        Thread.onSpinWait();
                    }
                }

                private void unlock() {
                    lock.set(false);
                }

                static double area(Shape s) {
                    return switch (s) {
                        case Circle c -> Math.PI * c.r() * c.r();
                        case Square q -> q.side() * q.side();
                        // javac links enum labels of a pattern switch through a dynamic constant
                        case Point.ORIGIN -> 0;
                        case Point.UNIT -> 1;
                    };
                }

                static int speed(Mode m) {
                    return switch (m) {
                        case FAST -> 2;
                        case SLOW -> 1;
                    };
                }

                static int kind(String s) {
                    switch (s) {
                        case "a": return 1;
                        case "b": return 2;
                        default: return 0;
                    }
                }

                static String describe(Object o) {
                    if (o instanceof Circle(double r) && r > 1) {
                        return "big circle " + r;
                    }
                    return String.format("%s/%d", o, Objects.hashCode(o));
                }

                double run(long x) {
                    assert x >= 0 : "negative";
                    lock();
                    try {
                        table[(int) (x & 15)] = x;
                        map.merge("k" + x, x, Long::sum);
                        list.add(x);
                        long[] copy = table.clone();
                        System.arraycopy(copy, 0, table, 0, copy.length);
                        Arrays.sort(copy);
                        Supplier<Long> next = () -> x + 1;
                        LongUnaryOperator twice = v -> v * 2;
                        long sum = list.stream().mapToLong(Long::longValue).filter(v -> v > 0).sum();
                        Optional<String> first = map.keySet().stream().sorted().findFirst();
                        StringBuilder sb = new StringBuilder().append(first.orElse("")).append(sum);
                        perCpu.incrementAndGet(0);
                        int h = System.identityHashCode(this) ^ Long.hashCode(System.nanoTime());
                        Iterator<Long> it = list.iterator();
                        while (it.hasNext()) {
                            if (it.next() < 0) {
                                it.remove();
                            }
                        }
                        long[][] grid = new long[2][3];
                        Shape[] shapes = {new Circle(1), new Square(2)};
                        return next.get() + twice.applyAsLong(sum) + sb.length() + h + area(shapes[0]) + speed(Mode.SLOW)
                                + kind("a") + describe(this).length() + grid.length + Math.max(1, 2);
                    } catch (IllegalStateException | ArithmeticException e) {
                        throw new Failure("bad " + x + ": " + e.getMessage());
                    } finally {
                        unlock();
                    }
                }

                @Override
                public String toString() {
                    return "Clean" + Arrays.toString(table) + new Circle(2).equals(new Circle(2));
                }

                @Override
                public boolean equals(Object o) {
                    return o instanceof Clean c && c.table == table;
                }

                @Override
                public int hashCode() {
                    return getClass().getName().hashCode();
                }
            }
            """;
}
