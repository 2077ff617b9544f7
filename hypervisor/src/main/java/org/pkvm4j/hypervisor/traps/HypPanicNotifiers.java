package org.pkvm4j.hypervisor.traps;

import java.util.concurrent.atomic.AtomicReference;
import org.pkvm4j.api.Errno;
import org.pkvm4j.api.PkvmException;
import org.pkvm4j.hypervisor.console.HypConsole;
import org.pkvm4j.machine.Cpu;
import org.pkvm4j.machine.HypPlatform;
import org.pkvm4j.machine.PanicCause;

/**
 * The one module callback run when the hypervisor panics, before the report.
 *
 * <p>Kernel counterpart: {@code hyp_panic_notifier} and {@code __pkvm_register_hyp_panic_notifier};
 * {@code hyp_panic} calls it on the panicking CPU. pkvm4j runs it only where the kernel would: on
 * the thread of a trap on the panicking CPU ({@link #beforePanic}, the machine's before-panic hook).
 * A lockup reported by the watchdog's thread has no such trap to run it in, so there it is skipped.
 * What the notifier does cannot cost the report: a throwable escaping it is reported on the console
 * and ignored, and one that does not return is caught by the lockup watchdog, whose panic records the
 * first report at once (the machine's rule) and stops the module's code.
 */
public final class HypPanicNotifiers {
    private final AtomicReference<Notifier> notifier = new AtomicReference<>();
    private final HypPlatform platform;
    private final HypConsole console;

    /** The notifier slot of {@code platform}, reporting a failing notifier to {@code console}. */
    public HypPanicNotifiers(HypPlatform platform, HypConsole console) {
        this.platform = platform;
        this.console = console;
    }

    /** A registered notifier: runs itself on {@code cpu}'s trap (published as its module's code). */
    public interface Notifier {
        /** Runs the module's notifier on {@code cpu}, on the calling thread. */
        void run(Cpu cpu);

        /** The module's name, for reports. */
        String module();
    }

    /**
     * {@code register_hyp_panic_notifier(cb)}.
     *
     * @throws PkvmException {@code EBUSY} if one is registered already; {@code EINVAL} for null
     */
    public void register(Notifier cb) {
        if (cb == null) {
            throw new PkvmException(Errno.EINVAL, "register_hyp_panic_notifier: no callback");
        }
        if (!notifier.compareAndSet(null, cb)) {
            throw new PkvmException(Errno.EBUSY, "register_hyp_panic_notifier: a notifier is already registered");
        }
    }

    /** Empties the slot if it still holds {@code cb}. */
    public boolean unregister(Notifier cb) {
        return cb != null && notifier.compareAndSet(cb, null);
    }

    /**
     * The machine's before-panic hook: runs the notifier if one is registered and the calling thread
     * is the one trapped on {@code cpu}. Never throws.
     */
    public void beforePanic(Cpu cpu) {
        Notifier cb = notifier.get();
        if (cb == null) {
            return;
        }
        Cpu el2 = platform.el2Cpu();
        if (el2 != null ? el2 != cpu : platform.currentCpu() != cpu) {
            return; // not inside a trap on the panicking CPU (the lockup watchdog's thread)
        }
        try {
            cb.run(cpu);
        } catch (Throwable t) {
            // Quoted as data (PanicCause): never the module's toString or getMessage.
            console.report("pKVM: hyp panic notifier of module %s threw %s: ignored, the panic is reported"
                    .formatted(cb.module(), PanicCause.describe(t)));
        }
    }
}
