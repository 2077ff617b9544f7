package org.pkvm4j.cli.explore;

import java.util.ArrayList;
import java.util.List;

/** Every order of a list, the given order first, then in lexicographic order of positions. */
final class Permutations {
    private Permutations() {
    }

    /** All {@code n!} orders of {@code items}, {@code items} itself first. */
    static <T> List<List<T>> of(List<T> items) {
        int n = items.size();
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        List<List<T>> all = new ArrayList<>();
        while (true) {
            List<T> order = new ArrayList<>(n);
            for (int i : p) {
                order.add(items.get(i));
            }
            all.add(List.copyOf(order));
            // Next permutation of the positions (Knuth's algorithm L).
            int i = n - 2;
            while (i >= 0 && p[i] >= p[i + 1]) {
                i--;
            }
            if (i < 0) {
                return all;
            }
            int j = n - 1;
            while (p[j] <= p[i]) {
                j--;
            }
            swap(p, i, j);
            for (int a = i + 1, b = n - 1; a < b; a++, b--) {
                swap(p, a, b);
            }
        }
    }

    private static void swap(int[] p, int i, int j) {
        int t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
}
