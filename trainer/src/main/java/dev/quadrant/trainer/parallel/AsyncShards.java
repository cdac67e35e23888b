package dev.quadrant.trainer.parallel;

import java.util.Arrays;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Feeds the asynchronous strategies: each global batch is cut into one shard per replica, copied (the driver reuses
 * its batch arrays) and queued on that replica's thread, at most {@link #DEPTH} shards ahead, so replicas run at
 * their own pace with no barrier between them. Training losses are collected on the replicas' threads, so reading
 * them does not stop anybody.
 */
final class AsyncShards {
    /** Shards a replica may have queued before the driver waits for it. */
    static final int DEPTH = 2;

    /** Work on one shard, on the replica's thread. */
    @FunctionalInterface
    interface ShardTask {
        void run(int rank, float[] x, int[] y, int rows, float lr, long seed) throws Exception;
    }

    private final ReplicaGroup group;
    private final DoubleAdder lossSum = new DoubleAdder();
    private final LongAdder lossCount = new LongAdder();

    AsyncShards(ReplicaGroup group) {
        this.group = group;
    }

    void dispatch(float[] hostX, int[] hostY, int rows, float lr, long seed, ShardTask task) {
        int f = group.replicas.get(0).features();
        for (int r = 0; r < group.size(); r++) {
            int from = group.shardFrom(rows, r);
            int n = group.shardRows(rows, r);
            if (n == 0) {
                continue;
            }
            float[] x = Arrays.copyOfRange(hostX, from * f, (from + n) * f);
            int[] y = Arrays.copyOfRange(hostY, from, from + n);
            group.threads.awaitQueueAtMost(r, DEPTH - 1);
            group.threads.submit(r, rank -> {
                task.run(rank, x, y, n, lr, seed);
                Replica rep = group.replicas.get(rank);
                lossCount.add(rep.samplesSinceRead());
                lossSum.add(rep.takeLossSum());
            });
        }
    }

    /** Updates the replicas dropped for non-finite gradients, summed (each replica makes its own updates). */
    long skippedSteps() {
        return group.replicas.stream().mapToLong(Replica::skippedUpdates).sum();
    }

    /** Losses collected so far, and resets them; does not wait for the replicas. */
    double[] takeLossSum() {
        double s = lossSum.sumThenReset();
        long n = lossCount.sumThenReset();
        return new double[] {s, n};
    }
}
