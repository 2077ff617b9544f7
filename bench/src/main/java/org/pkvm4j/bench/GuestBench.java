package org.pkvm4j.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.pkvm4j.host.kvm.GuestProgram;
import org.pkvm4j.host.kvm.Kvm;
import org.pkvm4j.host.kvm.KvmVcpu;
import org.pkvm4j.host.kvm.KvmVm;
import org.pkvm4j.machine.Dram;

/**
 * The guest transitions of a protected VM, through the host's KVM-style API ({@code
 * org.pkvm4j.host.kvm}) on the {@link MemDevice}, per page, one thread:
 *
 * <ul>
 * <li>{@link #firstTouchDonate}: a guest store to a page it never touched. The store exits to the
 *     host with a stage-2 fault, the host donates one pool page ({@code __pkvm_host_donate_guest}:
 *     host NOPAGE annotated GUEST, guest OWNED) and the store runs again: three world switches and
 *     the host's fault handling. One invocation is a {@code KVM_RUN} touching {@value #PAGES}
 *     fresh pages of a VM created (and run once, so the hyp VM exists) in the iteration's setup.
 * <li>{@link #memShareUnshare}: the guest's {@code MEM_SHARE} then {@code MEM_UNSHARE} hypercall of
 *     one page it owns ({@code __pkvm_guest_share_host}, {@code __pkvm_guest_unshare_host}), {@value
 *     #HVC_PAIRS} pairs in one {@code KVM_RUN}, so the vCPU load/put is amortised as a running
 *     guest amortises it.
 * <li>{@link #teardownReclaim}: {@code KvmVm.destroy()} of a VM whose {@value #PAGES} pages are
 *     private and written: {@code __pkvm_start_teardown_vm}, one {@code
 *     __pkvm_reclaim_dying_guest_page} per page (zeroing it), {@code __pkvm_finalize_teardown_vm},
 *     per page.
 * </ul>
 * The first-touch and teardown figures are single shots (each page can be donated once per VM):
 * JMH's {@code -wi}/{@code -i} count VMs. Results are checked; pages return to the pool (checked
 * after every iteration), so every iteration after the first reuses committed DRAM.
 */
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Threads(1)
public class GuestBench {
    /** Pages per single-shot VM: 64 MiB. */
    public static final int PAGES = 16_384;
    /** MEM_SHARE/MEM_UNSHARE pairs per {@code KVM_RUN}. */
    public static final int HVC_PAIRS = 1_024;
    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_MEM_SHARE_FUNC_ID}. */
    static final long MEM_SHARE = 0xC600_0003L;
    /** {@code ARM_SMCCC_VENDOR_HYP_KVM_MEM_UNSHARE_FUNC_ID}. */
    static final long MEM_UNSHARE = 0xC600_0004L;
    private static final long PAGE = 1L << Dram.PAGE_SHIFT;

    /** A protected VM with one memslot of {@code PAGES} pages at IPA 0 and no vCPU yet. */
    static KvmVm newVm(MemDevice d) {
        KvmVm vm = d.kernel.kvm().createVm(Kvm.KVM_VM_TYPE_ARM_PROTECTED);
        vm.setUserMemoryRegion(0, 0, 0, PAGES * PAGE);
        return vm;
    }

    /** Stores to every page once: the first touch of each. */
    static final GuestProgram TOUCH_ALL = cpu -> {
        for (long i = 0; i < PAGES; i++) {
            cpu.store64(i * PAGE, i + 1);
        }
    };

    /** A VM created and run once (the hyp VM exists, no page mapped); destroyed after the iteration. */
    @State(Scope.Thread)
    public static class FreshVm {
        KvmVm vm;
        KvmVcpu vcpu;

        /** Creates the VM. */
        @Setup(Level.Iteration)
        public void create(MemDevice d) {
            vm = newVm(d);
            vcpu = vm.createVcpu(0);
            vcpu.run(cpu -> { });
        }

        /** Checks every page was donated, destroys the VM, checks the pool got every page back. */
        @TearDown(Level.Iteration)
        public void destroy(MemDevice d) {
            MemDevice.expect(PAGES, vm.nrPages(), "pages donated to the VM");
            vm.destroy();
            MemDevice.expect(0, d.kernel.kvm().pagesInUse(), "pool pages still in use after teardown");
        }
    }

    /** A VM whose every page the guest has touched (donated and written); destroyed by the benchmark. */
    @State(Scope.Thread)
    public static class PopulatedVm {
        KvmVm vm;

        /** Creates the VM and touches every page. */
        @Setup(Level.Iteration)
        public void populate(MemDevice d) {
            vm = newVm(d);
            vm.createVcpu(0).run(TOUCH_ALL);
            MemDevice.expect(PAGES, vm.nrPages(), "pages donated to the VM");
        }

        /** Checks the pool got every page back. */
        @TearDown(Level.Iteration)
        public void check(MemDevice d) {
            MemDevice.expect(0, d.kernel.kvm().pagesInUse(), "pool pages still in use after teardown");
        }
    }

    /** A VM with one guest-owned page at IPA 0, and a guest program sharing and unsharing it. */
    @State(Scope.Thread)
    public static class SharingVm {
        KvmVm vm;
        KvmVcpu vcpu;
        long failures;
        final GuestProgram shareUnshare = cpu -> {
            long bad = 0;
            for (int i = 0; i < HVC_PAIRS; i++) {
                bad |= cpu.hvc(MEM_SHARE, 0, 0, 0).a0();
                bad |= cpu.hvc(MEM_UNSHARE, 0, 0, 0).a0();
            }
            failures |= bad;
        };

        /** Creates the VM and maps its page. */
        @Setup(Level.Trial)
        public void create(MemDevice d) {
            vm = newVm(d);
            vcpu = vm.createVcpu(0);
            vcpu.run(cpu -> cpu.store64(0, 1));
            vcpu.run(shareUnshare);
            MemDevice.expect(0, failures, "MEM_SHARE/MEM_UNSHARE x0");
        }

        /** Checks no hypercall failed and destroys the VM. */
        @TearDown(Level.Trial)
        public void destroy() {
            MemDevice.expect(0, failures, "MEM_SHARE/MEM_UNSHARE x0 (OR of every call)");
            vm.destroy();
        }
    }

    /** First touch of {@value #PAGES} pages; score per page. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(PAGES)
    public void firstTouchDonate(FreshVm v) {
        v.vcpu.run(TOUCH_ALL);
    }

    /** One MEM_SHARE + MEM_UNSHARE pair; score per pair. */
    @Benchmark
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(HVC_PAIRS)
    public void memShareUnshare(SharingVm v) {
        v.vcpu.run(v.shareUnshare);
    }

    /** Two-phase teardown of {@value #PAGES} private pages; score per page. */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(PAGES)
    public void teardownReclaim(PopulatedVm v) {
        v.vm.destroy();
    }
}
