package org.pkvm4j.machine;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Describes a throwable without running vendor code: the class name always, the message, cause and
 * stack only where the method that answers them is not vendor code.
 *
 * <p>A throwable escaping EL2 code may be of a vendor class whose {@code toString}, {@code
 * getMessage}, {@code getCause} or {@code getStackTrace} never returns, or does what EL2 code may
 * only do inside a trap; {@code printStackTrace} calls them all. A panic report is written by the
 * hypervisor or the lockup detector, so it calls none of them on a vendor class.
 */
public final class SafeThrowables {
    /** Causes followed at most. */
    private static final int MAX_CHAIN = 8;

    private SafeThrowables() {
    }

    /** A {@code printStackTrace}-like text: one line per throwable, then its frames. */
    public static String stackTrace(Throwable t) {
        StringBuilder out = new StringBuilder();
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Throwable cur = t;
        for (int n = 0; cur != null && n < MAX_CHAIN && seen.add(cur); n++) {
            out.append(n == 0 ? "" : "Caused by: ").append(describe(cur)).append('\n');
            if (trusted(cur.getClass(), "getStackTrace")) {
                for (StackTraceElement e : cur.getStackTrace()) {
                    out.append("\tat ").append(e).append('\n');
                }
            }
            cur = trusted(cur.getClass(), "getCause") ? cur.getCause() : null;
        }
        return out.toString();
    }

    /** The class name, and {@code ": message"} when the message comes from trusted code. */
    public static String describe(Throwable t) {
        String name = t.getClass().getName();
        if (trusted(t.getClass(), "getMessage") && trusted(t.getClass(), "getLocalizedMessage")) {
            String message = t.getMessage();
            return message == null ? name : name + ": " + message;
        }
        return name;
    }

    /**
     * Whether {@code method} (no arguments) of {@code type} is declared by a class of the JDK or of
     * pkvm4j's own boot-time modules, not by a vendor class in between.
     */
    private static boolean trusted(Class<?> type, String method) {
        for (Class<?> c = type; c != null && c != Throwable.class; c = c.getSuperclass()) {
            if (isPlatformClass(c)) {
                return true; // above this only JDK or pkvm4j classes
            }
            try {
                for (var m : c.getDeclaredMethods()) {
                    if (m.getName().equals(method) && m.getParameterCount() == 0) {
                        return false;
                    }
                }
            } catch (LinkageError e) {
                return false; // a vendor class whose methods cannot even be listed
            }
        }
        return true;
    }

    /** A class of the JDK, or loaded by the loader of pkvm4j's boot-time modules. */
    private static boolean isPlatformClass(Class<?> c) {
        ClassLoader loader = c.getClassLoader();
        return loader == null || loader == ClassLoader.getPlatformClassLoader()
                || loader == SafeThrowables.class.getClassLoader();
    }
}
