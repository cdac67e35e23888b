package dev.quadrant.trainer.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The textbook figures of the alpha-beta collectives. */
class CollectiveTest {
    private static final double BYTES = 4e6;

    @Test
    void ringAllReduceMovesTwoNMinusOneOverNOfTheDataPerRank() {
        for (int n : new int[] {2, 3, 4, 8, 64}) {
            assertEquals(2.0 * (n - 1) / n * BYTES, Collective.RING_ALL_REDUCE.linkBytes(n, BYTES), 1e-6, "n=" + n);
            assertEquals(2.0 * (n - 1), Collective.RING_ALL_REDUCE.latencyTerms(n), "n=" + n);
        }
        // bandwidth term tends to twice the data: 2 (1023/1024) of it at 1024 ranks
        assertEquals(2 * BYTES * 1023 / 1024, Collective.RING_ALL_REDUCE.linkBytes(1024, BYTES), 1e-6);
    }

    @Test
    void allToOneMovesNMinusOneTimesTheDataThroughTheServerLinkEachWay() {
        for (int n : new int[] {2, 4, 8, 100}) {
            assertEquals(2.0 * (n - 1) * BYTES, Collective.ALL_TO_ONE_ONE_TO_ALL.linkBytes(n, BYTES), 1e-6, "n=" + n);
        }
    }

    @Test
    void treeLatencyIsLog2NEachWay() {
        assertEquals(2 * 3, Collective.TREE_ALL_REDUCE.latencyTerms(8));
        assertEquals(2 * 10, Collective.TREE_ALL_REDUCE.latencyTerms(1024));
        assertEquals(2 * 4, Collective.TREE_ALL_REDUCE.latencyTerms(9));   // ceil(log2 9) = 4
        assertEquals(2 * 1, Collective.TREE_ALL_REDUCE.latencyTerms(2));
    }

    @Test
    void secondsAreAlphaTermsPlusBytesOverBandwidth() {
        double alpha = 5e-6;
        double bw = 25e9;
        // ring, 8 ranks: 14 alpha + 1.75 * 4 MB / 25 GB/s = 70 us + 280 us
        assertEquals(14 * alpha + 1.75 * BYTES / bw, Collective.RING_ALL_REDUCE.seconds(8, BYTES, alpha, bw), 1e-12);
        assertEquals(70e-6 + 280e-6, Collective.RING_ALL_REDUCE.seconds(8, BYTES, alpha, bw), 1e-12);
        // tree, 8 ranks: 6 (alpha + 4 MB / 25 GB/s)
        assertEquals(6 * (alpha + 160e-6), Collective.TREE_ALL_REDUCE.seconds(8, BYTES, alpha, bw), 1e-12);
        // one rank: nothing moves
        assertEquals(0, Collective.ALL_TO_ONE_ONE_TO_ALL.seconds(1, BYTES, alpha, bw));
        assertEquals(alpha + BYTES / bw, Collective.NEIGHBOUR.seconds(4, BYTES, alpha, bw), 1e-15);
    }

    @Test
    void ringBeatsTreeOnBandwidthAndTreeBeatsRingOnLatency() {
        // large message: ring's 2(n-1)/n against tree's 2 log2 n copies
        assertEquals(true, Collective.RING_ALL_REDUCE.seconds(64, 1e9, 1e-6, 25e9)
                < Collective.TREE_ALL_REDUCE.seconds(64, 1e9, 1e-6, 25e9));
        // tiny message: 2(n-1) latencies against 2 log2 n
        assertEquals(true, Collective.TREE_ALL_REDUCE.seconds(64, 8, 1e-6, 25e9)
                < Collective.RING_ALL_REDUCE.seconds(64, 8, 1e-6, 25e9));
    }
}
