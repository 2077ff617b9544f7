package org.pkvm4j.hypervisor.module;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el2.HostPermFaultHandler;
import org.pkvm4j.api.el2.ModuleOps;
import org.pkvm4j.api.el2.SerialDriver;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.hypervisor.mem.HostPermFaultHandlers;
import org.pkvm4j.hypervisor.mem.MemProtect;
import org.pkvm4j.machine.HypMemory;
import org.pkvm4j.machine.HypPlatform;

/**
 * The hypervisor's one {@code pkvm_module_ops} instance, handed to every module init.
 *
 * <p>Kernel counterpart: {@code static const struct pkvm_module_ops module_ops} in {@code
 * nvhe/modules.c}. Its fields are private to the hyp layer; vendor code holds it only through the
 * {@link ModuleOps} interface, and strong encapsulation keeps reflection out. The memory members
 * delegate to {@link MemProtect}, whose {@code int} results (0 or a negative errno) become a {@link
 * PkvmException} carrying the errno here, the one place EL2 code sees them.
 */
public final class ModuleOpsTable implements ModuleOps {
    private final HypConsole console;
    private final HypPlatform platform;
    private final MemProtect memProtect;
    private final HypMemory mem;
    private final HostPermFaultHandlers permFaultHandlers;

    /** The ops over the hypervisor's console, platform, page ownership and perm-fault handlers. */
    public ModuleOpsTable(HypConsole console, HypPlatform platform, MemProtect memProtect,
            HostPermFaultHandlers permFaultHandlers) {
        this.console = console;
        this.platform = platform;
        this.memProtect = memProtect;
        this.mem = platform.memory();
        this.permFaultHandlers = permFaultHandlers;
    }

    @Override
    public void registerSerialDriver(SerialDriver driver) {
        console.registerSerialDriver(driver);
    }

    @Override
    public void putc(char c) {
        console.putc(c);
    }

    @Override
    public void puts(String s) {
        console.puts(s);
    }

    @Override
    public void putx64(long x) {
        console.putx64(x);
    }

    @Override
    public int smpProcessorId() {
        return platform.currentCpu().id();
    }

    @Override
    public int nrCpus() {
        return platform.nrCpus();
    }

    @Override
    public void hostDonateHyp(long pfn, long nrPages) {
        check(memProtect.hostDonateHyp(pfn, nrPages), "host_donate_hyp", pfn);
    }

    @Override
    public void hypDonateHost(long pfn, long nrPages) {
        check(memProtect.hypDonateHost(pfn, nrPages), "hyp_donate_host", pfn);
    }

    @Override
    public void hostShareHyp(long pfn) {
        check(memProtect.hostShareHyp(pfn), "host_share_hyp", pfn);
    }

    @Override
    public void hostUnshareHyp(long pfn) {
        check(memProtect.hostUnshareHyp(pfn), "host_unshare_hyp", pfn);
    }

    @Override
    public void pinSharedMem(long from, long to) {
        check(memProtect.hypPinSharedMem(from, to), "pin_shared_mem", from);
    }

    @Override
    public void unpinSharedMem(long from, long to) {
        memProtect.hypUnpinSharedMem(from, to);
    }

    @Override
    public void memcpy(long dstVa, long srcVa, long size) {
        checkRange(dstVa, size, "memcpy");
        checkRange(srcVa, size, "memcpy");
        long i = 0;
        if (((dstVa | srcVa) & 7) == 0) {
            for (; i + 8 <= size; i += 8) {
                mem.store64(dstVa + i, mem.load64(srcVa + i));
            }
        }
        for (; i < size; i++) {
            mem.store8(dstVa + i, mem.load8(srcVa + i));
        }
    }

    @Override
    public void memset(long va, int c, long size) {
        checkRange(va, size, "memset");
        byte b = (byte) c;
        long i = 0;
        if ((va & 7) == 0) {
            long pattern = (b & 0xFFL) * 0x0101_0101_0101_0101L;
            for (; i + 8 <= size; i += 8) {
                mem.store64(va + i, pattern);
            }
        }
        for (; i < size; i++) {
            mem.store8(va + i, b);
        }
    }

    @Override
    public long hypPa(long va) {
        return va;
    }

    @Override
    public long hypVa(long pa) {
        return pa;
    }

    @Override
    public void flushDcacheToPoc(long va, long size) {
        // Nothing to clean: DRAM is one coherent MemorySegment, the model has no caches.
    }

    @Override
    public long load64(long va) {
        checkWord(va, "load64");
        return mem.load64(va);
    }

    @Override
    public void store64(long va, long value) {
        checkWord(va, "store64");
        mem.store64(va, value);
    }

    @Override
    public void hostStage2ModProt(long pfn, int prot, long nrPages) {
        check(memProtect.hostStage2ModProt(pfn, prot, nrPages), "host_stage2_mod_prot", pfn);
    }

    @Override
    public void registerHostPermFaultHandler(HostPermFaultHandler handler) {
        permFaultHandlers.register(handler);
    }

    private static void check(int ret, String op, long arg) {
        if (ret != 0) {
            Errno errno = Errno.fromNegated(ret);
            throw new PkvmException(errno, "%s(0x%x): %s".formatted(op, arg, errno));
        }
    }

    private void checkRange(long va, long size, String op) {
        if (size < 0) {
            throw new PkvmException(Errno.EINVAL, "%s: negative size %d".formatted(op, size));
        }
        if (!memProtect.hypCanAccess(va, size)) {
            throw new PkvmException(Errno.EFAULT, "%s: [0x%x, +0x%x) is not mapped at EL2".formatted(op, va, size));
        }
    }

    private void checkWord(long va, String op) {
        if ((va & 7) != 0) {
            throw new PkvmException(Errno.EINVAL, "%s: misaligned hyp VA 0x%x".formatted(op, va));
        }
        if (!memProtect.hypCanAccess(va, 8)) {
            throw new PkvmException(Errno.EFAULT, "%s: hyp VA 0x%x is not mapped at EL2".formatted(op, va));
        }
    }
}
