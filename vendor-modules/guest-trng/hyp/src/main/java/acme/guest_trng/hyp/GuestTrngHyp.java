package acme.guest_trng.hyp;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.GuestTrngOps;
import org.pkvm4j.api.el2.HypSpinLock;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of guest_trng: installs the TRNG back end ({@code register_guest_trng_ops}) that
 * answers protected guests' SMCCC TRNG calls. pKVM itself answers TRNG_VERSION, TRNG_FEATURES and
 * TRNG_GET_UUID (from the UUID below) and masks RND64 to the bits asked for; this module fills the
 * words.
 */
public final class GuestTrngHyp {
    /** The back end's UUID, as TRNG_GET_UUID reports it: 5c3e3a56-7a2f-4c1e-9b8d-2f0e6d4a1b37. */
    public static final long UUID_HIGH = 0x5C3E_3A56_7A2F_4C1EL;
    /** The low 64 bits of the UUID. */
    public static final long UUID_LOW = 0x9B8D_2F0E_6D4A_1B37L;

    // Module-global EL2 state, as a C module's static data.
    private static ModuleOps ops;
    private static HypSpinLock lock;
    private static JitterSource source;
    private static long served;
    private static long failed;

    private GuestTrngHyp() {
    }

    /** Installs the TRNG ops (for the life of the hypervisor). */
    @El2Symbol("guest_trng_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        lock = ops.newSpinLock();
        source = new JitterSource(ops::getTime);
        ops.registerGuestTrngOps(new GuestTrngOps(UUID_HIGH, UUID_LOW, GuestTrngHyp::rnd64));
        ops.puts("guest_trng: TRNG for protected guests registered");
    }

    /** {@code rnd64}: the pool is shared by every CPU, so it is drawn under the lock. */
    static boolean rnd64(long[] out, int bits) {
        lock.lock();
        try {
            if (!source.fill(out)) {
                failed++;
                return false;
            }
            served++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** stats: x1 = RND64 calls served, x2 = calls refused for want of entropy. */
    @El2Symbol("guest_trng_stats")
    public static void stats(UserPtRegs regs) {
        lock.lock();
        try {
            regs.set(0, Smccc.RET_SUCCESS);
            regs.set(1, served);
            regs.set(2, failed);
        } finally {
            lock.unlock();
        }
    }
}
