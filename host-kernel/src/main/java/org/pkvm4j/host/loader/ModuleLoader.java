package org.pkvm4j.host.loader;

import java.lang.module.ModuleDescriptor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import org.apache.logging.log4j.CloseableThreadContext;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.abi.ModVersions;
import org.pkvm4j.host.abi.RunningApi;
import org.pkvm4j.host.abi.SymbolCheck;
import org.pkvm4j.host.cmdline.KernelCmdline;
import org.pkvm4j.host.cmdline.ProtectedModules;
import org.pkvm4j.host.dev.MiscDevices;
import org.pkvm4j.host.diag.ErrorCode;
import org.pkvm4j.host.diag.Refusal;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.initramfs.Initramfs;
import org.pkvm4j.host.initramfs.ModuleFile;
import org.pkvm4j.host.log.HostLogger;
import org.pkvm4j.host.log.KernelLog;
import org.pkvm4j.host.trace.BootTrace;
import org.pkvm4j.host.verify.El2Allowlist;
import org.pkvm4j.host.verify.El2Verifier;
import org.pkvm4j.machine.HypPanicException;
import org.pkvm4j.machine.ModuleRam;

/**
 * {@code modprobe}: loads a vendor module and the modules it depends on.
 *
 * <p>Kernel counterpart: {@code modprobe} with {@code modules.dep}, {@code load_module()} and, for
 * the EL2 part, {@code arch/arm64/kvm/pkvm.c}. First the whole dependency chain is resolved from
 * the files' {@code depends=} ({@link ModulesDep}: a cycle or a missing file refuses it before
 * anything loads); then each module of it, dependencies first, loads all-or-nothing, in this order:
 * check both descriptors and the EL2 symbol table (no class is defined before this), define the
 * EL1 layer (on its dependencies' layers), run the EL1 init (which loads the EL2 part and
 * registers handlers through its {@link ModulePkvm}); only then is the module recorded. When a step
 * fails, what the earlier ones did is undone and the failure is logged once, here.
 */
public final class ModuleLoader {
    private static final HostLogger LOG = HostLogger.of(ModuleLoader.class);
    /**
     * The command-line switch that turns the EL2 code verifier off ({@code pkvm.el2_verify=0}), as
     * {@code module.sig_enforce=0} relaxes module signatures: for tests that must run EL2 code the
     * verifier would refuse, to prove what holds without it (the run-time allow-list of the EL2
     * loader still holds). It taints the device: not protected, no protected VM.
     */
    public static final String EL2_VERIFY = "pkvm.el2_verify";
    /**
     * The command-line switch that turns the load-time ABI check off ({@code pkvm.modversions=0}),
     * as a kernel built without {@code CONFIG_MODVERSIONS} loads modules unchecked: for measuring
     * what the check costs, and for nothing else. It taints the device as {@link #EL2_VERIFY} does:
     * code that fails to link would then fail inside EL2.
     */
    public static final String MODVERSIONS = "pkvm.modversions";

    private final Initramfs initramfs;
    private final KernelCmdline cmdline;
    private final ProtectedMode protectedMode;
    private final HvcGateway gateway;
    private final ModuleRam moduleRam;
    private final KernelLog log;
    private final MiscDevices miscDevices;
    private final VendorLayers layers = new VendorLayers();
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();
    private final boolean verifyEl2;
    // Fault injection (FaultPlan): modules whose EL1 init is made to fail after it ran, and with what.
    private final Map<String, Errno> el1InitFaults = new HashMap<>();
    private final boolean checkAbi;
    private BootTrace trace = BootTrace.OFF;
    /**
     * The JDK classes an EL2 loader resolves: the run-time allow-list, wired here and nowhere else.
     */
    private static final java.util.function.Predicate<String> EL2_JDK_CLASSES = El2Allowlist.bundled()::admitsClass;

    /** What the loader keeps of a loaded module: its report and the layer its dependents read. */
    private record Loaded(LoadedModule module, ModuleLayer el1Layer, KernelModule instance, ModulePkvm pkvm,
            ModuleContextImpl ctx) {
    }

    /** A loader reading {@code initramfs}, for a kernel booted with {@code cmdline}. */
    public ModuleLoader(Initramfs initramfs, KernelCmdline cmdline, ProtectedMode protectedMode, HvcGateway gateway,
            ModuleRam moduleRam, KernelLog log, MiscDevices miscDevices) {
        this.initramfs = initramfs;
        this.cmdline = cmdline;
        this.protectedMode = protectedMode;
        this.gateway = gateway;
        this.moduleRam = moduleRam;
        this.log = log;
        this.miscDevices = miscDevices;
        this.verifyEl2 = !isOff(cmdline, EL2_VERIFY);
        this.checkAbi = !isOff(cmdline, MODVERSIONS);
        // A test-only switch taints the device: the measurement log says so, and the boot reports
        // it tainted (not protected) and refuses protected VMs (docs/adr/0008).
        if (!verifyEl2) {
            log.error(LOG, "{}=0: EL2 code of vendor modules is NOT verified; for testing only: the device is tainted [{}]",
                    EL2_VERIFY, ErrorCode.BOOT_TAINTED.code());
            initramfs.measurements().taint(EL2_VERIFY + "=0");
        }
        if (!checkAbi) {
            log.error(LOG, "{}=0: vendor modules are NOT checked against the running API; for testing only: the device is"
                    + " tainted [{}]", MODVERSIONS, ErrorCode.BOOT_TAINTED.code());
            initramfs.measurements().taint(MODVERSIONS + "=0");
        }
    }

    /**
     * Loads module {@code name} (and first its dependencies); a module already loaded is returned
     * as it is, as modprobe does.
     *
     * @throws PkvmException the errno of the first step that failed: {@code ENOENT} (not in the
     *     initramfs, unknown symbol), {@code ENOEXEC} (not a module file, bad descriptor), {@code
     *     EPERM} (forbidden requires), {@code EOPNOTSUPP} (EL2 load after deprivilege), {@code
     *     EINVAL} (dependency cycle), or the error the module's init reported
     * @throws HypPanicException if EL2 code panicked the hypervisor meanwhile
     */
    public synchronized LoadedModule modprobe(String name) {
        String module = ProtectedModules.normalize(name);
        Loaded existing = loaded.get(module);
        if (existing != null) {
            return existing.module();
        }
        long start = System.nanoTime();
        // The module as Log4j's thread context, for the appenders.
        try (CloseableThreadContext.Instance _ = HostLogger.threadContext("module", module)) {
            LoadedModule m = load(module).module();
            trace.moduleLoad(module, start, System.nanoTime() - start, "ok", null);
            return m;
        } catch (PkvmException e) {
            log.error(LOG, "modprobe {} failed: {}", module, e.getMessage());
            trace.moduleLoad(module, start, System.nanoTime() - start, e.getMessage(), ErrorCode.ofLoad(e).code());
            throw e;
        } catch (HypPanicException e) {
            trace.moduleLoad(module, start, System.nanoTime() - start, "hyp panic", ErrorCode.of(e).code());
            throw e;
        }
    }

    /** Tells {@code trace} every {@code modprobe} from now on: boot code sets it once, before the first load. */
    public synchronized void trace(BootTrace trace) {
        this.trace = java.util.Objects.requireNonNull(trace, "trace");
    }

    /**
     * The JPMS modules of every vendor layer this loader defined that is still reachable: after a
     * failed load and a GC, the failed module's layers are gone from this list unless something
     * leaks them.
     */
    public List<String> liveVendorLayers() {
        return layers.live();
    }

    /** The loaded modules, in load order. */
    public synchronized List<LoadedModule> lsmod() {
        List<LoadedModule> modules = new ArrayList<>(loaded.size());
        for (Loaded l : loaded.values()) {
            modules.add(l.module());
        }
        return List.copyOf(modules);
    }

    /** The loaded module {@code name}. */
    public synchronized Optional<LoadedModule> find(String name) {
        Loaded l = loaded.get(ProtectedModules.normalize(name));
        return l == null ? Optional.empty() : Optional.of(l.module());
    }

    /**
     * The {@link Pkvm} bound to loaded module {@code name}: the kernel's own handle on that
     * module's HVCs, for drivers, tests and benchmarks that call them as the module would.
     */
    public synchronized Optional<Pkvm> pkvm(String name) {
        Loaded l = loaded.get(ProtectedModules.normalize(name));
        return l == null ? Optional.empty() : Optional.of(l.pkvm());
    }

    /**
     * Reads module {@code name}'s file from the initramfs, without loading it ({@code modinfo NAME}).
     *
     * @throws PkvmException {@code ENOENT} if the initramfs has none; {@code ENOEXEC} if it is not a
     *     module file
     */
    public ModuleFile moduleFile(String name) {
        String module = ProtectedModules.normalize(name);
        return initramfs.inspect(module).orElseThrow(() -> notFound(module));
    }

    private Refusal notFound(String module) {
        return new Refusal(ErrorCode.LOAD_NOT_FOUND, Errno.ENOENT, "module " + module + " not found in initramfs " + initramfs.root());
    }

    /**
     * Fault injection: module {@code name}'s EL1 init, from now on, returns {@code -errno} after it
     * ran (its EL2 load and registrations done), as a {@code module_init} failing at its end does;
     * the loader then undoes its work like any failed init's. For {@code FaultPlan}, at boot.
     */
    public synchronized void injectEl1InitFault(String name, Errno errno) {
        el1InitFaults.put(ProtectedModules.normalize(name), Objects.requireNonNull(errno, "errno"));
    }

    private static boolean isOff(KernelCmdline cmdline, String key) {
        Optional<String> v = cmdline.get(key);
        return v.isPresent() && (v.get().equals("0") || v.get().equals("off"));
    }

    private Loaded load(String module) {
        // modules.dep first: a cycle or a missing file refuses the whole chain before any load.
        List<ModuleFile> order = ModulesDep.resolve(module, this::readModuleFile, loaded::containsKey);
        Loaded result = null;
        for (ModuleFile file : order) {
            List<Loaded> dependencies = new ArrayList<>();
            for (String d : file.modinfo().depends()) {
                dependencies.add(loaded.get(d));
            }
            try {
                result = loadChecked(file, dependencies, System.nanoTime());
            } catch (PkvmException e) {
                if (file.name().equals(module)) {
                    throw e;
                }
                // The dependencies loaded before it are complete modules and stay, as modprobe's do;
                // the refusal keeps the dependency's own code.
                throw new Refusal(ErrorCode.ofLoad(e), e.errno(), "modprobe " + module + ": dependency " + file.name()
                        + " failed: " + ModulesDep.detail(e), e);
            }
        }
        return result;
    }

    /**
     * Checks modules {@code names} ahead of their ordered load, on every core, and returns at once.
     *
     * <p>What the checks decide depends on a file's bytes alone (ADR 0018): they do not depend on the
     * load order, so each listed file is read (unmeasured, as {@code modinfo} reads it) and run
     * through the one pipeline ({@link ModuleChecks#report}) and the EL2 rewrite ({@link
     * El2Preemption}) on a pool of daemon threads, one per core, their results kept by the file's
     * digest ({@link LoadCache}). The ordered load ({@link #modprobe}) stays sequential, as the
     * kernel's: it reads and measures each file itself and runs every check again on exactly those
     * bytes, which then finds the verdict for that digest, or waits for it while it is being computed.
     * Nothing here refuses or loads anything: a file that fails a check is refused by the ordered
     * load, in order, with its own fresh refusal; a file changed in between is a new digest, checked
     * anew.
     *
     * <p>Kernel counterpart: none; the kernel's {@code load_module()} checks each module as it loads.
     *
     * @param names the modules about to be loaded, in load order (checked in that order)
     */
    public void checkAhead(List<String> names) {
        // A file this JVM already checked ahead (same path, size and time) is skipped: a JVM that
        // boots the same files again and again (pkvm explore) would only read each twice. A stale
        // hint costs only the overlap, never a check: the ordered load checks every file.
        List<String> todo = new ArrayList<>();
        for (String n : names) {
            String name = ProtectedModules.normalize(n);
            if (!LoadCache.checkedAhead(fileKey(name))) {
                todo.add(name);
            }
        }
        if (todo.size() < 2) {
            return; // one module: nothing to overlap with
        }
        for (String name : todo) {
            CheckAheadPool.get().execute(() -> checkAheadOne(name));
        }
    }

    private void checkAheadOne(String module) {
        try {
            Optional<ModuleFile> file = initramfs.inspect(module);
            if (file.isEmpty() || !file.get().name().equals(module)) {
                return;
            }
            String key = fileKey(module);
            CheckedModule checked = ModuleChecks.report(file.get(), checkOptions(Optional.empty()));
            checked.el2().ifPresent(part -> El2Preemption.hooks(module, file.get().sha256(), part));
            if (checked.refusals().isEmpty() && checked.violations().isEmpty()) {
                LoadCache.markCheckedAhead(key);
            }
        } catch (RuntimeException e) {
            // Not a verdict: the ordered load checks this file again and refuses it there, in order.
        }
    }

    /**
     * The digest of a file the initramfs holds in memory (its bytes cannot change), else a directory
     * file's path, size and modification time; null if neither (no such file).
     */
    private String fileKey(String module) {
        Optional<String> digest = initramfs.digest(module);
        if (digest.isPresent()) {
            return "sha256:" + digest.get() + "|" + checkAbi + verifyEl2;
        }
        try {
            Optional<java.nio.file.Path> path = initramfs.find(module);
            if (path.isEmpty()) {
                return null;
            }
            var attrs = java.nio.file.Files.readAttributes(path.get(), java.nio.file.attribute.BasicFileAttributes.class);
            return path.get().toAbsolutePath() + "|" + attrs.size() + "|" + attrs.lastModifiedTime().toMillis() + "|" + checkAbi + verifyEl2;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private ModuleChecks.Options checkOptions(Optional<List<String>> dependencyModules) {
        return new ModuleChecks.Options(dependencyModules, checkAbi ? RunningApi::read : null,
                verifyEl2 ? El2Verifier.bundled() : null, true, Optional.of(cmdline.kmi()));
    }

    private ModuleFile readModuleFile(String module) {
        // Through the initramfs, which measures the file and serves an image's verified bytes.
        ModuleFile file = initramfs.read(module).orElseThrow(() -> notFound(module));
        if (!file.name().equals(module)) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, file.path().getFileName() + " holds module " + file.name()
                    + ", not " + module);
        }
        return file;
    }

    private Loaded loadChecked(ModuleFile file, List<Loaded> dependencies, long start) {
        String module = file.name();
        // 1. Every check comes before the first class is defined: the one pipeline (ModuleChecks).
        // Loops, not streams, on the load path: each lambda was a class spun on a JVM's first boot.
        List<String> dependencyModules = new ArrayList<>(dependencies.size());
        List<ModuleLayer> dependencyLayers = new ArrayList<>(dependencies.size());
        for (Loaded d : dependencies) {
            dependencyModules.add(d.module().el1Module());
            dependencyLayers.add(d.el1Layer());
        }
        CheckedModule checked = ModuleChecks.check(file, checkOptions(Optional.of(List.copyOf(dependencyModules))));
        if (checked.abi().orElse(null) == SymbolCheck.Outcome.LINK_CHECKED) {
            log.warn(LOG, "{}: no symbol versions (no {}); every API reference was link-checked instead", module,
                    ModVersions.ENTRY);
        }
        ModuleDescriptor el1 = checked.el1().descriptor();
        Optional<ModulePkvm.El2Part> el2 = Optional.empty();
        if (checked.el2().isPresent()) {
            CheckedModule.Part part = checked.el2().get();
            el2 = Optional.of(new ModulePkvm.El2Part(part, checked.symbols(), checked.sections(), EL2_JDK_CLASSES,
                    El2Preemption.hooks(module, file.sha256(), part)));
        }
        // 2. The EL1 layer, and its one KernelModule.
        ModuleLayer el1Layer = layers.defineEl1(module, checked.el1(), List.copyOf(dependencyLayers)).layer();
        KernelModule instance = instantiate(module, el1Layer);
        // 3. The init, with a Pkvm bound to this module; undo its EL2 work if it fails.
        ModulePkvm pkvm = new ModulePkvm(module, protectedMode, gateway, moduleRam, layers, el2);
        ModuleContextImpl ctx = new ModuleContextImpl(module, pkvm, cmdline, log, miscDevices);
        try {
            instance.init(ctx);
            failIfInjected(module);
        } catch (PkvmException e) {
            throw undo(module, pkvm, ctx, e);
        } catch (HypPanicException e) {
            throw e;
        } catch (RuntimeException e) {
            throw undo(module, pkvm, ctx, new Refusal(ErrorCode.LOAD_INIT_FAILED, Errno.EFAULT, module + ": init threw " + e, e));
        }
        LoadedModule report = new LoadedModule(module, file.modinfo(), file.sha256(), el1.name(), pkvm.token(),
                pkvm.registered(), System.nanoTime() - start, file.signature());
        Loaded result = new Loaded(report, el1Layer, instance, pkvm, ctx);
        loaded.put(module, result);
        List<String> hvcs = new ArrayList<>(report.hvcs().size());
        for (HvcNumber h : report.hvcs()) {
            hvcs.add(Integer.toString(h.id()));
        }
        log.info(LOG, "{}: loaded {}{}", module, report.token().isPresent() ? "EL2 at " + report.token().get() + ", " : "",
                hvcs.isEmpty() ? "no HVCs" : "HVCs " + hvcs);
        return result;
    }

    /**
     * {@code rmmod NAME}: unloads an ordinary EL1 module. Its exit hook runs, the kernel deregisters
     * the misc devices it left, revokes its context and forgets it; the returned {@link
     * LayerRelease} tells whether its layer and class loader were then really freed.
     *
     * <p>Kernel counterpart: {@code delete_module(name, O_NONBLOCK)}, with its errnos.
     *
     * @throws PkvmException {@code ENOENT} if no module of that name is loaded; {@code EAGAIN}
     *     ({@code EWOULDBLOCK}, "in use") if loaded modules depend on it, or if it is a pKVM module:
     *     {@code __pkvm_load_el2_module} took a reference ({@code try_module_get}) that is never
     *     dropped, because EL2 code cannot be unloaded
     */
    public synchronized Unloaded rmmod(String name) {
        String module = ProtectedModules.normalize(name);
        try (CloseableThreadContext.Instance _ = HostLogger.threadContext("module", module)) {
            Loaded target = loaded.get(module);
            if (target == null) {
                throw new Refusal(ErrorCode.RMMOD_NOT_LOADED, Errno.ENOENT, "module " + module + " is not currently loaded");
            }
            List<String> holders = holders(module);
            if (!holders.isEmpty()) {
                throw new Refusal(ErrorCode.RMMOD_IN_USE, Errno.EAGAIN, "module " + module + " is in use by: "
                        + String.join(",", holders));
            }
            if (target.module().isPkvmModule()) {
                throw new Refusal(ErrorCode.RMMOD_IN_USE, Errno.EAGAIN, "module " + module + " is in use: a pKVM module keeps"
                        + " the reference its EL2 load took, for good (EL2 code cannot be unloaded)");
            }
            return unload(target);
        } catch (PkvmException e) {
            log.warn(LOG, "rmmod {} failed: {}", module, e.getMessage());
            throw e;
        }
    }

    /**
     * The loaded modules that depend on {@code name}: {@code lsmod}'s "Used by", without the
     * reference a pKVM module holds on itself.
     */
    public synchronized List<String> holders(String name) {
        String module = ProtectedModules.normalize(name);
        return loaded.values().stream().map(Loaded::module)
                .filter(m -> m.modinfo().depends().contains(module))
                .map(LoadedModule::name)
                .toList();
    }

    private Unloaded unload(Loaded target) {
        String module = target.module().name();
        // module_exit first, while everything it may tear down still exists.
        Optional<String> exitFailure = Optional.empty();
        try {
            target.instance().exit(target.ctx());
        } catch (RuntimeException e) {
            exitFailure = Optional.of(e.toString());
            log.error(LOG, "{}: exit hook threw {}; unloading anyway", module, e.toString());
        }
        // Then what it left behind: no registration through its context from here on.
        target.ctx().revoke();
        List<String> devices = miscDevices.deregisterAll(module);
        if (!devices.isEmpty()) {
            log.info(LOG, "{}: deregistered /dev/{}", module, String.join(", /dev/", devices));
        }
        loaded.remove(module);
        log.info(LOG, "{}: unloaded", module);
        return new Unloaded(module, devices, exitFailure,
                new LayerRelease(module, target.module().el1Module(), target.el1Layer(), miscDevices));
    }

    private void failIfInjected(String module) {
        Errno injected = el1InitFaults.get(module);
        if (injected != null) {
            log.warn(LOG, "fault injection: {}: EL1 init fails with {} after it ran", module, injected);
            throw new PkvmException(injected, module + ": EL1 init failed with " + injected + " (injected fault)");
        }
    }

    /** Undoes a failed init's work and returns {@code failure}, with any undo error attached. */
    private PkvmException undo(String module, ModulePkvm pkvm, ModuleContextImpl ctx, PkvmException failure) {
        // As rmmod does: no registration through a context the module kept (a thread of its own)
        // from here on, then what it registered goes.
        ctx.revoke();
        miscDevices.deregisterAll(module);
        try {
            pkvm.rollback();
        } catch (PkvmException e) {
            failure.addSuppressed(e);
        }
        return failure;
    }

    private static KernelModule instantiate(String module, ModuleLayer layer) {
        List<ServiceLoader.Provider<KernelModule>> providers = ServiceLoader.load(layer, KernelModule.class).stream()
                .filter(p -> p.type().getModule().getLayer() == layer)
                .toList();
        if (providers.size() != 1) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": expected one KernelModule in its layer, found "
                    + providers.size());
        }
        try {
            return providers.getFirst().get();
        } catch (java.util.ServiceConfigurationError e) {
            throw new Refusal(ErrorCode.LOAD_NOT_MODULE_FILE, Errno.ENOEXEC, module + ": cannot instantiate its KernelModule: " + e.getMessage(), e);
        }
    }
}
