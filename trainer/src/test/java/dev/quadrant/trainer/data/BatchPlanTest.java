package dev.quadrant.trainer.data;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class BatchPlanTest {
    /** For many (n, B, replicas): shards cover every position exactly once, in order, sizes within one. */
    @Test
    void shardsCoverEveryBatchExactly() {
        int combinations = 0;
        for (int n = 1; n <= 50; n++) {
            for (int b = 1; b <= 55; b++) {
                for (int replicas = 1; replicas <= 9; replicas++) {
                    check(n, b, replicas);
                    combinations++;
                }
            }
        }
        for (int[] c : new int[][] {{60_000, 256, 8}, {60_000, 100, 3}, {10_000, 4096, 7}, {5, 2, 4}}) {
            check(c[0], c[1], c[2]);
            combinations++;
        }
        assertEquals(50 * 55 * 9 + 4, combinations);
    }

    private static void check(int n, int b, int replicas) {
        String where = "n " + n + ", B " + b + ", replicas " + replicas;
        BatchPlan plan = new BatchPlan(n, b);
        assertEquals((n + b - 1) / b, plan.batches(), where);
        int next = 0;
        for (int batch = 0; batch < plan.batches(); batch++) {
            BatchPlan.Range whole = plan.batch(batch);
            assertEquals(next, whole.from(), where + ", batch " + batch);
            int expectedSize = batch < plan.batches() - 1 ? b : n - (plan.batches() - 1) * b;
            assertEquals(expectedSize, whole.size(), where + ", batch " + batch);
            assertEquals(expectedSize, plan.batchSize(batch), where);
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (int r = 0; r < replicas; r++) {
                BatchPlan.Range shard = plan.shard(batch, r, replicas);
                assertEquals(next, shard.from(), where + ", batch " + batch + ", replica " + r);
                next = shard.to();
                min = Math.min(min, shard.size());
                max = Math.max(max, shard.size());
            }
            assertEquals(whole.to(), next, where + ", batch " + batch + ": shards must end where the batch ends");
            assertTrue(max - min <= 1, where + ", batch " + batch + ": shard sizes " + min + ".." + max);
        }
        assertEquals(n, next, where + ": every sample once per epoch");
    }

    @Test
    void lastBatchIsKeptAndMayLeaveReplicasEmpty() {
        BatchPlan plan = new BatchPlan(10, 4);
        assertEquals(3, plan.batches());
        assertEquals(new BatchPlan.Range(8, 10), plan.batch(2));
        assertEquals(new BatchPlan.Range(8, 9), plan.shard(2, 0, 3));
        assertEquals(new BatchPlan.Range(9, 10), plan.shard(2, 1, 3));
        assertEquals(new BatchPlan.Range(10, 10), plan.shard(2, 2, 3));
        assertEquals(0, plan.shard(2, 2, 3).size());
        assertEquals(1, new BatchPlan(5, 100).batches());
    }

    @Test
    void noOverflowNearIntMax() {
        BatchPlan plan = new BatchPlan(Integer.MAX_VALUE, Integer.MAX_VALUE - 1);
        assertEquals(2, plan.batches());
        assertEquals(new BatchPlan.Range(Integer.MAX_VALUE - 1, Integer.MAX_VALUE), plan.batch(1));
        BatchPlan.Range last = plan.shard(0, 2, 3);
        assertEquals(Integer.MAX_VALUE - 1, last.to());
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(1, 0));
        BatchPlan plan = new BatchPlan(10, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> plan.batch(3));
        assertThrows(IndexOutOfBoundsException.class, () -> plan.batch(-1));
        assertThrows(IllegalArgumentException.class, () -> plan.shard(0, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> plan.shard(0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> plan.shard(0, -1, 2));
    }
}
