package acme.kvstore.hyp;

import org.pkvm4j.api.Errno;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 side of kvstore: a table that lives in EL2 memory, which the host can reach only through
 * these handlers. Each handler answers SUCCESS in x0 and its result or a negative errno in x1.
 */
public final class KvStoreHyp {
    /** Entries the table holds. */
    public static final int CAPACITY = 4096;

    // Module-global EL2 state, as a C module's static data: each device loads its own copy.
    private static KvTable table;

    private KvStoreHyp() {
    }

    /** Allocates the table. */
    @El2Symbol("kvstore_hyp_init")
    public static void init(ModuleOps ops) {
        table = new KvTable(CAPACITY, ops.newSpinLock());
        ops.puts("kvstore: EL2 table of " + CAPACITY + " entries ready");
    }

    /** put(x1 = key, x2 = value): x1 = 0, or -ENOMEM when the table is full. */
    @El2Symbol("kvstore_put")
    public static void put(UserPtRegs regs) {
        boolean stored = table.put(regs.get(1), regs.get(2));
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, stored ? 0 : Errno.ENOMEM.negated());
    }

    /** get(x1 = key): x1 = 0 and x2 = value, or x1 = -ENOENT. */
    @El2Symbol("kvstore_get")
    public static void get(UserPtRegs regs) {
        long[] value = new long[1];
        boolean found = table.get(regs.get(1), value);
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, found ? 0 : Errno.ENOENT.negated());
        regs.set(2, found ? value[0] : 0);
    }

    /** del(x1 = key): x1 = 0, or -ENOENT. */
    @El2Symbol("kvstore_del")
    public static void del(UserPtRegs regs) {
        boolean removed = table.remove(regs.get(1));
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, removed ? 0 : Errno.ENOENT.negated());
    }

    /** count(): x1 = the number of entries. */
    @El2Symbol("kvstore_count")
    public static void count(UserPtRegs regs) {
        regs.set(0, Smccc.RET_SUCCESS);
        regs.set(1, table.size());
    }
}
