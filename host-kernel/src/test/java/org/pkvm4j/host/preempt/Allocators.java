package org.pkvm4j.host.preempt;

/** EL2-like code that allocates arrays of each kind the transform charges. */
public final class Allocators {
    private Allocators() {
    }

    /** {@code newarray long}. */
    public static int longs(int n) {
        return new long[n].length;
    }

    /** {@code newarray byte}. */
    public static int bytes(int n) {
        return new byte[n].length;
    }

    /** {@code anewarray}. */
    public static int objects(int n) {
        return new Object[n].length;
    }

    /** {@code multianewarray} with every dimension given. */
    public static int grid(int rows, int columns) {
        return new int[rows][columns].length;
    }

    /** {@code multianewarray} with fewer lengths than dimensions: the last level holds references. */
    public static int partial(int a, int b) {
        return new double[a][b][].length;
    }
}
