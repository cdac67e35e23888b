package dev.quadrant.trainer.parallel;

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
        void run(int rank, StepBatch shard, float lr, long seed) throws Exception;
    }

    private final ReplicaGroup group;
    private final DoubleAdder lossSum = new DoubleAdder();
    private final LongAdder lossCount = new LongAdder();

    AsyncShards(ReplicaGroup group) {
        this.group = group;
    }

    /**
     * Queues each replica's shard of {@code batch} (all its micro-batches together: an asynchronous replica makes one
     * update per shard) as a batch of its own, with its own loss-term count.
     */
    void dispatch(StepBatch batch, float lr, long seed, ShardTask task) {
        int rows = batch.rows();
        Replica r0 = group.replicas.get(0);
        for (int r = 0; r < group.size(); r++) {
            int from = group.shardFrom(rows, r);
            int n = group.shardRows(rows, r);
            if (n == 0) {
                continue;
            }
            StepBatch shard = batch.part(from, n, lossTerms(r0, batch, from, n));
            Replica rep = group.replicas.get(r);
            rep.expect(shard, 0, Math.min(n, rep.maxRows()));   // its loader gathers while earlier shards compute
            group.threads.awaitQueueAtMost(r, DEPTH - 1);
            group.threads.submit(r, rank -> {
                task.run(rank, shard, lr, seed);
                double[] loss = group.replicas.get(rank).takeLoss();
                lossSum.add(loss[0]);
                lossCount.add((long) loss[1]);
            });
        }
    }

    /** Loss terms of rows {@code [from, from + n)} of {@code batch} (gathers their INT32 targets on the host). */
    private static long lossTerms(Replica r0, StepBatch batch, int from, int n) {
        var target = r0.schema().target();
        if (target.dtype() != dev.quadrant.device.DType.INT32) {
            return (long) n * r0.objective().termsPerSample(target);
        }
        int[] t = new int[n * target.size()];
        batch.source().gather(1, batch.ids(), from, n, t);
        return r0.objective().lossTerms(target, t, n);
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
