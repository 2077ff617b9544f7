package org.pkvm4j.machine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A simulated arm64 machine: CPUs, DRAM, a UART in the MMIO window below it, the memory module
 * images are placed in, and the EL2 vector register.
 *
 * <p>Whoever builds a machine holds it whole until it gives away {@link #takeHypPlatform()}, which
 * it can do once; after that it holds CPUs that can trap and nothing that changes EL2. The EL2
 * vector ({@code VBAR_EL2}) can be written once, by {@link #installEl2Vector}. The host reaches DRAM
 * only through {@link #hostMemory()}, checked against the host stage-2 that only the hypervisor
 * writes (through {@link HypPlatform#memory()}).
 */
public final class Machine {
    private static final VarHandle PANIC;

    static {
        try {
            PANIC = MethodHandles.lookup().findVarHandle(Machine.class, "panic", HypPanic.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Physical address of the PL011 UART in the MMIO window, as on QEMU's arm64 {@code virt} board. */
    public static final long UART_PA = 0x0900_0000L;
    /** PL011 data register offset ({@code UARTDR}). */
    static final long UARTDR = 0x00;
    /** PL011 flag register offset ({@code UARTFR}). */
    static final long UARTFR = 0x18;
    /** {@code UARTFR}: transmit FIFO empty and receive FIFO empty; the model transmits at once. */
    static final long UARTFR_IDLE = 0x90;

    private final MachineConfig config;
    private final Cpu[] cpus;
    private final Uart uart = new Uart();
    private final ModuleRam moduleRam;
    private final Dram dram;
    private final HostMemory hostMemory;
    private final Smmu smmu;
    // MMIO pages the host donated to EL2 (host_donate_hyp with accept_mmio): a host access faults.
    private final java.util.Set<Long> hypMmio = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final long powerOnNanos = System.nanoTime();
    private final AtomicInteger nextAffinity = new AtomicInteger();
    private final CpuClaims claims;
    // Per machine, not static: which CPU each thread prefers and which one it holds now.
    private static final int NONE = -1;
    private final ThreadLocal<Affinity> affinity = ThreadLocal.withInitial(this::newAffinity);
    // Read on every HVC's way in and out: a field of this machine, not an AtomicReference behind it
    // (one load less in a chain of dependent loads); set once, by compare-and-set (PANIC).
    private volatile HypPanic panic;
    private final List<Consumer<HypPanic>> panicListeners = new CopyOnWriteArrayList<>();
    // The panic whose before-panic hook (the hypervisor's panic notifiers) is running, if any.
    private final AtomicReference<HypPanic> panicking = new AtomicReference<>();
    private volatile BiConsumer<Cpu, HypPanic> beforePanic;
    private volatile El2Vector el2Vector;
    private final El3Firmware firmware;
    private volatile SystemPower systemPower = SystemPower.RUNNING;
    private HypPlatform platform;
    private TraceUnit traceUnit;
    // Strongly held here, weakly by the detector's thread: a machine nobody holds stops being watched.
    private LockupDetector.Watch lockupWatch;

    /** Powers on a machine of the given shape. */
    public Machine(MachineConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.cpus = new Cpu[config.nrCpus()];
        this.claims = new CpuClaims(config.nrCpus());
        this.dram = new Dram(config.memBytes());
        this.moduleRam = new ModuleRam(dram);
        this.hostMemory = new HostMemory(this, dram);
        this.smmu = new Smmu(new HypMemory(dram, this));
        for (int i = 0; i < cpus.length; i++) {
            cpus[i] = new Cpu(i, this);
        }
        this.firmware = new El3Firmware(this);
        this.platform = new HypPlatform(this);
    }

    /** The shape this machine was built with. */
    public MachineConfig config() {
        return config;
    }

    /** The number of CPUs. */
    public int nrCpus() {
        return cpus.length;
    }

    /** The CPUs, in number order. */
    public List<Cpu> cpus() {
        return List.of(cpus);
    }

    /** The serial port. */
    public Uart uart() {
        return uart;
    }

    /** The memory EL2 module images are placed in. */
    public ModuleRam moduleRam() {
        return moduleRam;
    }

    /** DRAM's geometry and accounting (what is committed); its contents are reached elsewhere. */
    public Dram dram() {
        return dram;
    }

    /** The host's loads and stores, checked against the host stage-2. */
    public HostMemory hostMemory() {
        return hostMemory;
    }

    /** The SMMU every DMA master's accesses go through; its event queue holds the aborted ones. */
    public Smmu smmu() {
        return smmu;
    }

    /**
     * The DMA master whose transactions carry stream id {@code streamId} (a device the host drives).
     *
     * @throws IllegalArgumentException for a stream id outside {@code 0..}{@link Smmu#NR_STREAMS}{@code -1}
     */
    public DmaEngine dmaEngine(int streamId) {
        if (streamId < 0 || streamId >= Smmu.NR_STREAMS) {
            throw new IllegalArgumentException("stream id %d outside 0..%d".formatted(streamId, Smmu.NR_STREAMS - 1));
        }
        return new DmaEngine(streamId, smmu, new HypMemory(dram, this));
    }

    /** Nanoseconds since power-on, monotonic. */
    public long uptimeNanos() {
        return System.nanoTime() - powerOnNanos;
    }

    /**
     * Hands out the privileged capabilities, once.
     *
     * @throws IllegalStateException on the second call: they belong to the hypervisor now
     */
    public synchronized HypPlatform takeHypPlatform() {
        if (platform == null) {
            throw new IllegalStateException("the hypervisor platform of this machine was already handed out");
        }
        HypPlatform p = platform;
        platform = null;
        return p;
    }

    /**
     * Switches on the trace unit: from now on the hypervisor may record each handler execution into
     * per-CPU buffers of {@code spansPerCpu} spans, which the returned unit reads. Boot code calls it
     * while it still holds the whole machine, before {@link #takeHypPlatform()}.
     *
     * @throws IllegalStateException once the platform was handed out, or if tracing is already on
     */
    public synchronized TraceUnit enableTrace(int spansPerCpu) {
        if (platform == null) {
            throw new IllegalStateException("the trace unit is configured before the hypervisor takes its platform");
        }
        if (traceUnit != null) {
            throw new IllegalStateException("the trace unit is already on");
        }
        traceUnit = new TraceUnit(cpus.length, spansPerCpu);
        return traceUnit;
    }

    synchronized void armLockupDetector(long boundNanos, long budgetNanos, long allocBytes, LockupListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (boundNanos <= 0 || budgetNanos <= 0 || allocBytes < 0) {
            throw new IllegalArgumentException("lockup bound and budget must be positive, the allocation budget not negative:"
                    + " %d, %d, %d".formatted(boundNanos, budgetNanos, allocBytes));
        }
        if (lockupWatch != null) {
            throw new IllegalStateException("the lockup detector of this machine is armed already");
        }
        lockupWatch = new LockupDetector.Watch(cpus, boundNanos, budgetNanos, allocBytes, listener);
        LockupDetector.watch(lockupWatch);
    }

    /**
     * Stops watching this machine for lockups, if it was watched: the machine is shut down. The
     * detector's thread ends once no machine is watched (a machine nobody holds is dropped anyway).
     */
    public synchronized void stopLockupDetector() {
        if (lockupWatch != null) {
            LockupDetector.unwatch(lockupWatch);
            lockupWatch = null;
        }
    }

    Cpu[] cpuArray() {
        return cpus;
    }

    synchronized TraceUnit traceUnit() {
        return traceUnit;
    }

    /**
     * Writes {@code VBAR_EL2}: from now on {@link Cpu#hvc()} enters {@code vector}.
     *
     * @throws IllegalStateException if a vector is already installed (EL1 cannot rewrite it)
     */
    public synchronized void installEl2Vector(El2Vector vector) {
        Objects.requireNonNull(vector, "vector");
        if (el2Vector != null) {
            throw new IllegalStateException("VBAR_EL2 is already set; it cannot be written from EL1");
        }
        el2Vector = vector;
    }

    /** Whether a hypervisor vector is installed. */
    public boolean hasEl2Vector() {
        return el2Vector != null;
    }

    /** The recorded hypervisor panic, or null while the machine runs. */
    public HypPanic panic() {
        return panic;
    }

    /**
     * Claims a CPU for the calling thread for one trap ({@code get_cpu()}): the thread's preferred
     * CPU when it is free, else the first free one. Pair with {@link #putCpu(Cpu)} in a {@code
     * finally}.
     */
    public Cpu getCpu() {
        Affinity a = affinity.get();
        Cpu cpu;
        if (a.pinned >= 0) {
            cpu = cpus[a.pinned];
        } else {
            cpu = cpus[a.preferred];
            if (!cpu.tryClaim()) {
                cpu = claimAny(a);
            }
        }
        a.current = cpu.id();
        return cpu;
    }

    /**
     * Pins a CPU to the calling thread until the pin is closed: {@link #getCpu()} then returns it
     * without claiming it on every trap. Waits while every CPU is busy.
     *
     * @throws IllegalStateException if this thread already pins a CPU
     */
    public CpuPin pinCurrentThread() {
        Affinity a = affinity.get();
        if (a.pinned >= 0) {
            throw new IllegalStateException(Thread.currentThread() + " already pins " + cpus[a.pinned]);
        }
        Cpu cpu = cpus[a.preferred];
        if (!cpu.tryClaim()) {
            cpu = claimAny(a);
        }
        cpu.pinned = true;
        a.pinned = cpu.id();
        return new CpuPin(this, cpu);
    }

    /** Whether the calling thread pins a CPU ({@link #pinCurrentThread()}). */
    public boolean currentThreadPins() {
        return affinity.get().pinned >= 0;
    }

    /**
     * Pins CPU {@code id} to the calling thread, waiting while another thread holds it: what {@code
     * on_each_cpu} does to run a function on one CPU.
     *
     * @throws IllegalStateException if this thread already pins a CPU
     */
    public CpuPin pinCurrentThread(int id) {
        Objects.checkIndex(id, cpus.length);
        Affinity a = affinity.get();
        if (a.pinned >= 0) {
            throw new IllegalStateException(Thread.currentThread() + " already pins " + cpus[a.pinned]);
        }
        Cpu cpu = cpus[id];
        while (!cpu.tryClaim()) {
            Thread.onSpinWait();
        }
        cpu.pinned = true;
        a.pinned = id;
        a.current = id;
        return new CpuPin(this, cpu);
    }

    /**
     * Raises an SError (an asynchronous external abort, e.g. from the interconnect) on CPU {@code
     * id}: it stays pending until the CPU runs with SError unmasked: at EL2 if the hypervisor unmasked
     * it for a trap, else at EL1 when the CPU next returns from EL2 to the host.
     */
    public void raiseSerror(int id) {
        cpus[Objects.checkIndex(id, cpus.length)].raiseSerror();
    }

    void unpin(Cpu cpu) {
        Affinity a = affinity.get();
        if (a.pinned != cpu.id()) {
            throw new IllegalStateException(cpu + " is not pinned by " + Thread.currentThread());
        }
        a.pinned = NONE;
        cpu.pinned = false;
        cpu.release();
    }

    /**
     * Claims CPU {@code id} for the calling thread, waiting while another trap runs on it.
     *
     * @throws IllegalStateException if the CPU is off (PSCI CPU_OFF, SYSTEM_OFF)
     */
    public Cpu getCpu(int id) {
        Objects.checkIndex(id, cpus.length);
        Affinity a = affinity.get();
        Cpu cpu = cpus[id];
        if (a.pinned != id) {
            while (!cpu.tryClaim()) {
                if (claims.isParked(id)) {
                    throw new IllegalStateException(cpu + " is off");
                }
                Thread.onSpinWait();
            }
        }
        a.current = id;
        return cpu;
    }

    /** Gives back a CPU claimed with {@link #getCpu()} ({@code put_cpu()}); a pinned CPU stays pinned. */
    public void putCpu(Cpu cpu) {
        if (!cpu.pinned) {
            cpu.release();
        }
    }

    Cpu currentCpu() {
        int current = affinity.get().current;
        return current == NONE ? null : cpus[current];
    }

    El2Vector el2Vector() {
        return el2Vector;
    }

    /** The secure firmware at EL3. */
    El3Firmware firmware() {
        return firmware;
    }

    /**
     * The memory FF-A shares hand to the secure world, as the firmware recorded them: handle to
     * {first PA, page count}.
     */
    public java.util.Map<Long, long[]> secureWorldShares() {
        return firmware.ffaShares();
    }

    /** Whether the machine runs, or which PSCI call switched it off. */
    public SystemPower systemPower() {
        return systemPower;
    }

    void systemPower(SystemPower state) {
        systemPower = state;
    }

    /**
     * Runs {@code body} on the calling thread as CPU {@code target} (which the caller holds), then
     * makes {@code caller} the thread's CPU again: the firmware starting a CPU after a trap.
     */
    void runAs(Cpu target, Cpu caller, Runnable body) {
        Affinity a = affinity.get();
        int before = a.current;
        a.current = target.id();
        try {
            body.run();
        } finally {
            a.current = caller == null ? before : caller.id();
        }
    }

    // ---------------------------------------------------------------- pvmfw

    /**
     * Where the boot loader placed the protected-VM firmware (pvmfw): 16 pages below a quarter of
     * DRAM, the host's memory until a pVM boots from it; the hypervisor poisons it on SYSTEM_OFF and
     * SYSTEM_RESET.
     */
    public long pvmfwBase() {
        return dram.base() + (dram.size() / 4 & -MachineConfig.PAGE_SIZE) - PVMFW_SIZE;
    }

    /** The size of the pvmfw region. */
    public static final long PVMFW_SIZE = 16 * MachineConfig.PAGE_SIZE;

    /**
     * A host access the host stage-2 refused: traps to EL2 on a CPU claimed for the calling thread.
     * Returns if EL2 fixed the mapping (the access is retried); throws {@link Stage2Fault}, naming the
     * owner EL2 saw, if it injected an abort. With no EL2 vector there is nobody to fix anything: the
     * abort is raised, unless the page became accessible since the access was refused (a transition
     * raced with it), in which case the access is retried.
     */
    void hostMemAbort(long pa, boolean write) {
        El2Vector vector = el2Vector;
        OwnerId owner = null;
        if (vector != null) {
            Cpu cpu = getCpu();
            try {
                owner = cpu.memAbort(vector, pa, write);
            } finally {
                putCpu(cpu);
            }
        }
        if (owner == OwnerId.HOST) {
            return;
        }
        if (owner == null && !dram.isMemory(pa)) {
            owner = isHypMmio(pa >>> Dram.PAGE_SHIFT) ? OwnerId.HYP : OwnerId.HOST;
            if (owner == OwnerId.HOST) {
                return;
            }
        }
        if (owner == null) {
            // Read now, not when the fault was taken: only a report, and only for vectors that say nothing.
            long word = dram.word((pa - Dram.BASE) >>> Dram.PAGE_SHIFT);
            if (HypPage.hostAccessible(word)) {
                return; // the page came back meanwhile: the retried access walks the new entry
            }
            owner = HypPage.annotationOwner(word);
        }
        throw new Stage2Fault(pa, write, owner);
    }

    /**
     * A host permission fault on {@code pa}: returns if EL2 claimed it, else throws the injected
     * abort (the page is the host's own, so the fault names owner HOST).
     */
    void hostPermFault(long pa, boolean write) {
        El2Vector vector = el2Vector;
        boolean claimed = false;
        if (vector != null) {
            Cpu cpu = getCpu();
            try {
                claimed = cpu.permFault(vector, pa, write);
            } finally {
                putCpu(cpu);
            }
        }
        if (!claimed) {
            throw new Stage2Fault(pa, write, OwnerId.HOST);
        }
    }

    /** A load outside DRAM: the UART's and the SMMU's registers, else RAZ. */
    long mmioLoad(long pa, int width) {
        if (Smmu.owns(pa)) {
            return smmu.mmioLoad(pa, width);
        }
        return pa == UART_PA + UARTFR ? UARTFR_IDLE : 0;
    }

    /** A store outside DRAM: a byte to {@code UARTDR} transmits it, an SMMU register is written, else WI. */
    void mmioStore(long pa, int width, long value) {
        if (Smmu.owns(pa)) {
            smmu.mmioStore(pa, width, value);
        } else if (pa == UART_PA + UARTDR) {
            uart.putc((char) (value & 0xFF));
        }
    }

    /** Whether the host donated MMIO page {@code pfn} to EL2 (its stage-2 no longer maps it). */
    boolean isHypMmio(long pfn) {
        return hypMmio.contains(pfn);
    }

    void setHypMmio(long pfn, boolean hyp) {
        if (hyp) {
            hypMmio.add(pfn);
        } else {
            hypMmio.remove(pfn);
        }
    }

    Dram dramInternal() {
        return dram;
    }

    CpuClaims claims() {
        return claims;
    }

    /** Installs the hook run before a panic is recorded (the hypervisor's panic notifiers); once. */
    synchronized void beforePanic(BiConsumer<Cpu, HypPanic> hook) {
        if (beforePanic != null) {
            throw new IllegalStateException("the before-panic hook is installed already");
        }
        beforePanic = Objects.requireNonNull(hook, "hook");
    }

    /**
     * A panic on {@code cpu}: runs the before-panic hook first (on this thread), then records the
     * report. A second panic while the hook runs (the lockup watchdog catching a hook that does not
     * return, or the hook's own failure) records the first report at once, with the second as its
     * cause; the hook's thread then finds the panic recorded.
     */
    void panic(Cpu cpu, HypPanic report) {
        if (panic != null) {
            return;
        }
        BiConsumer<Cpu, HypPanic> hook = beforePanic;
        if (hook == null) {
            recordPanic(report);
            return;
        }
        if (panicking.compareAndSet(null, report)) {
            try {
                hook.accept(cpu, report);
            } catch (Throwable t) {
                // The hook contains what it runs; whatever still escapes must not cost the report.
            }
            recordPanic(report);
        } else {
            HypPanic first = panicking.get();
            recordPanic(new HypPanic(first.cpu(), first.reason(), first.detail()
                    + "while the panic notifiers ran: " + report.reason() + "\n" + report.detail(), first.uptimeNanos()));
        }
    }

    void recordPanic(HypPanic report) {
        if (PANIC.compareAndSet(this, null, report)) {
            for (Consumer<HypPanic> listener : panicListeners) {
                listener.accept(report);
            }
        }
    }

    /**
     * Calls {@code listener} when the hypervisor panics, on the panicking CPU: the host's
     * {@code hyp_panic} handler that prints the report.
     */
    public void onHypPanic(Consumer<HypPanic> listener) {
        panicListeners.add(Objects.requireNonNull(listener, "listener"));
    }

    private Cpu claimAny(Affinity a) {
        // Every trap is short (EL2 runs to completion), so waiting for a CPU is a spin, not a park.
        while (true) {
            int parked = 0;
            for (int i = 1; i <= cpus.length; i++) {
                int id = (a.preferred + i) % cpus.length;
                if (cpus[id].tryClaim()) {
                    return cpus[id];
                }
                if (claims.isParked(id)) {
                    parked++;
                }
            }
            if (parked == cpus.length) {
                throw new IllegalStateException("every CPU is off (" + (systemPower == SystemPower.RUNNING ? "PSCI CPU_OFF" : "PSCI " + systemPower) + ")");
            }
            Thread.onSpinWait();
        }
    }

    private Affinity newAffinity() {
        return new Affinity(Math.floorMod(nextAffinity.getAndIncrement(), cpus.length));
    }

    /**
     * Which CPU a thread starts its search at, which one it holds now, and which one it pinned.
     *
     * <p>CPU numbers, not {@link Cpu} references: a thread's {@code ThreadLocal} value must not reach
     * the machine, or the entry's weakly held key (the machine's {@code affinity}) stays strongly
     * reachable through it and every thread that ever trapped keeps the whole machine (DRAM, layers)
     * alive until it dies; a test JVM booting hundreds of devices on one thread would fill up.
     */
    private static final class Affinity {
        final int preferred;
        int current = NONE;
        int pinned = NONE;

        Affinity(int preferred) {
            this.preferred = preferred;
        }
    }
}
