package dev.quadrant.trainer.parallel;

import dev.quadrant.device.comm.Shards;
import dev.quadrant.trainer.data.Samples;

/**
 * The samples of one optimizer step, by index into {@code source}: {@code ids[0 .. rows)} form the global batch,
 * cut into {@code microBatches} consecutive micro-batches (gradient accumulation: their gradients add up before the
 * one update), each micro-batch then sharded over the replicas ({@link Shards}). {@code lossTerms} is the global number
 * of loss terms of the whole step, so every replica scales its gradients by {@code 1 / lossTerms} and their sum is the
 * gradient of the mean loss over the whole batch.
 *
 * <p>Row {@code i} of the global batch keys its dropout masks by {@code i}, whichever replica and micro-batch computes
 * it, so sharding and accumulation do not change what is computed. Immutable by contract (the array is not copied).
 */
public record StepBatch(Samples source, long[] ids, int rows, int microBatches, long lossTerms) {
    public StepBatch {
        if (rows < 0 || rows > ids.length || microBatches < 1 || lossTerms < 0) {
            throw new IllegalArgumentException("step batch of " + rows + " rows over " + ids.length + " ids, "
                    + microBatches + " micro-batches, " + lossTerms + " loss terms");
        }
    }

    /**
     * The first {@code rows} samples of {@code source} (in order) as one step of {@code microBatches}
     * micro-batches, its loss terms counted for {@code objective}.
     */
    public static StepBatch first(Samples source, int rows, int microBatches,
                                  dev.quadrant.trainer.objective.Objective objective) {
        long[] ids = new long[rows];
        for (int i = 0; i < rows; i++) {
            ids[i] = i;
        }
        var target = source.schema().target();
        long terms;
        if (target.dtype() == dev.quadrant.device.DType.INT32) {
            int[] t = new int[rows * target.size()];
            source.gather(1, ids, 0, rows, t);
            terms = objective.lossTerms(target, t, rows);
        } else {
            terms = objective.lossTerms(target, null, rows);
        }
        return new StepBatch(source, ids, rows, microBatches, terms);
    }

    /** Rows per micro-batch (the last may have fewer). */
    public int microRows() { return (rows + microBatches - 1) / microBatches; }

    /** First global row of micro-batch {@code k}. */
    public int microFrom(int k) { return Math.min(rows, k * microRows()); }

    /** Rows of micro-batch {@code k}. */
    public int microLength(int k) { return Math.min(rows, (k + 1) * microRows()) - microFrom(k); }

    /** First global row of replica {@code r}'s shard of micro-batch {@code k} among {@code replicas}. */
    public int shardFrom(int k, int r, int replicas) { return microFrom(k) + Shards.offset(microLength(k), replicas, r); }

    /** Rows of replica {@code r}'s shard of micro-batch {@code k}. */
    public int shardRows(int k, int r, int replicas) { return Shards.length(microLength(k), replicas, r); }

    /** The most rows one of {@code replicas} replicas computes at once for a step of {@code rows} rows in {@code k}. */
    public static int maxShardRows(int rows, int k, int replicas) {
        int micro = (rows + k - 1) / k;
        return Math.max(1, (micro + replicas - 1) / replicas);
    }

    /** Rows {@code [from, from + n)} as a batch of their own (one micro-batch), e.g. an asynchronous replica's shard. */
    public StepBatch part(int from, int n, long terms) {
        return new StepBatch(source, java.util.Arrays.copyOfRange(ids, from, from + n), n, 1, terms);
    }
}
