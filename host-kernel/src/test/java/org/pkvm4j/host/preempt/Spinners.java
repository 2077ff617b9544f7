package org.pkvm4j.host.preempt;

/** EL2-like code that never returns on its own, in the shapes a stop must get out of. */
public final class Spinners {
    static long sink;

    private Spinners() {
    }

    /** A counted loop with no end. */
    public static void spin() {
        for (long i = 0; ; i++) {
            sink = i;
        }
    }

    /** A loop around a {@code catch (Throwable)} that swallows everything. */
    public static void spinSwallowing() {
        while (true) {
            try {
                spin();
            } catch (Throwable t) {
                sink++;
            }
        }
    }

    /** A loop whose body is a try/finally (javac's handler covers its own first instruction). */
    public static void spinInFinally() {
        while (true) {
            try {
                sink++;
            } finally {
                sink--;
            }
        }
    }

    /** Recursion that never ends, catching its own StackOverflowError. */
    public static void recurse() {
        try {
            recurse();
        } catch (StackOverflowError e) {
            recurse();
        }
    }

    /** Returns normally: the polls cost nothing while the flag is clear. */
    public static long sum(int n) {
        long s = 0;
        for (int i = 0; i < n; i++) {
            try {
                s += i;
            } finally {
                sink = s;
            }
        }
        return s;
    }

    /** A lambda body (a synthetic method of this class) spinning. */
    public static void spinInLambda() {
        Runnable r = () -> {
            while (true) {
                sink++;
            }
        };
        r.run();
    }
}
