package org.pkvm4j.host.verify;

import java.util.List;

/**
 * One fixture class per thing EL2 code may not do: Java source that does it, and the first
 * violation the bundled allow-list must report for it (the member or class named exactly). Compiled
 * with javac against the module API, as vendor code is.
 */
final class RuleFixtures {
    static final String NOT_ALLOWED = El2Verifier.NOT_ALLOWED;
    static final String MONITOR = El2Verifier.MONITOR;
    static final String OBJ = "Ljava/lang/Object;";

    /**
     * A fixture.
     *
     * @param name the class, {@code fx.<name>}
     * @param declaration everything after {@code public class <name>}
     * @param method the method expected to hold the first violation ({@code ""}: the class)
     * @param action the expected kind of reference
     * @param referenced the expected member or class
     * @param reason the expected reason
     */
    record Fixture(String name, String declaration, String method, String action, String referenced, String reason) {
        Fixture(String name, String declaration, String method, String action, String referenced) {
            this(name, declaration, method, action, referenced, NOT_ALLOWED);
        }

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
            // Threads, executors, timers
            new Fixture("StartsThread", "{ public void run() { new Thread(() -> { }).start(); } }",
                    "run()V", "instantiates", "java.lang.Thread"),
            new Fixture("StartsThreadItGot", "{ public void run(Thread t) { t.start(); } }",
                    "run(Ljava/lang/Thread;)V", "has in its signature", "java.lang.Thread"),
            new Fixture("StartsVirtualThread", "{ public void run() { Thread.ofVirtual(); } }",
                    "run()V", "calls", "java.lang.Thread.ofVirtual()Ljava/lang/Thread$Builder$OfVirtual;"),
            new Fixture("UsesExecutor", "{ public void run() { java.util.concurrent.Executors.newSingleThreadExecutor(); } }",
                    "run()V", "calls",
                    "java.util.concurrent.Executors.newSingleThreadExecutor()Ljava/util/concurrent/ExecutorService;"),
            new Fixture("SuppliesAsync", "{ public void run() {"
                    + " java.util.concurrent.CompletableFuture.supplyAsync(() -> 1L); } }",
                    "run()V", "calls", "java.util.concurrent.CompletableFuture.supplyAsync("
                    + "Ljava/util/function/Supplier;)Ljava/util/concurrent/CompletableFuture;"),
            new Fixture("CommonPool", "{ public void run() { java.util.concurrent.ForkJoinPool.commonPool(); } }",
                    "run()V", "calls", "java.util.concurrent.ForkJoinPool.commonPool()Ljava/util/concurrent/ForkJoinPool;"),
            new Fixture("SchedulesTimer", "{ public void run() { new java.util.Timer(); } }",
                    "run()V", "instantiates", "java.util.Timer"),
            new Fixture("ExtendsThread", "extends Thread { }", "", "extends", "java.lang.Thread"),
            new Fixture("PerThreadState", "{ private final ThreadLocal<Long> state = new ThreadLocal<>(); }",
                    "state:Ljava/lang/ThreadLocal;", "declares a field of type", "java.lang.ThreadLocal"),
            new Fixture("MethodRefToYield", "{ public Runnable run() { return Thread::yield; } }",
                    "run()Ljava/lang/Runnable;", "takes a method handle to", "java.lang.Thread.yield()V"),
            // Parallel streams: resolved as the JVM does, so no collection class lets one through.
            new Fixture("ParallelStream", "{ public long run(java.util.List<Long> l) { return l.parallelStream().count(); } }",
                    "run(Ljava/util/List;)J", "calls", "java.util.Collection.parallelStream()Ljava/util/stream/Stream;"
                    + " (through java.util.List)"),
            new Fixture("DequeParallelStream", "{ public long run(java.util.ArrayDeque<Long> q) {"
                    + " return q.parallelStream().count(); } }",
                    "run(Ljava/util/ArrayDeque;)J", "calls", "java.util.Collection.parallelStream()Ljava/util/stream/Stream;"
                    + " (through java.util.ArrayDeque)"),
            new Fixture("ConcurrentQueueParallelStream", "{ public long run() {"
                    + " return new java.util.concurrent.ConcurrentLinkedQueue<Long>().parallelStream().count(); } }",
                    "run()J", "instantiates", "java.util.concurrent.ConcurrentLinkedQueue"),
            new Fixture("StreamSupportParallel", "{ public long run(java.util.List<Long> l) {"
                    + " return java.util.stream.StreamSupport.stream(l.spliterator(), true).count(); } }",
                    "run(Ljava/util/List;)J", "calls", "java.util.stream.StreamSupport.stream("
                    + "Ljava/util/Spliterator;Z)Ljava/util/stream/Stream;"),
            new Fixture("StreamParallel", "{ public long run(java.util.List<Long> l) { return l.stream().parallel().count(); } }",
                    "run(Ljava/util/List;)J", "calls", "java.util.stream.BaseStream.parallel()Ljava/util/stream/BaseStream;"
                    + " (through java.util.stream.Stream)"),
            // javac names the receiver's static type: a member the module inherits is judged where it is declared.
            new Fixture("InheritedParallelStream", "extends java.util.AbstractList<Long> { public Long get(int i) { return 0L; }"
                    + " public int size() { return 0; } public long run() { return parallelStream().count(); } }",
                    "run()J", "calls", "java.util.Collection.parallelStream()Ljava/util/stream/Stream;"
                    + " (through fx.InheritedParallelStream)"),
            new Fixture("ArraysParallelSort", "{ public void run(int[] a) { java.util.Arrays.parallelSort(a); } }",
                    "run([I)V", "calls", "java.util.Arrays.parallelSort([I)V"),
            new Fixture("Finalizes", "{ @SuppressWarnings(\"removal\") @Override protected void finalize() { } }",
                    "finalize()V", "declares", "a finalizer", El2Verifier.FINALIZER),
            // Blocking and monitors
            new Fixture("Sleeps", "{ public void run() throws InterruptedException { Thread.sleep(1); } }",
                    "run()V", "calls", "java.lang.Thread.sleep(J)V"),
            new Fixture("SleepsTwice", "{ public void run() throws InterruptedException { Thread.sleep(1); Thread.sleep(2); } }",
                    "run()V", "calls", "java.lang.Thread.sleep(J)V"),
            new Fixture("Waits", "{ public void run(Object o) throws InterruptedException { o.wait(); } }",
                    "run(Ljava/lang/Object;)V", "calls", "java.lang.Object.wait()V"),
            new Fixture("Notifies", "{ public void run() { notifyAll(); } }",
                    "run()V", "calls", "java.lang.Object.notifyAll()V"),
            new Fixture("SyncMethod", "{ public synchronized void run() { } }", "run()V", "is", "synchronized", MONITOR),
            new Fixture("SyncBlock", "{ public void run() { synchronized (this) { } } }",
                    "run()V", "enters", "a monitor (synchronized block)", MONITOR),
            new Fixture("Parks", "{ public void run() { java.util.concurrent.locks.LockSupport.park(); } }",
                    "run()V", "calls", "java.util.concurrent.locks.LockSupport.park()V"),
            new Fixture("TakesReentrantLock", "{ public void run() { new java.util.concurrent.locks.ReentrantLock().lock(); } }",
                    "run()V", "instantiates", "java.util.concurrent.locks.ReentrantLock"),
            // StringBuffer is a type in admitted descriptors (String.contentEquals), so the class resolves; none of its members does.
            new Fixture("UsesStringBuffer", "{ public String run() { return new StringBuffer().append(1).toString(); } }",
                    "run()Ljava/lang/String;", "calls", "java.lang.StringBuffer.<init>()V"),
            new Fixture("SynchronizedList", "{ public Object run() { return java.util.Collections.synchronizedList(new"
                    + " java.util.ArrayList<String>()); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.util.Collections.synchronizedList(Ljava/util/List;)Ljava/util/List;"),
            // Reflection, method handles, class loading
            new Fixture("ForName", "{ public Object run() throws Exception { return Class.forName(\"org.pkvm4j.host.HostKernel\"); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.Class.forName(Ljava/lang/String;)Ljava/lang/Class;"),
            new Fixture("GetsClass", "{ public Object run(Object o) { return o.getClass(); } }",
                    "run(Ljava/lang/Object;)Ljava/lang/Object;", "calls", "java.lang.Object.getClass()Ljava/lang/Class;"),
            new Fixture("EnumDeclaringClass", "{ enum E { A } public Object run() { return E.A.getDeclaringClass(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.Enum.getDeclaringClass()Ljava/lang/Class; (through fx.EnumDeclaringClass$E)"),
            new Fixture("LooksUp", "{ public Object run() { return java.lang.invoke.MethodHandles.lookup(); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.lang.invoke.MethodHandles.lookup()Ljava/lang/invoke/MethodHandles$Lookup;"),
            new Fixture("InvokesHandle", "{ public void run(java.lang.invoke.MethodHandle h) throws Throwable { h.invokeExact(); } }",
                    "run(Ljava/lang/invoke/MethodHandle;)V", "calls", "java.lang.invoke.MethodHandle.invokeExact()V"),
            new Fixture("FieldUpdater", "{ volatile long v; public Object run() {"
                    + " return java.util.concurrent.atomic.AtomicLongFieldUpdater.newUpdater(FieldUpdater.class, \"v\"); } }",
                    "run()Ljava/lang/Object;", "calls", "java.util.concurrent.atomic.AtomicLongFieldUpdater.newUpdater("
                    + "Ljava/lang/Class;Ljava/lang/String;)Ljava/util/concurrent/atomic/AtomicLongFieldUpdater;"),
            new Fixture("OwnClassLoader", "extends ClassLoader { }", "", "extends", "java.lang.ClassLoader"),
            new Fixture("LoadsServices", "{ public Object run() { return java.util.ServiceLoader.load(Runnable.class); } }",
                    "run()Ljava/lang/Object;", "calls",
                    "java.util.ServiceLoader.load(Ljava/lang/Class;)Ljava/util/ServiceLoader;"),
            new Fixture("WalksStack", "{ public Object run() { return StackWalker.getInstance(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.StackWalker.getInstance()Ljava/lang/StackWalker;"),
            new Fixture("BootLayer", "{ public Object run() { return ModuleLayer.boot(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.ModuleLayer.boot()Ljava/lang/ModuleLayer;"),
            // The host's process, files, network, environment, clocks
            new Fixture("Exits", "{ public void run() { System.exit(1); } }", "run()V", "calls", "java.lang.System.exit(I)V"),
            new Fixture("UsesRuntime", "{ public int run() { return Runtime.getRuntime().availableProcessors(); } }",
                    "run()I", "calls", "java.lang.Runtime.getRuntime()Ljava/lang/Runtime;"),
            new Fixture("StartsProcess", "{ public Object run() { return new ProcessBuilder(\"jcmd\"); } }",
                    "run()Ljava/lang/Object;", "instantiates", "java.lang.ProcessBuilder"),
            new Fixture("OpensFile", "{ public boolean run() { return new java.io.File(\"/etc/passwd\").exists(); } }",
                    "run()Z", "instantiates", "java.io.File"),
            new Fixture("NioFiles", "{ public byte[] run() throws Exception { return java.nio.file.Files.readAllBytes(null); } }",
                    "run()[B", "calls", "java.nio.file.Files.readAllBytes(Ljava/nio/file/Path;)[B"),
            new Fixture("OpensSocket", "{ public Object run() { return new java.net.Socket(); } }",
                    "run()Ljava/lang/Object;", "instantiates", "java.net.Socket"),
            new Fixture("ReadsEnvironment", "{ public String run() { return System.getenv(\"HOME\"); } }",
                    "run()Ljava/lang/String;", "calls", "java.lang.System.getenv(Ljava/lang/String;)Ljava/lang/String;"),
            new Fixture("ReadsProperty", "{ public String run() { return System.getProperty(\"user.home\"); } }",
                    "run()Ljava/lang/String;", "calls", "java.lang.System.getProperty(Ljava/lang/String;)Ljava/lang/String;"),
            new Fixture("ReadsPropertyThroughInteger", "{ public Integer run() { return Integer.getInteger(\"x\"); } }",
                    "run()Ljava/lang/Integer;", "calls", "java.lang.Integer.getInteger(Ljava/lang/String;)Ljava/lang/Integer;"),
            new Fixture("ReadsClock", "{ public long run() { return System.nanoTime(); } }",
                    "run()J", "calls", "java.lang.System.nanoTime()J"),
            new Fixture("ReadsWallClock", "{ public Object run() { return java.time.Instant.now(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.time.Instant.now()Ljava/time/Instant;"),
            new Fixture("PrintsOut", "{ public void run() { System.out.println(\"hi\"); } }",
                    "run()V", "reads", "java.lang.System.out:Ljava/io/PrintStream;"),
            new Fixture("PrintsStackTrace", "{ public void run(RuntimeException e) { e.printStackTrace(); } }",
                    "run(Ljava/lang/RuntimeException;)V", "calls",
                    "java.lang.Throwable.printStackTrace()V (through java.lang.RuntimeException)"),
            // Native memory and code
            new Fixture("ForeignArena", "{ public Object run() { return java.lang.foreign.Arena.ofConfined(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.foreign.Arena.ofConfined()Ljava/lang/foreign/Arena;"),
            new Fixture("ForeignLinker", "{ public Object run() { return java.lang.foreign.Linker.nativeLinker(); } }",
                    "run()Ljava/lang/Object;", "calls", "java.lang.foreign.Linker.nativeLinker()Ljava/lang/foreign/Linker;"),
            new Fixture("DeclaresNative", "{ public native void run(); }", "run()V", "is", "native", El2Verifier.NATIVE),
            new Fixture("SunMiscUnsafe", "{ public Object run() { return sun.misc.Unsafe.class; } }",
                    "run()Ljava/lang/Object;", "loads the class constant", "sun.misc.Unsafe"),
            // Annotations name classes too
            new Fixture("AnnotatedOffTheList", "{ @Deprecated public void run() { } }",
                    "run()V", "is annotated with", "java.lang.Deprecated"));

    /** EL2 code that uses what EL2 code may: a hyp spinlock, records, enums, lambdas, switches, collections. */
    static final String CLEAN = """
            package clean;

            import java.util.ArrayDeque;
            import java.util.ArrayList;
            import java.util.Arrays;
            import java.util.HashMap;
            import java.util.Iterator;
            import java.util.List;
            import java.util.Map;
            import java.util.Objects;
            import java.util.Optional;
            import java.util.concurrent.atomic.AtomicLongArray;
            import java.util.function.LongUnaryOperator;
            import java.util.function.Supplier;
            import java.util.stream.Collectors;
            import org.pkvm4j.api.Errno;
            import org.pkvm4j.api.PkvmException;
            import org.pkvm4j.api.Smccc;
            import org.pkvm4j.api.UserPtRegs;
            import org.pkvm4j.api.el2.El2Symbol;
            import org.pkvm4j.api.el2.HypSpinLock;
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
                static final class Held implements AutoCloseable {
                    private final HypSpinLock lock;
                    Held(HypSpinLock lock) { this.lock = lock; lock.lock(); }
                    @Override public void close() { lock.unlock(); }
                }

                private static Clean state;
                private final HypSpinLock lock;
                private final AtomicLongArray perCpu = new AtomicLongArray(4);
                private final long[] table = new long[16];
                private final Map<String, Long> map = new HashMap<>();
                private final List<Long> list = new ArrayList<>();
                private final ArrayDeque<Long> queue = new ArrayDeque<>();
                private final LongUnaryOperator clock;

                private Clean(ModuleOps ops) {
                    lock = ops.newSpinLock();
                    clock = t -> ops.getTime() - t;
                }

                @El2Symbol("clean_init")
                public static void init(ModuleOps ops) {
                    state = new Clean(ops);
                    ops.puts("clean: " + ops.nrCpus() + " CPUs, mode " + Mode.FAST + ", " + Mode.valueOf("SLOW").ordinal());
                }

                @El2Symbol("clean_hvc")
                public static void hvc(UserPtRegs regs) {
                    if (regs.get(1) < 0) {
                        throw new PkvmException(Errno.EINVAL, "negative");
                    }
                    regs.set(0, Smccc.RET_SUCCESS);
                    regs.set(1, (long) state.run(regs.get(1)));
                }

                static double area(Shape s) {
                    return switch (s) {
                        case Circle c -> Math.PI * c.r() * c.r();
                        case Square q -> q.side() * q.side();
                        case Point p -> p.ordinal();
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
                    return o + "/" + Objects.hashCode(o);
                }

                double run(long x) {
                    assert x >= 0 : "negative";
                    try (Held held = new Held(lock)) {
                        table[(int) (x & 15)] = x;
                        map.merge("k" + x, x, Long::sum);
                        list.add(x);
                        queue.addLast(x);
                        long[] copy = Arrays.copyOf(table, table.length);
                        Arrays.sort(copy);
                        Supplier<Long> next = () -> x + 1;
                        LongUnaryOperator twice = v -> v * 2;
                        long sum = list.stream().mapToLong(Long::longValue).filter(v -> v > 0).sum();
                        String keys = map.keySet().stream().sorted().collect(Collectors.joining(","));
                        Optional<String> first = map.keySet().stream().sorted().findFirst();
                        StringBuilder sb = new StringBuilder().append(first.orElse("")).append(sum).append(keys);
                        perCpu.incrementAndGet(0);
                        Iterator<Long> it = list.iterator();
                        while (it.hasNext()) {
                            if (it.next() < 0) {
                                it.remove();
                            }
                        }
                        long[][] grid = new long[2][3];
                        Shape[] shapes = {new Circle(1), new Square(2), Point.UNIT};
                        return next.get() + twice.applyAsLong(sum) + sb.length() + area(shapes[0]) + speed(Mode.SLOW)
                                + kind("a") + describe(this).length() + grid.length + Math.max(1, 2) + queue.size()
                                + clock.applyAsLong(0) + Long.hashCode(x) + Integer.parseInt("7", 16);
                    } catch (IllegalStateException | ArithmeticException e) {
                        throw new Failure("bad " + x + ": " + e.getMessage());
                    }
                }

                @Override
                public String toString() {
                    return "Clean" + Arrays.toString(table) + new Circle(2).equals(new Circle(2)) + new Square(1);
                }

                @Override
                public boolean equals(Object o) {
                    return o instanceof Clean c && c.table == table;
                }

                @Override
                public int hashCode() {
                    return Arrays.hashCode(table);
                }
            }
            """;
}
