package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EpochOrderTest {
    @Test
    void everyEpochVisitsEverySampleOnce() {
        for (int n : new int[] {0, 1, 2, 3, 7, 64, 1000, 60_001}) {
            for (int epoch = 0; epoch < 3; epoch++) {
                int[] order = EpochOrder.permutation(5, epoch, n);
                boolean[] seen = new boolean[n];
                for (int i = 0; i < n; i++) {
                    int v = order[i];
                    assertTrue(v >= 0 && v < n, "n " + n + ": order[" + i + "] = " + v);
                    assertFalse(seen[v], "n " + n + " epoch " + epoch + ": " + v + " appears twice");
                    seen[v] = true;
                }
            }
        }
    }

    @Test
    void deterministicAndReusingTheArrayGivesTheSameOrder() {
        int[] a = EpochOrder.permutation(42, 3, 1000);
        int[] b = EpochOrder.permutation(42, 3, 1000);
        assertArrayEquals(a, b);
        int[] reused = new int[1000];
        Arrays.fill(reused, -7);
        EpochOrder.permutation(42, 3, reused);
        assertArrayEquals(a, reused);
    }

    @Test
    void epochsAndSeedsGiveDifferentOrders() {
        int[] base = EpochOrder.permutation(42, 0, 100);
        assertFalse(Arrays.equals(base, EpochOrder.permutation(42, 1, 100)), "epoch 1 equals epoch 0");
        assertFalse(Arrays.equals(base, EpochOrder.permutation(43, 0, 100)), "seed 43 equals seed 42");
        assertFalse(Arrays.equals(EpochOrder.permutation(0, 1, 100), EpochOrder.permutation(1, 0, 100)),
                "(seed 0, epoch 1) equals (seed 1, epoch 0)");
        int fixedPoints = 0;
        for (int i = 0; i < base.length; i++) {
            fixedPoints += base[i] == i ? 1 : 0;
        }
        assertTrue(fixedPoints < 10, "a shuffle of 100 leaves about 1 element in place, not " + fixedPoints);
    }

    /** Pins the exact order so that it stays the same across versions (checkpoints resume mid-run). */
    @Test
    void orderIsPinned() {
        assertArrayEquals(PINNED, EpochOrder.permutation(42, 0, 10), Arrays.toString(EpochOrder.permutation(42, 0, 10)));
    }

    static final int[] PINNED = {8, 6, 0, 5, 4, 7, 1, 3, 2, 9};

    /** All 24 orders of 4 elements are about equally likely (chi-square over 24000 epochs, 23 degrees of freedom). */
    @Test
    void uniformOverPermutations() {
        Map<String, Integer> counts = new HashMap<>();
        int epochs = 24_000;
        for (int e = 0; e < epochs; e++) {
            counts.merge(Arrays.toString(EpochOrder.permutation(1, e, 4)), 1, Integer::sum);
        }
        assertEquals(24, counts.size(), "every permutation of 4 should appear");
        double expected = epochs / 24.0;
        double chi2 = 0;
        for (int c : counts.values()) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        // 23 degrees of freedom: the 99.9% quantile is 49.7.
        assertTrue(chi2 < 49.7, "chi-square " + chi2 + " over 24 permutations, expected < 49.7");
    }

    @Test
    void boundedIntsAreInRangeAndUnbiased() {
        SplitMix64 rng = new SplitMix64(3);
        int bound = 3;
        int[] hist = new int[bound];
        for (int i = 0; i < 30_000; i++) {
            hist[rng.nextInt(bound)]++;
        }
        for (int c = 0; c < bound; c++) {
            assertEquals(10_000, hist[c], 400, "value " + c);
        }
        SplitMix64 big = new SplitMix64(4);
        for (int i = 0; i < 1000; i++) {
            int v = big.nextInt(Integer.MAX_VALUE);
            assertTrue(v >= 0 && v < Integer.MAX_VALUE, "value " + v);
        }
    }
}
