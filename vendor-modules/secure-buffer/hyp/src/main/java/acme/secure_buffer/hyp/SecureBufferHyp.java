package acme.secure_buffer.hyp;

import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of secure_buffer. The host donates a range of its pages ({@code host_donate_hyp});
 * EL2 fills them with key material the host can never read again, and answers HMAC-SHA256 tags of
 * host data keyed by a digest of the whole buffer. The data comes in and the tag goes out through a
 * page the host shares for the length of one call ({@code host_share_hyp} + {@code
 * pin_shared_mem}, then unpin and unshare). Release zeroes the buffer and gives it back ({@code
 * hyp_donate_host}). Each handler answers SUCCESS in x0 and its result or a negative errno in x1;
 * the kernel's own errno is passed on unchanged, and a refused call leaves every page as it was.
 */
public final class SecureBufferHyp {
    /** Buffers the table holds; handles are 0..MAX_BUFFERS-1. */
    public static final int MAX_BUFFERS = 8;
    /** The largest buffer, in pages. */
    public static final long MAX_PAGES = 16;
    /** Where the tag goes in the shared page; the data (at most this many bytes) starts at 0. */
    public static final int TAG_OFFSET = 4096 - Sha256.DIGEST_LENGTH;

    /** RFC 4231 test case 2: HMAC-SHA256 of "what do ya want for nothing?" under "Jefe". */
    static final byte[] RFC4231_CASE2 = hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /** FIPS 180-4 example: SHA-256 of "abc". */
    private static final byte[] SHA256_ABC = hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    private static final long PAGE_SIZE = 4096;
    private static final int PAGE_SHIFT = 12;

    // Module-global EL2 state, as a C module's static data: each device loads its own copy.
    private static ModuleOps ops;
    private static BufferTable buffers;
    private static Entropy entropy;

    private SecureBufferHyp() {
    }

    /** Allocates the table and the entropy pool. */
    @El2Symbol("secure_buffer_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        buffers = new BufferTable(MAX_BUFFERS, ops.newSpinLock());
        entropy = new Entropy(ops::getTime);
        ops.puts("secure_buffer: EL2 ready, " + MAX_BUFFERS + " buffers of up to " + MAX_PAGES + " pages");
    }

    /**
     * create(x1 = pfn, x2 = nr_pages): x1 = the handle; -EINVAL for 0 or more than MAX_PAGES pages;
     * -ENOMEM when every handle is taken; else host_donate_hyp's errno (-EPERM: not all host-owned
     * memory, -EINVAL: out of the PA range).
     */
    @El2Symbol("secure_buffer_create")
    public static void create(UserPtRegs regs) {
        long pfn = regs.get(1);
        long nrPages = regs.get(2);
        answer(regs, nrPages <= 0 || nrPages > MAX_PAGES ? Errno.EINVAL.negated() : locked(() -> create(pfn, nrPages)));
    }

    private static long create(long pfn, long nrPages) {
        int handle = buffers.freeHandle();
        if (handle < 0) {
            return Errno.ENOMEM.negated();
        }
        ops.hostDonateHyp(pfn, nrPages); // from here on the host faults on every access to the pages
        long va = ops.hypVa(pfn << PAGE_SHIFT);
        byte[] seed = entropy.seed(ops.smpProcessorId(), pfn);
        try {
            // Counter-mode key material: block i is SHA-256(seed || i).
            for (long block = 0; block < nrPages * PAGE_SIZE / Sha256.DIGEST_LENGTH; block++) {
                byte[] d = new Sha256().update(seed, 0, seed.length).updateLong(block).digest();
                for (int w = 0; w < 4; w++) {
                    ops.store64(va + block * Sha256.DIGEST_LENGTH + 8L * w, word(d, 8 * w));
                }
            }
            ops.flushDcacheToPoc(va, nrPages * PAGE_SIZE);
        } catch (PkvmException e) {
            // All or nothing: clear what was written and give the pages back.
            ops.memset(va, 0, nrPages * PAGE_SIZE);
            ops.hypDonateHost(pfn, nrPages);
            throw e;
        }
        buffers.put(handle, new Buffer(pfn, nrPages));
        ops.puts("secure_buffer: buffer " + handle + " holds " + nrPages + " pages from pfn 0x" + Long.toHexString(pfn));
        return handle;
    }

    /**
     * mac(x1 = handle, x2 = pfn of a host page, x3 = length): the HMAC-SHA256 of the page's first
     * {@code length} bytes, keyed by the buffer, written into the page at TAG_OFFSET; x1 = 0, -ENOENT
     * for an unknown handle, -EINVAL for a length past TAG_OFFSET, else host_share_hyp's errno.
     */
    @El2Symbol("secure_buffer_mac")
    public static void mac(UserPtRegs regs) {
        long handle = regs.get(1);
        long pfn = regs.get(2);
        long len = regs.get(3);
        answer(regs, locked(() -> withSharedPage(handle, pfn, len, va -> {
            byte[] tag = tag(buffers.get(handle), va, (int) len);
            for (int w = 0; w < 4; w++) {
                ops.store64(va + TAG_OFFSET + 8L * w, word(tag, 8 * w));
            }
            return 0;
        })));
    }

    /**
     * verify(x1 = handle, x2 = pfn, x3 = length): x1 = 1 if the page holds at TAG_OFFSET the tag
     * {@code mac} would write, else 0; errors as {@code mac}.
     */
    @El2Symbol("secure_buffer_verify")
    public static void verify(UserPtRegs regs) {
        long handle = regs.get(1);
        long pfn = regs.get(2);
        long len = regs.get(3);
        answer(regs, locked(() -> withSharedPage(handle, pfn, len, va -> {
            byte[] expected = tag(buffers.get(handle), va, (int) len);
            byte[] given = new byte[Sha256.DIGEST_LENGTH];
            for (int w = 0; w < 4; w++) {
                long v = ops.load64(va + TAG_OFFSET + 8L * w);
                for (int i = 0; i < 8; i++) {
                    given[8 * w + i] = (byte) (v >>> (8 * i));
                }
            }
            return HmacSha256.equal(expected, given) ? 1 : 0;
        })));
    }

    /** release(x1 = handle): zeroes the buffer and gives its pages back; x1 = the page count, or -ENOENT. */
    @El2Symbol("secure_buffer_release")
    public static void release(UserPtRegs regs) {
        long handle = regs.get(1);
        answer(regs, locked(() -> {
            Buffer b = buffers.get(handle);
            if (b == null) {
                return Errno.ENOENT.negated();
            }
            // The secret must not outlive the buffer: hyp_donate_host does not clear pages.
            long va = ops.hypVa(b.pfn() << PAGE_SHIFT);
            ops.memset(va, 0, b.nrPages() * PAGE_SIZE);
            ops.flushDcacheToPoc(va, b.nrPages() * PAGE_SIZE);
            ops.hypDonateHost(b.pfn(), b.nrPages());
            buffers.remove((int) handle);
            return b.nrPages();
        }));
    }

    /** stats(): x1 = host pages the buffers hold, x2 = pages shared with EL2 now, x3 = live buffers. */
    @El2Symbol("secure_buffer_stats")
    public static void stats(UserPtRegs regs) {
        buffers.lock();
        try {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, buffers.pagesHeld());
            regs.set(2, buffers.sharesHeld());
            regs.set(3, buffers.live());
        } finally {
            buffers.unlock();
        }
    }

    /** selftest(): x1 = 0 if SHA-256 and HMAC-SHA256 give the published answers, else -EIO. */
    @El2Symbol("secure_buffer_selftest")
    public static void selftest(UserPtRegs regs) {
        boolean sha = HmacSha256.equal(SHA256_ABC, Sha256.digest(ascii("abc")));
        boolean hmac = HmacSha256.equal(RFC4231_CASE2, HmacSha256.mac(ascii("Jefe"), ascii("what do ya want for nothing?")));
        answer(regs, sha && hmac ? 0 : Errno.EIO.negated());
    }

    /** Shares page {@code pfn} with EL2 and pins it for {@code work}, then unpins and unshares, whatever happens. */
    private static long withSharedPage(long handle, long pfn, long len, LongUnaryOperator work) {
        if (buffers.get(handle) == null) {
            return Errno.ENOENT.negated();
        }
        if (len < 0 || len > TAG_OFFSET) {
            return Errno.EINVAL.negated();
        }
        long va = ops.hypVa(pfn << PAGE_SHIFT);
        ops.hostShareHyp(pfn);
        buffers.shared(1);
        try {
            ops.pinSharedMem(va, va + PAGE_SIZE);
            try {
                return work.applyAsLong(va);
            } finally {
                ops.unpinSharedMem(va, va + PAGE_SIZE);
            }
        } finally {
            ops.hostUnshareHyp(pfn);
            buffers.shared(-1);
        }
    }

    /** The HMAC of the first {@code len} bytes at {@code va}, keyed by SHA-256 over the whole buffer. */
    private static byte[] tag(Buffer b, long va, int len) {
        Sha256 keySha = new Sha256();
        long bufVa = ops.hypVa(b.pfn() << PAGE_SHIFT);
        for (long off = 0; off < b.nrPages() * PAGE_SIZE; off += 8) {
            keySha.updateLong(ops.load64(bufVa + off));
        }
        byte[] data = new byte[len];
        for (int off = 0; off < len; off += 8) {
            long v = ops.load64(va + off);
            for (int i = 0; i < 8 && off + i < len; i++) {
                data[off + i] = (byte) (v >>> (8 * i));
            }
        }
        return HmacSha256.mac(keySha.digest(), data);
    }

    /** Runs {@code op} under the table's lock; a PkvmException becomes its negative errno. */
    private static long locked(LongSupplier op) {
        buffers.lock();
        try {
            return op.getAsLong();
        } catch (PkvmException e) {
            return e.errno().negated();
        } finally {
            buffers.unlock();
        }
    }

    private static void answer(UserPtRegs regs, long x1) {
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, x1);
    }

    /** Bytes {@code off..off+7} of {@code b} as a little-endian word, as a store64 lays them out. */
    private static long word(byte[] b, int off) {
        long v = 0;
        for (int i = 7; i >= 0; i--) {
            v = v << 8 | (b[off + i] & 0xff);
        }
        return v;
    }

    private static byte[] ascii(String s) {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) s.charAt(i);
        }
        return b;
    }

    private static byte[] hex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }
}
