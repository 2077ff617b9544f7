package org.pkvm4j.cli.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class PermutationsTest {

    @Test
    void everyOrderOnceTheGivenOneFirst() {
        List<List<String>> orders = Permutations.of(List.of("c", "a", "b"));
        assertEquals(6, orders.size());
        assertEquals(6, new HashSet<>(orders).size());
        assertEquals(List.of("c", "a", "b"), orders.getFirst());
        assertEquals(List.of(List.of("c", "a", "b"), List.of("c", "b", "a"), List.of("a", "c", "b"), List.of("a", "b", "c"),
                List.of("b", "c", "a"), List.of("b", "a", "c")), orders);
    }

    @Test
    void smallSets() {
        assertEquals(List.of(List.of("x")), Permutations.of(List.of("x")));
        assertEquals(24, Permutations.of(List.of(1, 2, 3, 4)).size());
    }
}
