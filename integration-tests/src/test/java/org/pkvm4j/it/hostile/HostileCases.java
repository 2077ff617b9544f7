package org.pkvm4j.it.hostile;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiFunction;
import org.pkvm4j.api.Errno;
import org.pkvm4j.it.hostile.HostileCase.Contained;
import org.pkvm4j.it.hostile.HostileCase.Expect;
import org.pkvm4j.it.hostile.HostileCase.Panics;
import org.pkvm4j.it.hostile.HostileCase.Refused;
import org.pkvm4j.it.hostile.HostileCase.Variant;
import org.pkvm4j.testkit.ClassFiles;
import org.pkvm4j.testkit.ModuleFileBuilder;
import org.pkvm4j.testkit.RawZip;

/**
 * The hostile-module corpus: every way a vendor module file tries to get out of EL2, each with
 * what the device must do about it. The codes are those of {@code docs/error-codes.md}.
 */
final class HostileCases {
    /** EL2 code the allow-list refuses at load. */
    static final String EL2_POLICY = "PKVM-LOAD-EL2-POLICY";
    /** A jar entry refused (path, binary name, this_class, packages, multi-release, name, size). */
    static final String BAD_ENTRY = "PKVM-LOAD-BAD-ENTRY";
    /** A malformed, truncated or wrong-version class file. */
    static final String BAD_CLASS = "PKVM-LOAD-BAD-CLASS";
    /** A module or package name in org.pkvm4j.* or a system module's. */
    static final String RESERVED_NAME = "PKVM-LOAD-RESERVED-NAME";
    /** Any hyp panic. */
    static final String HYP_PANIC = "PKVM-HYP-PANIC";
    /** The lockup watchdog's hyp panic. */
    static final String HYP_LOCKUP = "PKVM-HYP-LOCKUP";
    /** EL2 over its allocation budget, or out of the JVM's memory: a hyp panic. */
    static final String HYP_NOMEM = "PKVM-HYP-NOMEM";

    private static final BiFunction<ModuleFileBuilder, HostileSource, ModuleFileBuilder> AS_BUILT = (b, s) -> b;
    private static final List<long[]> ONE_CALL = List.of(new long[] {0, 0});

    static final List<HostileCase> ALL = List.of(
            // ---- Reflection, method handles, class loading: refused by the allow-list at load.
            policy("reflection", "reads the module API's private fields by reflection", "java.lang.Class",
                    src("reflection").hvc("result = ModuleOps.class.getDeclaredFields().length;")),
            policy("private_lookup", "opens a private lookup into the module API's ops interface", "java.lang.invoke.MethodHandles",
                    src("private_lookup").imports("java.lang.invoke.MethodHandles")
                            .hvc("MethodHandles.privateLookupIn(ModuleOps.class, MethodHandles.lookup());")),
            policy("lookup_define_class", "defines a class with Lookup.defineClass", "java.lang.invoke.MethodHandles",
                    src("lookup_define_class").imports("java.lang.invoke.MethodHandles")
                            .hvc("MethodHandles.lookup().defineClass(new byte[] {(byte) 0xCA, (byte) 0xFE});")),
            policy("custom_class_loader", "defines classes with its own ClassLoader", "java.lang.ClassLoader",
                    src("custom_class_loader").extraClass("Loader", """
                            final class Loader extends ClassLoader {
                                Class<?> define(byte[] b) {
                                    return defineClass(null, b, 0, b.length);
                                }
                            }""").hvc("new Loader().define(new byte[0]);")),
            policy("class_for_name", "loads java.lang.Runtime with Class.forName", "java.lang.Class",
                    src("class_for_name").hvc("result = Class.forName(\"java.lang.Runtime\").getName().length();")),
            // ---- Threads, directly and through libraries.
            policy("new_thread", "starts a platform thread", "java.lang.Thread",
                    src("new_thread").hvc("new Thread(() -> { }).start();")),
            policy("virtual_thread", "starts a virtual thread", "java.lang.Thread",
                    src("virtual_thread").hvc("Thread.ofVirtual().start(() -> { });")),
            policy("clq_parallel_stream", "runs a ConcurrentLinkedQueue.parallelStream() on the common pool",
                    "java.util.concurrent.ConcurrentLinkedQueue",
                    src("clq_parallel_stream").imports("java.util.List", "java.util.concurrent.ConcurrentLinkedQueue")
                            .hvc("result = new ConcurrentLinkedQueue<>(List.of(1L, 2L, 3L)).parallelStream().mapToLong(x -> x).sum();")),
            policy("stream_support_parallel", "runs StreamSupport.stream(spliterator, true) on the common pool",
                    "java.util.stream.StreamSupport",
                    src("stream_support_parallel").imports("java.util.List", "java.util.stream.StreamSupport")
                            .hvc("result = StreamSupport.stream(List.of(1L, 2L).spliterator(), true).mapToLong(x -> x).sum();")),
            policy("completable_future", "runs CompletableFuture.supplyAsync", "java.util.concurrent.CompletableFuture",
                    src("completable_future").imports("java.util.concurrent.CompletableFuture")
                            .hvc("result = CompletableFuture.supplyAsync(() -> 2L).join();")),
            policy("timer", "schedules a java.util.Timer task", "java.util.Timer",
                    src("timer").imports("java.util.Timer", "java.util.TimerTask")
                            .hvc("new Timer(true).schedule(new TimerTask() { public void run() { } }, 1L);")),
            policy("executor", "submits to a single-thread executor", "java.util.concurrent.Executors",
                    src("executor").imports("java.util.concurrent.Executors")
                            .hvc("Executors.newSingleThreadExecutor().submit(() -> { });")),
            policy("fork_join_pool", "executes on the ForkJoin common pool", "java.util.concurrent.ForkJoinPool",
                    src("fork_join_pool").imports("java.util.concurrent.ForkJoinPool")
                            .hvc("ForkJoinPool.commonPool().execute(() -> { });")),
            // ---- Blocking.
            policy("thread_sleep", "sleeps in a handler", "java.lang.Thread",
                    src("thread_sleep").hvc("Thread.sleep(1);")),
            policy("object_wait", "waits on a monitor", "java.lang.Object.wait",
                    src("object_wait").members("static final Object LOCK = new Object();").hvc("LOCK.wait(1);")),
            policy("synchronized_block", "enters a monitor (synchronized)", "synchronized|monitor",
                    src("synchronized_block").members("static final Object LOCK = new Object();")
                            .hvc("synchronized (LOCK) { result = 2; }")),
            // ---- JVM and process control.
            policy("system_exit", "exits the host JVM", "java.lang.System",
                    src("system_exit").hvc("System.exit(3);")),
            policy("runtime_halt", "halts the host JVM", "java.lang.Runtime",
                    src("runtime_halt").hvc("Runtime.getRuntime().halt(3);")),
            policy("process_builder", "runs a host process", "java.lang.ProcessBuilder",
                    src("process_builder").hvc("new ProcessBuilder(\"touch\", FILES + \"/pwned\").start().waitFor();")),
            // ---- Files, sockets, environment, properties, clocks.
            policy("file_write", "writes a host file", "java.nio.file",
                    src("file_write").imports("java.nio.file.Files", "java.nio.file.Path")
                            .hvc("Files.writeString(Path.of(FILES, \"pwned\"), \"x\");")),
            policy("socket", "opens a TCP socket", "java.net.Socket",
                    src("socket").imports("java.net.Socket").hvc("new Socket(\"127.0.0.1\", 9).close();")),
            policy("getenv", "reads the host's environment", "java.lang.System",
                    src("getenv").hvc("result = System.getenv(\"PATH\").length();")),
            policy("system_property", "sets a host system property", "java.lang.System",
                    src("system_property").hvc("System.setProperty(\"pkvm4j.hostile\", \"1\");")),
            policy("clock", "reads the host's clock instead of ModuleOps", "java.lang.System",
                    src("clock").hvc("result = System.nanoTime();")),
            // ---- Native code: FFM and JNI.
            policy("ffm_linker", "looks up native functions with the FFM Linker", "java.lang.foreign",
                    src("ffm_linker").imports("java.lang.foreign.Linker")
                            .hvc("result = Linker.nativeLinker().defaultLookup().find(\"getpid\").isPresent() ? 2 : 3;")),
            policy("ffm_arena", "allocates native memory in an Arena", "java.lang.foreign",
                    src("ffm_arena").imports("java.lang.foreign.Arena")
                            .hvc("try (Arena a = Arena.ofConfined()) { result = a.allocate(8).byteSize(); }")),
            policy("jni_native_method", "declares and calls a native method", "native",
                    src("jni_native_method").members("static native long boom();").hvc("result = boom();")),
            policy("load_library", "loads a native library", "java.lang.System",
                    src("load_library").hvc("System.loadLibrary(\"c\");")),
            // ---- Service loading, stack walking, finalizers, static initializers.
            policy("service_loader", "looks up providers with ServiceLoader", "java.util.ServiceLoader",
                    src("service_loader").imports("java.util.ServiceLoader")
                            .hvc("result = ServiceLoader.load(Runnable.class).stream().count();")),
            policy("stack_walker", "walks the host's stack", "java.lang.StackWalker",
                    src("stack_walker").hvc("result = StackWalker.getInstance().walk(s -> s.count());")),
            policy("finalizer", "declares a finalizer that runs on the host's finalizer thread", "finaliz",
                    src("finalizer").extraClass("Zombie", """
                            final class Zombie {
                                @Override
                                protected void finalize() {
                                    Hyp.ops.puts("FINALIZED\\n");
                                }
                            }""").hvc("new Zombie();")),
            policy("static_init_thread", "starts a thread from a static initializer", "java.lang.Thread",
                    src("static_init_thread").extraClass("Boot", """
                            final class Boot {
                                static {
                                    new Thread(() -> { }).start();
                                }

                                static void touch() {
                                }
                            }""").hvc("Boot.touch();")),

            // ---- Decoy and mismatched class files: assembled by hand, no vendor build makes them.
            byHand("decoy_system", "carries a decoy java/lang/System under an unrelated path, and calls System.exit",
                    src("decoy_system").hvc("System.exit(7);"),
                    (b, s) -> b.hypEntry(s.hypEntry("Util"), ClassFiles.decoy("java.lang.System")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "corpus/decoy_system/hyp/Util.class")),
            byHand("decoy_process_builder", "carries a decoy java/lang/ProcessBuilder, and runs a host process",
                    src("decoy_process_builder").hvc("new ProcessBuilder(\"touch\", FILES + \"/pwned\").start().waitFor();"),
                    (b, s) -> b.hypEntry(s.hypEntry("Helper"), ClassFiles.decoy("java.lang.ProcessBuilder")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "corpus/decoy_process_builder/hyp/Helper.class")),
            byHand("mismatched_entry", "stores its handler class also under another class's path",
                    src("mismatched_entry"),
                    (b, s) -> b.hypEntry(s.hypEntry("Other"), b.hypClass(s.hypPackage() + ".Hyp")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "corpus/mismatched_entry/hyp/Other.class")),
            byHand("class_outside_packages", "carries a class in a package its descriptor does not declare",
                    src("class_outside_packages"),
                    (b, s) -> b.removeHypEntry("module-info.class")
                            .hypEntry("module-info.class", ClassFiles.moduleInfo("corpus.class_outside_packages.hyp",
                                    List.of("org.pkvm4j.api"), List.of(s.hypPackage())))
                            .hypEntry("evil/Payload.class", ClassFiles.emptyClass("evil.Payload")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "evil/Payload.class")),
            byHand("multi_release", "hides a thread-starting handler in a multi-release variant",
                    src("multi_release"),
                    (b, s) -> b.hypEntry("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMulti-Release: true\r\n\r\n".getBytes(StandardCharsets.UTF_8))
                            .hypEntry("META-INF/versions/25/" + s.hypEntry("Hyp"), variantOf("multi_release",
                                    "new Thread(() -> { }).start();")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "META-INF/versions/25/")),
            byHand("duplicate_class_entry", "stores its handler class twice, the second one starting a thread",
                    src("duplicate_class_entry"),
                    (b, s) -> b.hypEntry(s.hypEntry("Hyp"), variantOf("duplicate_class_entry", "new Thread(() -> { }).start();")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "corpus/duplicate_class_entry/hyp/Hyp.class")),
            byHand("duplicate_modinfo", "carries two modinfo records that disagree",
                    src("duplicate_modinfo"),
                    (b, s) -> b.el1Entry("META-INF/pkvm/modinfo.properties",
                            "name=pkvm_driver\nversion=9\nlicense=GPL-2.0-only\n".getBytes(StandardCharsets.UTF_8)),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "modinfo.properties")),
            // ---- Bad entry names.
            byHand("zip_slip", "has an EL2 entry named ../../pwned.class",
                    src("zip_slip"), (b, s) -> b.hypEntry("../../pwned.class", ClassFiles.emptyClass("pwned")),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "../../pwned.class")),
            byHand("absolute_entry", "has an EL1 entry with an absolute path",
                    src("absolute_entry"), (b, s) -> b.el1Entry("/tmp/pkvm4j-pwned", new byte[] {1}),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "/tmp/pkvm4j-pwned")),
            byHand("non_utf8_name", "has an EL2 entry whose name is not UTF-8",
                    src("non_utf8_name"), (b, s) -> b.hypEntry(RawZip.Entry.rawName(concat(s.hypEntry("X").replace("X.class", ""),
                            new byte[] {(byte) 0xff, (byte) 0xfe}, ".class"), ClassFiles.emptyClass("corpus.non_utf8_name.hyp.Y"))),
                    refused(BAD_ENTRY, Errno.ENOEXEC)),
            // ---- Malformed class files.
            byHand("two_byte_class", "carries a 2-byte class file",
                    src("two_byte_class"), (b, s) -> b.hypEntry(s.hypEntry("Junk"), ClassFiles.twoBytes()),
                    refused(BAD_CLASS, Errno.ENOEXEC, "corpus/two_byte_class/hyp/Junk.class")),
            byHand("truncated_class", "carries its handler class cut short",
                    src("truncated_class"), (b, s) -> b.removeHypEntry(s.hypEntry("Hyp"))
                            .hypEntry(s.hypEntry("Hyp"), ClassFiles.truncated(b.hypClass(s.hypPackage() + ".Hyp"), 100)),
                    refused(BAD_CLASS, Errno.ENOEXEC, "corpus/truncated_class/hyp/Hyp.class")),
            byHand("class_version_70", "carries a class file of version 70, newer than the JVM",
                    src("class_version_70").extraClass("Later", "final class Later {\n}"),
                    (b, s) -> b.removeHypEntry(s.hypEntry("Later"))
                            .hypEntry(s.hypEntry("Later"), ClassFiles.withMajorVersion(b.hypClass(s.hypPackage() + ".Later"), 70)),
                    refused(BAD_CLASS, Errno.ENOEXEC, "corpus/class_version_70/hyp/Later.class")),
            byHand("huge_stored_entry", "carries a 1 GiB stored entry",
                    src("huge_stored_entry"), (b, s) -> b.el1Entry(RawZip.Entry.zeros("blob.bin", 1L << 30)),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "blob.bin|h_huge_stored_entry.jar")),
            byHand("big_stored_entry", "carries a stored entry just over the 64 MiB entry limit, in a file under the file limit",
                    src("big_stored_entry"), (b, s) -> b.el1Entry(RawZip.Entry.zeros("blob.bin", (64L << 20) + 4096)),
                    refused(BAD_ENTRY, Errno.ENOEXEC, "blob.bin")),

            // ---- Reserved names.
            policyLike("reserved_hyp_package", "puts its EL2 code in package org.pkvm4j.hypervisor.module",
                    src("reserved_hyp_package").hypPackage("org.pkvm4j.hypervisor.module"),
                    refused(RESERVED_NAME, Errno.EPERM, "org.pkvm4j.hypervisor.module")),
            policyLike("reserved_host_module", "names its EL1 module org.pkvm4j.host",
                    src("reserved_host_module").el1Module("org.pkvm4j.host"),
                    refused(RESERVED_NAME, Errno.EPERM, "org.pkvm4j.host")),
            byHand("system_module_name", "names its EL2 module java.sql, a system module's name",
                    src("system_module_name"),
                    (b, s) -> b.removeHypEntry("module-info.class").hypEntry("module-info.class",
                            ClassFiles.moduleInfo("java.sql", List.of("org.pkvm4j.api"), List.of(s.hypPackage()))),
                    refused(RESERVED_NAME, Errno.EPERM, "java.sql")),
            byHand("system_package", "puts a class in package java.lang.evil, inside a system module's packages",
                    src("system_package"),
                    (b, s) -> b.removeHypEntry("module-info.class")
                            .hypEntry("module-info.class", ClassFiles.moduleInfo("corpus.system_package.hyp",
                                    List.of("org.pkvm4j.api"), List.of(s.hypPackage(), "java.lang.evil")))
                            .hypEntry("java/lang/evil/Payload.class", ClassFiles.emptyClass("java.lang.evil.Payload")),
                    refused(RESERVED_NAME, Errno.EPERM, "java.lang.evil")),

            // ---- EL2 code that takes the host's memory: a hyp panic before the JVM runs out.
            nomem("array_bomb", "asks for an 8 GiB array in its HVC handler", "array_bomb_hvc", false,
                    src("array_bomb").hvc("result = new long[1 << 30].length;")),
            nomem("grid_bomb", "asks for a 4 GiB two-dimensional array in its HVC handler", "grid_bomb_hvc", false,
                    src("grid_bomb").hvc("result = new byte[1 << 16][1 << 16].length;")),
            nomem("jdk_hoard", "makes the JDK grow a string without end in its HVC handler", "jdk_hoard_hvc", true,
                    src("jdk_hoard").hvc("StringBuilder sb = new StringBuilder();\nwhile (forever()) {\n    sb.append(\"0123456789abcdef\");\n}\nresult = sb.length();")),

            // ---- EL2 code that never returns: the lockup watchdog (run in a JVM of their own).
            lockup("init_never_returns", "spins for ever in its EL2 init", "init_never_returns_init",
                    src("init_never_returns").members("static long spins;").init("while (forever()) {\n    spins++;\n}")),
            lockup("static_init_never_returns", "spins for ever in a static initializer", "static_init_never_returns_hvc",
                    src("static_init_never_returns").extraClass("Stuck", """
                            final class Stuck {
                                static long spins;

                                static {
                                    while (Hyp.forever()) {
                                        spins++;
                                    }
                                }

                                static void touch() {
                                }
                            }""").hvc("Stuck.touch();")),
            lockup("handler_never_returns", "spins for ever in its HVC handler", "handler_never_returns_hvc",
                    src("handler_never_returns").hvc("while (forever()) {\n    result++;\n}")),
            lockup("handler_catches_throwable", "spins for ever and catches every Throwable thrown at it",
                    "handler_catches_throwable_hvc",
                    src("handler_catches_throwable").hvc("""
                            while (forever()) {
                                try {
                                    while (forever()) {
                                        result++;
                                    }
                                } catch (Throwable t) {
                                    result--;
                                }
                            }""")),

            // ---- Register views and ModuleOps outside their trap.
            new HostileCase("exception_message_calls_ops", "panics with an exception whose getMessage() calls ModuleOps",
                    src("exception_message_calls_ops").hvc("""
                            if (forever()) {
                                throw new IllegalStateException() {
                                    @Override
                                    public String getMessage() {
                                        ops.puts("OFF-CPU-MESSAGE\\n");
                                        return "boom";
                                    }
                                };
                            }"""),
                    AS_BUILT, List.of(Variant.VENDOR_BUILD), false, ONE_CALL,
                    new Panics(HYP_PANIC, List.of("h_exception_message_calls_ops"), "OFF-CPU-MESSAGE"), false),

            // ---- The static checks bypassed (pkvm.el2_verify=0): the run-time layer alone holds.
            bypass("bypass_new_thread", "starts a thread", "java.lang.Thread",
                    src("bypass_new_thread").hvc("new Thread(() -> { }).start();")),
            bypass("bypass_process_builder", "runs a host process", "java.lang.ProcessBuilder",
                    src("bypass_process_builder").hvc("new ProcessBuilder(\"touch\", FILES + \"/pwned\").start().waitFor();")),
            bypass("bypass_file_write", "writes a host file", "java.nio.file",
                    src("bypass_file_write").imports("java.nio.file.Files", "java.nio.file.Path")
                            .hvc("Files.writeString(Path.of(FILES, \"pwned\"), \"x\");")),
            bypass("bypass_class_loader", "loads the host kernel's classes through its own ClassLoader", "java.lang.ClassLoader",
                    src("bypass_class_loader").extraClass("Loader", """
                            final class Loader extends ClassLoader {
                                Class<?> find(String name) throws ClassNotFoundException {
                                    return loadClass(name);
                                }
                            }""").hvc("result = new Loader().find(\"org.pkvm4j.host.HostKernel\").getName().length();")),
            bypass("bypass_completable_future", "runs CompletableFuture.supplyAsync", "java.util.concurrent.CompletableFuture",
                    src("bypass_completable_future").imports("java.util.concurrent.CompletableFuture")
                            .hvc("result = CompletableFuture.supplyAsync(() -> 2L).join();")),
            bypass("bypass_ffm_arena", "allocates native memory", "java.lang.foreign",
                    src("bypass_ffm_arena").imports("java.lang.foreign.Arena")
                            .hvc("try (Arena a = Arena.ofConfined()) { result = a.allocate(8).byteSize(); }")),
            bypass("bypass_server_socket", "listens on a TCP port", "java.net.ServerSocket",
                    src("bypass_server_socket").imports("java.net.ServerSocket").hvc("""
                            ServerSocket listening = new ServerSocket(0);
                            result = listening.getLocalPort();
                            listening.close();""")),
            bypass("bypass_regs_from_thread", "writes its register view a million times from a thread it starts",
                    "java.lang.Thread", src("bypass_regs_from_thread").hvc("""
                            UserPtRegs view = regs;
                            new Thread(() -> {
                                for (int i = 0; i < 1_000_000; i++) {
                                    view.set(1, i);
                                }
                            }).start();""")),
            new HostileCase("bypass_ops_from_kept_thread", "calls ModuleOps from a thread its EL2 init starts and keeps",
                    src("bypass_ops_from_kept_thread").init("""
                            Thread t = new Thread(() -> {
                                for (int i = 0; i < 1000; i++) {
                                    ops.puts("KEPT-THREAD\\n");
                                }
                            });
                            t.setDaemon(true);
                            t.start();"""),
                    AS_BUILT, List.of(Variant.BY_HAND), true, ONE_CALL,
                    new Panics(HYP_PANIC, List.of("h_bypass_ops_from_kept_thread", "java.lang.Thread"), "KEPT-THREAD"), false),
            new HostileCase("bypass_finalizer_writes_kept_view", "keeps its register view, and writes it and calls"
                    + " ModuleOps from finalizers on the host's thread, between two calls",
                    src("bypass_finalizer_writes_kept_view").members("static UserPtRegs kept;").extraClass("Zombie", """
                            final class Zombie {
                                @Override
                                protected void finalize() {
                                    Hyp.kept.set(0, -1);
                                    Hyp.kept.set(1, 0xdeadL);
                                    Hyp.ops.puts("FINALIZER-MARK\\n");
                                }
                            }""").hvc("""
                            if (cmd == 0) {
                                kept = regs;
                                for (int i = 0; i < 1000; i++) {
                                    new Zombie();
                                }
                                result = 7;
                            } else {
                                result = 42;
                            }"""),
                    AS_BUILT, List.of(Variant.BY_HAND), true, List.of(new long[] {0, 0}, new long[] {1, 0}),
                    new Contained(List.of(7L, 42L), false, "FINALIZER-MARK"), false));

    private HostileCases() {
    }

    /** The case named {@code id}. */
    static HostileCase byId(String id) {
        return ALL.stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no hostile case " + id));
    }

    private static HostileSource src(String id) {
        return HostileSource.of(id);
    }

    private static Refused refused(String code, Errno errno, String... names) {
        return new Refused(code, errno, List.of(names));
    }

    /** Source the allow-list refuses: built by the vendor build and by hand, refused at load with EPERM. */
    private static HostileCase policy(String id, String what, String names, HostileSource source) {
        return policyLike(id, what, source, refused(EL2_POLICY, Errno.EPERM, names));
    }

    private static HostileCase policyLike(String id, String what, HostileSource source, Expect expect) {
        return new HostileCase(id, what, source, AS_BUILT, List.of(Variant.VENDOR_BUILD, Variant.BY_HAND), false,
                ONE_CALL, expect, false);
    }

    /** A file no vendor build writes: changed by hand after javac. */
    private static HostileCase byHand(String id, String what, HostileSource source,
            BiFunction<ModuleFileBuilder, HostileSource, ModuleFileBuilder> tamper, Expect expect) {
        return new HostileCase(id, what, source, tamper, List.of(Variant.BY_HAND), false, ONE_CALL, expect, false);
    }

    /** EL2 code that never returns, in a JVM of its own: a PKVM-HYP-LOCKUP panic naming the module and symbol. */
    private static HostileCase lockup(String id, String what, String symbol, HostileSource source) {
        return new HostileCase(id, what, source, AS_BUILT, List.of(Variant.VENDOR_BUILD), false, ONE_CALL,
                new Panics(HYP_LOCKUP, List.of(HostileSource.moduleName(id), symbol), null), true);
    }

    /** EL2 code over its allocation budget: a PKVM-HYP-NOMEM panic naming the module and symbol. */
    private static HostileCase nomem(String id, String what, String symbol, boolean ownJvm, HostileSource source) {
        return new HostileCase(id, what, source, AS_BUILT, List.of(Variant.VENDOR_BUILD), false, ONE_CALL,
                new Panics(HYP_NOMEM, List.of(HostileSource.moduleName(id), symbol), null), ownJvm);
    }

    /** Loaded with the static checks off: the EL2 loader does not resolve {@code jdkClass}, a hyp panic naming both. */
    private static HostileCase bypass(String id, String what, String jdkClass, HostileSource source) {
        return new HostileCase(id, what, source, AS_BUILT, List.of(Variant.BY_HAND), true, ONE_CALL,
                new Panics(HYP_PANIC, List.of(HostileSource.moduleName(id), jdkClass), null), false);
    }

    /** The EL2 {@code Hyp} class of case {@code id} compiled with {@code hvc} as its handler's body. */
    private static byte[] variantOf(String id, String hvc) {
        HostileSource other = HostileSource.of(id).hvc(hvc);
        return other.builder(HostileModules.work().resolve("files").resolve(id)).hypClass(other.hypPackage() + ".Hyp");
    }

    private static byte[] concat(String prefix, byte[] middle, String suffix) {
        byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] s = suffix.getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(p, p.length + middle.length + s.length);
        System.arraycopy(middle, 0, all, p.length, middle.length);
        System.arraycopy(s, 0, all, p.length + middle.length, s.length);
        return all;
    }
}
