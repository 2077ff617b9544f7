package org.pkvm4j.machine;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * A throwable that escaped EL2 code, described for the panic report without running any of the
 * module's code: a vendor {@code Throwable} subclass may override {@code toString}, {@code
 * getMessage}, {@code getCause} or {@code getStackTrace}, and the panic path runs outside any trap.
 *
 * <p>Kernel counterpart: {@code hyp_panic()} prints registers and the faulting address, data it
 * reads, never a function of the code that faulted. A throwable whose class overrides none of those
 * methods (every JDK and API exception) is quoted in full; any other by its class name alone.
 */
public final class PanicCause {
    /**
     * The code a panic's reason starts with when EL2 ran out of memory: an {@link OutOfMemoryError}
     * in EL2 code, or vendor code over its allocation budget (host-kernel's {@code ErrorCode.HYP_NOMEM}).
     */
    public static final String OUT_OF_MEMORY = "PKVM-HYP-NOMEM";

    private static final String[] REPORTING_METHODS = {"toString", "getMessage", "getLocalizedMessage", "getCause",
            "getStackTrace"};

    private PanicCause() {
    }

    /** One line: {@code toString()} when that runs no module code, else the class name. */
    public static String describe(Throwable t) {
        return quotable(t) ? t.toString() : t.getClass().getName() + " (its class overrides Throwable's reporting methods:"
                + " not called)";
    }

    /** The stack trace and causes, as {@code printStackTrace} prints them, stopping at a throwable it may not quote. */
    public static String stackTrace(Throwable t) {
        StringBuilder out = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        String prefix = "";
        for (Throwable c = t; c != null && seen.add(c); prefix = "Caused by: ") {
            out.append(prefix).append(describe(c)).append('\n');
            if (!quotable(c)) {
                break;
            }
            for (StackTraceElement e : c.getStackTrace()) {
                out.append("\tat ").append(e).append('\n');
            }
            c = c.getCause();
            if (c == null) {
                break;
            }
        }
        return out.toString();
    }

    /** Whether every method the report calls on {@code t} is the JDK's own (defined by the boot loader). */
    private static boolean quotable(Throwable t) {
        try {
            for (String name : REPORTING_METHODS) {
                if (t.getClass().getMethod(name).getDeclaringClass().getClassLoader() != null) {
                    return false;
                }
            }
            return true;
        } catch (NoSuchMethodException | SecurityException | LinkageError e) {
            // Reflection resolves the types of the class's methods; at EL2 some may not link.
            // Not quotable then.
            return false;
        }
    }
}
