package dev.quadrant.trainer.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The cost model's step times on links and compute whose figures are chosen so the answers are known by hand. */
class CostModelTest {
    private static final long P = 1_000_000;                 // 4 MB of gradients
    private static final double ALPHA = 1e-5;
    private static final double BW = 4e9;                    // 4 MB take 1 ms
    /** 1 ms per sample, no fixed cost. */
    private static final CostModel.Compute LINEAR = (b, n) -> 1e-3 * b;

    private static CostModel model(long[] buckets, boolean overlaps) {
        return new CostModel(P, buckets, 2.0 / 3, LINEAR, links(overlaps), 1);
    }

    private static CostModel.Comm links(boolean overlaps) {
        return new CostModel.Comm() {
            @Override
            public double seconds(Collective c, int n, double bytes) { return c.seconds(n, bytes, ALPHA, BW); }

            @Override
            public boolean overlaps(int n) { return overlaps; }
        };
    }

    @Test
    void oneReplicaIsItsComputeAlone() {
        CostModel.Prediction p = model(new long[] {P}, true).predict(ModelStrategy.PS, 1, 64, CostModel.Scaling.STRONG);
        assertEquals(0.064, p.stepSeconds(), 1e-12);
        assertEquals(0, p.commSeconds());
        assertEquals(1000, p.samplesPerSecond(), 1e-9);
    }

    @Test
    void parameterServerIsComputeOfTheShardPlusTwoNMinusOneMessagesThroughTheServer() {
        CostModel.Prediction p = model(new long[] {P}, true).predict(ModelStrategy.PS, 4, 64, CostModel.Scaling.STRONG);
        assertEquals(16, p.perReplicaBatch());
        // 16 ms + 6 (alpha + 1 ms)
        assertEquals(0.016 + 6 * (ALPHA + 1e-3), p.stepSeconds(), 1e-12);
        assertEquals(64 / p.stepSeconds(), p.samplesPerSecond(), 1e-9);
    }

    @Test
    void oneBucketAllReduceCannotHideBehindBackward() {
        // the only bucket is ready when backward ends: all of it is exposed
        CostModel.Prediction p = model(new long[] {P}, true).predict(ModelStrategy.ALLREDUCE_RING, 4, 64,
                CostModel.Scaling.STRONG);
        double ring = 6 * ALPHA + 1.5e-3;
        assertEquals(ring, p.commSeconds(), 1e-12);
        assertEquals(ring, p.exposedCommSeconds(), 1e-12);
        assertEquals(0.016 + ring, p.stepSeconds(), 1e-12);
    }

    @Test
    void bucketsHideBehindBackwardUpToTheLastOne() {
        // two equal buckets; backward is 2/3 of 16 ms; the first is ready half-way (5.33 ms) and takes
        // 6 alpha + 0.75 ms, finished long before backward ends; the last starts at the end: only it is exposed
        CostModel.Prediction p = model(new long[] {P / 2, P / 2}, true).predict(ModelStrategy.ALLREDUCE_RING, 4, 64,
                CostModel.Scaling.STRONG);
        double bucket = 6 * ALPHA + 0.75e-3;
        assertEquals(2 * bucket, p.commSeconds(), 1e-12);
        assertEquals(bucket, p.exposedCommSeconds(), 1e-12);
        // without overlap (all cores busy) everything is exposed
        CostModel.Prediction q = model(new long[] {P / 2, P / 2}, false).predict(ModelStrategy.ALLREDUCE_RING, 4, 64,
                CostModel.Scaling.STRONG);
        assertEquals(2 * bucket, q.exposedCommSeconds(), 1e-12);
    }

    @Test
    void exposedAllReduceWhenCommunicationOutrunsBackward() {
        // buckets of 1, 1 elements ready at 5 and 10 s, each taking 8 s: the second starts at 13, ends at 21
        assertEquals(11, CostModel.exposedAllReduce(new long[] {1, 1}, new double[] {8, 8}, 10), 1e-12);
        // each takes 1 s: the last one ends at 11
        assertEquals(1, CostModel.exposedAllReduce(new long[] {1, 1}, new double[] {1, 1}, 10), 1e-12);
    }

    @Test
    void hogwildIsBoundByTheSharedServerLink() {
        CostModel m = model(new long[] {P}, true);
        // pull + push = 2 (alpha + 1 ms); with 64 workers of 1 sample the server carries 64 * that per step
        CostModel.Prediction p = m.predict(ModelStrategy.HOGWILD, 64, 64, CostModel.Scaling.STRONG);
        double pullPush = 2 * (ALPHA + 1e-3);
        assertEquals(64 * pullPush, p.stepSeconds(), 1e-12);
        // with 2 workers of 32 samples the worker's own compute and exchange set the pace
        CostModel.Prediction q = m.predict(ModelStrategy.HOGWILD, 2, 64, CostModel.Scaling.STRONG);
        assertEquals(0.032 + pullPush, q.stepSeconds(), 1e-12);
        assertEquals(64 / q.stepSeconds(), q.samplesPerSecond(), 1e-9);
    }

    @Test
    void gossipPaysOneNeighbourMessagePerPeriod() {
        CostModel.Comm links = links(true);
        CostModel every4 = new CostModel(P, new long[] {P}, 2.0 / 3, LINEAR, links, 4);
        CostModel.Prediction p = every4.predict(ModelStrategy.GOSSIP, 8, 64, CostModel.Scaling.STRONG);
        assertEquals(0.008 + (ALPHA + 1e-3) / 4, p.stepSeconds(), 1e-12);
    }

    @Test
    void weakScalingKeepsThePerReplicaBatch() {
        CostModel m = model(new long[] {P}, true);
        CostModel.Prediction p = m.predict(ModelStrategy.ALLREDUCE_RING, 8, 64, CostModel.Scaling.WEAK);
        assertEquals(64, p.perReplicaBatch());
        assertEquals(8 * 64 / p.stepSeconds(), p.samplesPerSecond(), 1e-9);
        assertEquals(8, CostModel.perReplicaBatch(64, 8, CostModel.Scaling.STRONG));
        assertEquals(22, CostModel.perReplicaBatch(64, 3, CostModel.Scaling.STRONG)); // ceil: the largest shard
    }

    @Test
    void allReduceBeatsParameterServerByAboutNWhenCommunicationDominates() {
        // compute ~ 0: the ratio of the steps is the ratio of the bandwidth terms, 2(N-1) / (2(N-1)/N) = N
        CostModel.Compute none = (b, n) -> 0;
        CostModel.Comm bandwidthOnly = new CostModel.Comm() {
            @Override
            public double seconds(Collective c, int n, double bytes) { return c.seconds(n, bytes, 0, BW); }

            @Override
            public boolean overlaps(int n) { return true; }
        };
        CostModel m = new CostModel(P, new long[] {P}, 2.0 / 3, none, bandwidthOnly, 1);
        for (int n : new int[] {2, 8, 64}) {
            double ratio = m.predict(ModelStrategy.PS, n, 1024, CostModel.Scaling.STRONG).stepSeconds()
                    / m.predict(ModelStrategy.ALLREDUCE_RING, n, 1024, CostModel.Scaling.STRONG).stepSeconds();
            assertEquals(n, ratio, 1e-9, "n=" + n);
        }
        // compute-dominated: the ratio tends to 1
        CostModel slow = new CostModel(P, new long[] {P}, 2.0 / 3, (b, n) -> 10.0, bandwidthOnly, 1);
        double ratio = slow.predict(ModelStrategy.PS, 8, 64, CostModel.Scaling.STRONG).stepSeconds()
                / slow.predict(ModelStrategy.ALLREDUCE_RING, 8, 64, CostModel.Scaling.STRONG).stepSeconds();
        assertTrue(ratio < 1.01, "ratio " + ratio);
    }

    @Test
    void bucketsMustCoverTheParameters() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model(new long[] {P / 2}, true));
        assertTrue(e.getMessage().contains("500000") && e.getMessage().contains("1000000"), e.getMessage());
    }
}
