package org.pkvm4j.it.hostile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.it.hostile.HostileCase.Variant;
import org.pkvm4j.machine.HypPanic;
import org.pkvm4j.machine.HypPanicException;

/**
 * Boots one case's device and drives it: the bundled {@code pkvm_driver} first (the well-behaved
 * module whose handler must keep answering), then the hostile module, both in {@code
 * kvm-arm.protected_modules=}; then the case's calls, then {@code pkvm_driver}'s selftest ioctl.
 * Everything seen goes into an {@link Observation}.
 */
final class CaseRun {
    /** The boot switch that turns the static EL2 checks off, for tests only. */
    static final String BYPASS = "pkvm.el2_verify=0";
    /**
     * The lockup watchdog's bound for the cases that never return: short, so the corpus stays fast.
     * Only for them: on a busy machine an ordinary case must not come near it.
     */
    static final String LOCKUP_BOUND = "pkvm.hyp_lockup_ms=1000";
    private static final AtomicInteger NEXT = new AtomicInteger();

    private CaseRun() {
    }

    /** What a run leaves for the test: what it saw, and the device if it booted in this JVM. */
    record Result(Observation seen, HostKernel kernel) {
    }

    /** The kernel command line of {@code c}'s device. */
    static String cmdline(HostileCase c) {
        return "kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver," + c.module() + (c.bypass() ? " " + BYPASS : "")
                + (c.expect() instanceof HostileCase.Panics p && p.code().equals(HostileCases.HYP_LOCKUP) ? " " + LOCKUP_BOUND : "");
    }

    /** A fresh initramfs with {@code pkvm_driver} and {@code c}'s module file packed as {@code variant}. */
    static Path initramfs(HostileCase c, Variant variant) {
        try {
            Path dir = Files.createDirectories(HostileModules.work().resolve("initramfs")
                    .resolve(c.id() + "-" + ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet()));
            Path driver = Path.of(System.getProperty("pkvm4j.it.initramfs")).resolve("pkvm_driver.jar");
            Files.copy(driver, dir.resolve("pkvm_driver.jar"), StandardCopyOption.REPLACE_EXISTING);
            Path file = HostileModules.file(c, variant);
            Path target = dir.resolve(file.getFileName());
            if (Files.size(file) > (64L << 20)) {
                // A huge sparse file: a hard link, not a copy that would write a gigabyte of zeros.
                Files.createLink(target, file);
            } else {
                Files.copy(file, target);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Empties (creates) the folder {@code c}'s EL2 code must not write to. */
    static void clearFiles(HostileCase c) {
        try {
            deleteTree(c.files());
            Files.createDirectories(c.files());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The warm-up device, kept for the whole run: while one machine is watched the hypervisor's
     * lockup detector keeps its one daemon thread, so it is started here, once, and never counted
     * as a case's thread (it stops when no machine is left and starts again with the next one).
     */
    private static HostKernel keeper;

    /**
     * Boots a clean device ({@code pkvm_driver} and {@code kvstore}) and calls it: the JDK starts
     * some of its threads lazily (the common cleaner), and the kernel its check-ahead pool, on the
     * first device, and those are not a case's.
     */
    static void warmUp() {
        try {
            Path dir = Files.createDirectories(HostileModules.work().resolve("initramfs")
                    .resolve("warm-up-" + ProcessHandle.current().pid() + "-" + NEXT.incrementAndGet()));
            Path bundled = Path.of(System.getProperty("pkvm4j.it.initramfs"));
            for (String file : new String[] {"pkvm_driver.jar", "kvstore.jar"}) {
                Files.copy(bundled.resolve(file), dir.resolve(file));
            }
            HostKernel kernel = HostKernel.boot(BootConfig.of("kvm-arm.mode=protected kvm-arm.protected_modules=pkvm_driver,kvstore",
                    dir));
            kernel.ioctl("pkvm_driver", 0, 0);
            keeper = kernel;
            System.gc();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Boots and drives {@code c} in this JVM. */
    static Result run(HostileCase c, Path initramfs) {
        clearFiles(c);
        Observation seen = new Observation();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        long startedBefore = threads.getTotalStartedThreadCount();
        HostKernel kernel = null;
        try {
            kernel = HostKernel.boot(BootConfig.of(cmdline(c), initramfs));
        } catch (Throwable t) {
            seen.put("boot.error", t.getClass().getName() + ": " + t.getMessage());
        }
        long[] excluded = {0};
        if (kernel != null) {
            drive(c, kernel, seen, excluded);
        }
        recordThreads(seen, before, startedBefore + excluded[0]);
        seen.put("files", listing(c.files()));
        return new Result(seen, kernel);
    }

    private static void recordThreads(Observation seen, Set<Thread> before, long startedBefore) {
        seen.put("threads.started", ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - startedBefore);
        seen.put("threads.new", Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t))
                .map(t -> t.getName() + (t.isVirtual() ? " (virtual)" : "")).sorted().collect(Collectors.joining(", ")));
    }

    // "removal": System.runFinalization; while the JDK still runs finalizers, a hostile module's must be provoked.
    @SuppressWarnings("removal")
    private static void drive(HostileCase c, HostKernel kernel, Observation seen, long[] excludedThreads) {
        SecurityState state = kernel.securityState();
        seen.put("security", state.getClass().getSimpleName());
        seen.put("security.protectedVms", state.allowsProtectedVms());
        seen.put("security.describe", state.describe());
        if (state instanceof SecurityState.Insecure insecure) {
            seen.put("security.module", insecure.module());
            seen.put("security.errno", insecure.errno().name());
            seen.put("security.code", insecure.code().code());
            seen.put("security.reason", insecure.reason());
        }
        kernel.bootReport().panic().ifPresent(p -> seen.put("panic.boot", describe(p)));
        boolean loaded = kernel.lsmod().stream().map(LoadedModule::name).anyMatch(c.module()::equals);
        seen.put("loaded", loaded);
        int logBeforeCalls = kernel.log().lines().size();
        // A module that should have been refused is never called: on a device that wrongly loaded
        // it, its handler would do what it came for (exit the JVM, start threads) in this JVM.
        if (loaded && !(c.expect() instanceof HostileCase.Refused)) {
            for (int i = 0; i < c.calls().size(); i++) {
                long[] call = c.calls().get(i);
                seen.put("call." + i, call(kernel, c.module(), (int) call[0], call[1]));
                if (i == 0 && watchesOffCpu(c)) {
                    // Give a finalizer or a kept thread of the module its chance to run off the CPU
                    // before the next call. runFinalization starts (and joins) a JDK thread of its
                    // own: not the module's, so not counted.
                    long started = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
                    System.gc();
                    System.runFinalization();
                    excludedThreads[0] += ManagementFactory.getThreadMXBean().getTotalStartedThreadCount() - started;
                }
            }
        }
        seen.put("driver", kernel.panic().isPresent() ? "not called: the hypervisor panicked" : call(kernel, "pkvm_driver", 0, 0));
        kernel.panic().ifPresent(p -> seen.put("panic", describe(p)));
        List<String> log = kernel.log().lines();
        seen.put("log", String.join("\n", log));
        seen.put("log.afterBoot", String.join("\n", log.subList(Math.min(logBeforeCalls, log.size()), log.size())));
        seen.put("bootReport", String.valueOf(kernel.bootReport()));
    }

    private static boolean watchesOffCpu(HostileCase c) {
        return c.expect() instanceof HostileCase.Panics p && p.absentMarker() != null
                || c.expect() instanceof HostileCase.Contained k && k.absentMarker() != null;
    }

    private static String call(HostKernel kernel, String device, int cmd, long arg) {
        try {
            return Long.toString(kernel.ioctl(device, cmd, arg));
        } catch (HypPanicException e) {
            return "hyp panic: " + describe(e.panic());
        } catch (PkvmException e) {
            return "errno " + e.errno() + ": " + e.getMessage();
        } catch (Throwable t) {
            return "error " + t.getClass().getName() + ": " + t.getMessage();
        }
    }

    static String describe(HypPanic panic) {
        return panic.reason() + "\n" + panic.detail();
    }

    private static String listing(Path dir) {
        if (!Files.isDirectory(dir)) {
            return "";
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted()
                    .collect(Collectors.joining(", "));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
