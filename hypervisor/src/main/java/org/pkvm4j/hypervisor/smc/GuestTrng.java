package org.pkvm4j.hypervisor.smc;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.Trng;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.GuestTrngOps;

/**
 * A protected guest's SMCCC TRNG calls, answered from the module's {@link GuestTrngOps}.
 *
 * <p>Kernel counterpart: the pVM side of {@code kvm_trng_call} ({@code arch/arm64/kvm/trng.c}) with
 * the module back end of {@code register_guest_trng_ops}. Without ops every TRNG call reads {@code
 * SMCCC_RET_NOT_SUPPORTED}, as a guest on a host without a TRNG sees.
 */
final class GuestTrng {
    /** {@code TRNG_INVALID_PARAMETER}. */
    static final long RET_INVALID_PARAMETER = -2;

    private GuestTrng() {
    }

    /** Whether {@code fn} is one of the TRNG calls. */
    static boolean isTrngCall(long fn) {
        return fn == Trng.VERSION || fn == Trng.FEATURES || fn == Trng.GET_UUID || fn == Trng.RND64;
    }

    /** Answers the TRNG call in {@code regs} (x0..x3) with {@code ops} (null: none installed). */
    static void call(GuestTrngOps ops, UserPtRegs regs) {
        long fn = regs.get(0);
        if (ops == null) {
            answer(regs, Smccc.RET_NOT_SUPPORTED, 0, 0, 0);
        } else if (fn == Trng.VERSION) {
            answer(regs, Trng.VERSION_1_0, 0, 0, 0);
        } else if (fn == Trng.FEATURES) {
            answer(regs, isTrngCall(regs.get(1)) ? Smccc.RET_SUCCESS : Smccc.RET_NOT_SUPPORTED, 0, 0, 0);
        } else if (fn == Trng.GET_UUID) {
            answer(regs, ops.uuidHigh() >>> 32, ops.uuidHigh() & 0xFFFF_FFFFL, ops.uuidLow() >>> 32, ops.uuidLow() & 0xFFFF_FFFFL);
        } else {
            long bits = regs.get(1);
            if (bits <= 0 || bits > Trng.MAX_BITS_64) {
                answer(regs, RET_INVALID_PARAMETER, 0, 0, 0);
                return;
            }
            long[] out = new long[3];
            if (!ops.rnd64().rnd64(out, (int) bits)) {
                answer(regs, Trng.RET_NO_ENTROPY, 0, 0, 0);
                return;
            }
            int b = (int) bits;
            answer(regs, Smccc.RET_SUCCESS, out[0] & mask(b - 128), out[1] & mask(b - 64), out[2] & mask(b));
        }
    }

    /** The low {@code bits} bits (clamped to 0..64). */
    private static long mask(int bits) {
        return bits <= 0 ? 0 : bits >= 64 ? -1L : (1L << bits) - 1;
    }

    private static void answer(UserPtRegs regs, long x0, long x1, long x2, long x3) {
        regs.set(0, x0);
        regs.set(1, x1);
        regs.set(2, x2);
        regs.set(3, x3);
    }
}
