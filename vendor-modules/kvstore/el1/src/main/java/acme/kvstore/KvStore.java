package acme.kvstore;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.el1.El2ModuleToken;
import org.pkvm4j.api.el1.HvcNumber;
import org.pkvm4j.api.el1.KernelModule;
import org.pkvm4j.api.el1.MiscDevice;
import org.pkvm4j.api.el1.ModuleContext;
import org.pkvm4j.api.el1.Pkvm;
import org.pkvm4j.api.el1.SmcccRes;

/**
 * kvstore's EL1 side: the host's only way to the EL2 table, through four HVCs, offered to userspace
 * as {@code /dev/kvstore}.
 */
public final class KvStore implements KernelModule {
    /** ioctl: store {@code arg}'s high 32 bits as key and low 32 bits as value. */
    public static final int IOCTL_PUT = 1;
    /** ioctl: the value of key {@code arg}, or ENOENT. */
    public static final int IOCTL_GET = 2;
    /** ioctl: remove key {@code arg}, or ENOENT. */
    public static final int IOCTL_DEL = 3;
    /** ioctl: the number of entries. */
    public static final int IOCTL_COUNT = 4;

    private static final Logger LOG = LogManager.getLogger();
    // The self-check works on keys no user of the ioctl interface can pick (they are 32-bit).
    private static final long SELFTEST_KEY_BASE = 1L << 40;
    private static final int SELFTEST_KEYS = 64;

    private Pkvm pkvm;
    private HvcNumber put;
    private HvcNumber get;
    private HvcNumber del;
    private HvcNumber count;

    /** ServiceLoader's constructor. */
    public KvStore() {
    }

    @Override
    public void init(ModuleContext ctx) {
        pkvm = ctx.pkvm();
        El2ModuleToken token = pkvm.loadEl2Module("kvstore_hyp_init");
        put = pkvm.registerEl2ModCall("kvstore_put", token);
        get = pkvm.registerEl2ModCall("kvstore_get", token);
        del = pkvm.registerEl2ModCall("kvstore_del", token);
        count = pkvm.registerEl2ModCall("kvstore_count", token);
        LOG.debug("kvstore handlers: put {} get {} del {} count {}", put, get, del, count);
        ctx.miscRegister("kvstore", this::ioctl);
    }

    private long ioctl(int cmd, long arg) {
        return switch (cmd) {
            case MiscDevice.IOCTL_SELFTEST -> selftest();
            case IOCTL_PUT -> check(pkvm.el2ModCall(put, arg >>> 32, arg & 0xffff_ffffL));
            case IOCTL_GET -> lookup(arg & 0xffff_ffffL);
            case IOCTL_DEL -> check(pkvm.el2ModCall(del, arg & 0xffff_ffffL));
            case IOCTL_COUNT -> pkvm.el2ModCall(count);
            default -> throw new PkvmException(Errno.EINVAL, "kvstore: unknown ioctl " + cmd);
        };
    }

    private long lookup(long key) {
        SmcccRes res = pkvm.el2ModCallSmccc(get, key, 0, 0);
        check(res.a1());
        return res.a2();
    }

    /** Stores, reads back, deletes and counts through EL2; returns how many EL2 calls it checked. */
    private long selftest() {
        long calls = 0;
        long before = pkvm.el2ModCall(count);
        calls++;
        for (int i = 0; i < SELFTEST_KEYS; i++) {
            check(pkvm.el2ModCall(put, SELFTEST_KEY_BASE + i, i * 31L + 7));
            calls++;
        }
        expect("count after put", before + SELFTEST_KEYS, pkvm.el2ModCall(count));
        calls++;
        for (int i = 0; i < SELFTEST_KEYS; i++) {
            expect("get " + i, i * 31L + 7, lookup(SELFTEST_KEY_BASE + i));
            calls++;
        }
        for (int i = 0; i < SELFTEST_KEYS; i++) {
            check(pkvm.el2ModCall(del, SELFTEST_KEY_BASE + i));
            calls++;
        }
        expect("get after del", Errno.ENOENT.negated(), pkvm.el2ModCallSmccc(get, SELFTEST_KEY_BASE, 0, 0).a1());
        expect("count after del", before, pkvm.el2ModCall(count));
        return calls + 2;
    }

    private static long check(long x1) {
        Errno errno = Errno.fromNegated(x1);
        if (errno != null) {
            throw new PkvmException(errno, "kvstore: EL2 answered " + errno);
        }
        return x1;
    }

    private static void expect(String what, long expected, long actual) {
        if (expected != actual) {
            throw new PkvmException(Errno.EIO, "kvstore selftest: " + what + ": expected " + expected + ", got " + actual);
        }
    }
}
