package acme.smc_filter.hyp;

import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of smc_filter, a port of Google's pkvm-smc: every host SMC that pKVM's PSCI relay and
 * FF-A proxy did not take is looked up in a sorted allow-list. An allowed call goes on to the
 * firmware, or to the entry's callback; any other is denied: answered {@code
 * SMCCC_RET_NOT_SUPPORTED} at EL2, or, in permissive mode, logged and let through.
 *
 * <p>The {@code permissive} module parameter is copied into EL2 before the init runs: the EL1 side
 * loads the EL2 part through the init symbol that matches it, and each init sets {@link #permissive}
 * before anything else (the C module writes {@code __kvm_nvhe_permissive} before {@code
 * pkvm_load_el2_module}).
 */
public final class SmcFilterHyp {
    /** Bits of an SMC id that do not change the function: bit 30 (SMC32/SMC64) and bit 16 (the SVE hint). */
    static final long SMC_ID_MASK = ~(Smccc.SMC64 | Smccc.CALL_HINTS);
    /** {@code ARM_SMCCC_SIP_SVC_CALL_COUNT}-style SiP call the filter answers itself: x1 = allow-list size. */
    public static final long SIP_CALL_COUNT = 0x8200_FF00L;

    // Module-global EL2 state, as a C module's static data.
    private static ModuleOps ops;
    private static boolean permissive;
    private static long denied;
    private static long logged;
    private static AllowedSmc[] allowList;

    private SmcFilterHyp() {
    }

    /** The init for {@code smc_filter.permissive=0} (the default). */
    @El2Symbol("pkvm_smc_filter_hyp_init")
    public static void init(ModuleOps moduleOps) {
        permissive = false;
        start(moduleOps);
    }

    /** The init for {@code smc_filter.permissive=1}: violations are only logged. */
    @El2Symbol("pkvm_smc_filter_hyp_init_permissive")
    public static void initPermissive(ModuleOps moduleOps) {
        permissive = true;
        start(moduleOps);
    }

    private static void start(ModuleOps moduleOps) {
        ops = moduleOps;
        allowList = sorted(new AllowedSmc[] {
            new AllowedSmc(0x8000_0000L, null), // SMCCC_VERSION
            new AllowedSmc(0x8000_0001L, null), // SMCCC_ARCH_FEATURES
            new AllowedSmc(0x8400_0063L, null), // FFA_VERSION
            new AllowedSmc(0x8400_0064L, null), // FFA_FEATURES
            new AllowedSmc(SIP_CALL_COUNT, SmcFilterHyp::sipCallCount),
        });
        ops.registerHostSmcHandler(SmcFilterHyp::filterSmc);
        ops.puts("smc_filter: EL2 filter of " + allowList.length + " SMCs" + (permissive ? ", permissive" : ""));
    }

    /** {@code filter_smc}: true if the call was answered here, false to pass it on. */
    static boolean filterSmc(UserPtRegs regs) {
        long id = regs.get(0) & SMC_ID_MASK;
        AllowedSmc entry = find(allowList, id);
        if (entry == null) {
            if (permissive) {
                logged++;
                ops.puts("smc_filter: permissive: SMC " + hex(id) + " not allowed, forwarded");
                return false;
            }
            denied++;
            regs.set(0, Smccc.RET_NOT_SUPPORTED);
            return true;
        }
        return entry.callback() != null && entry.callback().handle(regs);
    }

    /** The SiP call the filter answers itself: x0 = success, x1 = how many SMCs are allowed. */
    private static boolean sipCallCount(UserPtRegs regs) {
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, allowList.length);
        return true;
    }

    /** Binary search of the sorted list for {@code id}; null if absent. */
    static AllowedSmc find(AllowedSmc[] list, long id) {
        int lo = 0;
        int hi = list.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            long at = list[mid].smcId();
            if (at < id) {
                lo = mid + 1;
            } else if (at > id) {
                hi = mid - 1;
            } else {
                return list[mid];
            }
        }
        return null;
    }

    /** Insertion sort by id (the C module sorts its table once at init with {@code sort()}). */
    static AllowedSmc[] sorted(AllowedSmc[] list) {
        for (int i = 1; i < list.length; i++) {
            AllowedSmc e = list[i];
            int j = i - 1;
            while (j >= 0 && list[j].smcId() > e.smcId()) {
                list[j + 1] = list[j];
                j--;
            }
            list[j + 1] = e;
        }
        return list;
    }

    /**
     * stats: x1 = SMCs denied, x2 = SMCs logged and let through (permissive), x3 = 1 if permissive.
     */
    @El2Symbol("pkvm_smc_filter_stats")
    public static void stats(UserPtRegs regs) {
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, denied);
        regs.set(2, logged);
        regs.set(3, permissive ? 1 : 0);
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }
}
