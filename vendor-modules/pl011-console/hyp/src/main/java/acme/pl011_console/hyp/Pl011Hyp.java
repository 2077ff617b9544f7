package acme.pl011_console.hyp;

import java.util.concurrent.atomic.AtomicLong;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.api.Prot;
import org.pkvm4j.api.Smccc;
import org.pkvm4j.api.UserPtRegs;
import org.pkvm4j.api.el2.El2Symbol;
import org.pkvm4j.api.el2.ModuleOps;

/**
 * The EL2 console driver: the PL011's registers mapped into the hyp private range, and a {@code
 * putc} that writes the data register through that mapping.
 *
 * <p>Kernel counterpart: {@code pl011-hyp.c} of Android's {@code pkvm-pl011} module: its init calls
 * {@code create_private_mapping} on the UART's physical base and {@code register_serial_driver}
 * with a {@code putc} that waits while the transmit FIFO is full, then writes {@code UARTDR}.
 */
public final class Pl011Hyp {
    /** Physical base of the PL011: QEMU {@code virt}'s, a build-time constant as for {@code pkvm-pl011}. */
    public static final long PL011_BASE = 0x0900_0000L;
    /** {@code UART01x_DR}: the data register. */
    static final long UART01X_DR = 0x00;
    /** {@code UART01x_FR}: the flag register. */
    static final long UART01X_FR = 0x18;
    /** {@code UART01x_FR_TXFF}: the transmit FIFO is full. */
    static final int UART01X_FR_TXFF = 1 << 5;
    /** HVC op: print {@link #SELFTEST_LINE} with {@code puts}; x1 = the characters the driver wrote since init. */
    public static final long HVC_SELFTEST = 1;
    /** HVC op: x1 = the number of characters the driver wrote so far. */
    public static final long HVC_CHARS = 2;
    /** The line the selftest prints at EL2. */
    public static final String SELFTEST_LINE = "pl011_console: EL2 console selftest";

    private static ModuleOps ops;
    private static long base;
    /** Characters written; putc may run on several CPUs at once. */
    private static final AtomicLong CHARS = new AtomicLong();

    private Pl011Hyp() {
    }

    /** {@code pl011_hyp_init}: map the UART at EL2 and take over the hyp console. */
    @El2Symbol("pl011_hyp_init")
    public static void init(ModuleOps moduleOps) {
        ops = moduleOps;
        base = ops.createPrivateMapping(PL011_BASE, 4096, Prot.RW);
        ops.registerSerialDriver(Pl011Hyp::putc);
        ops.puts("pl011_console: EL2 console on PL011 at 0x9000000");
    }

    /** {@code hyp_putc}: spin while the FIFO is full (the model's never is), then write UARTDR. */
    static void putc(char c) {
        while ((ops.load8(base + UART01X_FR) & UART01X_FR_TXFF) != 0) {
            // cpu_relax(): each round is already an MMIO read of the flag register
        }
        ops.store8(base + UART01X_DR, (byte) c);
        CHARS.incrementAndGet();
    }

    /** {@code pl011_hyp_hvc}: x1 = op; x1 out = the driver's character count, or a negative errno. */
    @El2Symbol("pl011_hyp_hvc")
    public static void hvc(UserPtRegs regs) {
        long op = regs.get(1);
        long result;
        try {
            if (op == HVC_SELFTEST) {
                ops.puts(SELFTEST_LINE);
                result = CHARS.get();
            } else if (op == HVC_CHARS) {
                result = CHARS.get();
            } else {
                result = -22;
            }
        } catch (PkvmException e) {
            result = e.errno().negated();
        }
        regs.set(1, result);
        regs.set(0, Smccc.RET_SUCCESS);
    }
}
