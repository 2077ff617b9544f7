package org.pkvm4j.bench;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.host.BootConfig;
import org.pkvm4j.host.HostKernel;
import org.pkvm4j.host.SecurityState;
import org.pkvm4j.host.hvc.HvcGateway;
import org.pkvm4j.host.loader.LoadedModule;
import org.pkvm4j.machine.Dram;
import org.pkvm4j.machine.HostHcall;
import org.pkvm4j.machine.HostMemory;
import org.pkvm4j.machine.Stage2Fault;

/**
 * A booted device for the memory benchmarks: {@code mem=4G}, the {@value MemFixtureModule#NAME}
 * module as its one protected module, host deprivileged. Shared by every thread of a trial.
 *
 * <p>DRAM layout of the measurements (DRAM starts at {@link Dram#BASE}; the offsets are from there):
 * <pre>
 *   [1 GiB, 2 GiB)              the KVM guest page pool (Kvm: [size/4, size/2))
 *   [2 GiB, 3 GiB)              the donate+reclaim range, 262,144 pages
 *   3 GiB + 64 * i pages        the page thread i shares and unshares (disjoint metadata cache lines)
 *   3 GiB + 1 MiB               the page of the checked host load
 *   [4 GiB - 128 MiB, 4 GiB)    the module area (ModuleRam)
 * </pre>
 * Setup checks each transition once, with its effect seen by the host: a donated page faults on a
 * host load, a reclaimed one does not.
 */
@State(Scope.Benchmark)
public class MemDevice {
    /** DRAM size. */
    public static final long MEM = 4L << 30;
    /** The kernel command line booted with. */
    public static final String CMDLINE = "kvm-arm.mode=protected kvm-arm.protected_modules=" + MemFixtureModule.NAME
            + " nr_cpus=4 mem=4G";
    /** Pages of the donate+reclaim range: 1 GiB. */
    public static final long RANGE_PAGES = 262_144;
    /** First pfn of the donate+reclaim range. */
    public static final long RANGE_PFN = (Dram.BASE + (2L << 30)) >>> Dram.PAGE_SHIFT;
    /** The page thread 0 shares; thread i uses {@code SHARE_PFN + 64 * i}. */
    public static final long SHARE_PFN = (Dram.BASE + (3L << 30)) >>> Dram.PAGE_SHIFT;
    /** The address of the checked host load: page-aligned plus 0x128, in a host-owned page. */
    public static final long LOAD_PA = Dram.BASE + (3L << 30) + (1L << 20) + 0x128;

    /** The booted device. */
    public HostKernel kernel;
    /** The trap gateway ({@code kvm_call_hyp_nvhe}). */
    public HvcGateway gateway;
    /** The host's stage-2-checked memory. */
    public HostMemory hostMemory;
    /** membench's Pkvm. */
    public Pkvm pkvm;
    /** membench's HVC. */
    public HvcNumber hvc;

    private Path ownInitramfs;

    /** Boots the device and checks every transition the benchmarks use once. */
    @Setup(Level.Trial)
    public void boot() throws IOException, URISyntaxException {
        String given = System.getProperty(Device.INITRAMFS_PROPERTY);
        Path initramfs;
        if (given != null && !given.isBlank() && Files.isRegularFile(Path.of(given, MemFixtureModule.NAME + ".jar"))) {
            initramfs = Path.of(given);
        } else {
            ownInitramfs = Files.createTempDirectory("pkvm4j-bench-mem-initramfs");
            MemFixtureModule.write(ownInitramfs, Device.apiJar());
            initramfs = ownInitramfs;
        }
        kernel = HostKernel.boot(BootConfig.of(CMDLINE, initramfs));
        if (!(kernel.securityState() instanceof SecurityState.Protected) || !kernel.isDeprivileged()) {
            throw new IllegalStateException("the memory benchmark device did not boot protected and deprivileged: "
                    + kernel.securityState().describe() + "\n" + dmesg());
        }
        gateway = kernel.gateway();
        hostMemory = kernel.machine().hostMemory();
        LoadedModule module = kernel.lsmod().stream().filter(m -> m.name().equals(MemFixtureModule.NAME)).findFirst()
                .orElseThrow(() -> new IllegalStateException(MemFixtureModule.NAME + " is not loaded\n" + dmesg()));
        hvc = module.hvcs().getFirst();
        pkvm = kernel.pkvm(MemFixtureModule.NAME).orElseThrow();

        // donate: the host loses the whole range; reclaim: it gets it back.
        long last = (RANGE_PFN + RANGE_PAGES - 1) << Dram.PAGE_SHIFT;
        expect(0, pkvm.el2ModCall(hvc, MemFixtureModule.OP_DONATE, RANGE_PFN, RANGE_PAGES), "host_donate_hyp of 1 GiB");
        expectFault(RANGE_PFN << Dram.PAGE_SHIFT);
        expectFault(last);
        expect(0, pkvm.el2ModCall(hvc, MemFixtureModule.OP_RECLAIM, RANGE_PFN, RANGE_PAGES), "hyp_donate_host of 1 GiB");
        hostMemory.load64(last);
        // share + unshare through the static hypercalls.
        expect(0, gateway.hostHcall(HostHcall.PKVM_HOST_SHARE_HYP, SHARE_PFN, 0, 0), "__pkvm_host_share_hyp");
        expect(0, gateway.hostHcall(HostHcall.PKVM_HOST_UNSHARE_HYP, SHARE_PFN, 0, 0), "__pkvm_host_unshare_hyp");
        // The load's page: written once by the host, so its DRAM chunk is committed.
        hostMemory.store64(LOAD_PA & -8, 0x1234_5678_9ABC_DEF0L);
        expect(0x1234_5678_9ABC_DEF0L, hostMemory.load64(LOAD_PA & -8), "host load after store");
    }

    /** Checks the machine did not panic meanwhile and removes a self-made initramfs. */
    @TearDown(Level.Trial)
    public void shutdown() {
        Device.shutdown(kernel, ownInitramfs);
    }

    static void expect(long expected, long actual, String what) {
        if (expected != actual) {
            throw new IllegalStateException("%s returned %d (0x%x), expected %d".formatted(what, actual, actual, expected));
        }
    }

    private void expectFault(long pa) {
        try {
            hostMemory.load64(pa);
        } catch (Stage2Fault expected) {
            return;
        }
        throw new IllegalStateException("a host load of donated PA 0x%x did not fault".formatted(pa));
    }

    private String dmesg() {
        return String.join("\n", kernel.log().lines());
    }
}
