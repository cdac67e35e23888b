package dev.quadrant.trainer.data;

/**
 * How an epoch of {@code n} samples is cut into global batches of {@code B} rows, and each global batch into one
 * shard per replica.
 *
 * <ul>
 *   <li>Batch {@code b} covers positions {@code [b*B, min(n, (b+1)*B))} of the epoch order; there are
 *       {@code ceil(n / B)} batches and the last one may be smaller. It is <b>not dropped</b>: every sample is seen
 *       once per epoch.</li>
 *   <li>{@link #shard} splits a batch of {@code m} rows over {@code R} replicas in replica order: the first
 *       {@code m % R} replicas get {@code m / R + 1} rows, the others {@code m / R}. The shards are contiguous,
 *       disjoint and cover the batch exactly, and their sizes differ by at most one. When a batch has fewer rows than
 *       there are replicas (possible only for the last batch, or if {@code B < R}), some replicas get <b>zero rows</b>:
 *       they must still take part in the step (all-reduce a zero gradient), and a replica's gradient must be weighted
 *       by its rows over the batch's rows, so that the result equals one replica with the whole batch.</li>
 * </ul>
 * Positions index the epoch order ({@link EpochOrder}); {@link Batch#gather} turns a range of positions into rows.
 *
 * <p>Immutable and thread-safe. Example: replica {@code r} of {@code R} in one epoch
 * <pre>{@code
 * BatchPlan plan = new BatchPlan(data.size(), 256);
 * for (int b = 0; b < plan.batches(); b++) {
 *     BatchPlan.Range s = plan.shard(b, r, R);
 *     batch.gather(data, order, s.from(), s.to());
 *     ... // forward and backward on batch.rows() rows, weight rows / plan.batchSize(b)
 * }
 * }</pre>
 */
public final class BatchPlan {
    /** Positions {@code [from, to)} of the epoch order. */
    public record Range(int from, int to) {
        /** @throws IllegalArgumentException unless {@code 0 <= from <= to} */
        public Range {
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("bad range [" + from + ", " + to + ")");
            }
        }

        /** Number of positions, {@code to - from}; may be 0. */
        public int size() { return to - from; }
    }

    private final int samples;
    private final int batchSize;
    private final int batches;

    /**
     * @param samples   rows per epoch, at least 1
     * @param batchSize global batch size (all replicas together), at least 1; larger than {@code samples} means one
     *                  batch of all samples
     */
    public BatchPlan(int samples, int batchSize) {
        if (samples < 1) {
            throw new IllegalArgumentException("samples must be >= 1, got " + samples);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.samples = samples;
        this.batchSize = batchSize;
        this.batches = (int) ((samples + (long) batchSize - 1) / batchSize);
    }

    /** Rows per epoch. */
    public int samples() { return samples; }

    /** The global batch size B. */
    public int batchSize() { return batchSize; }

    /** Batches per epoch: {@code ceil(samples / batchSize)}. */
    public int batches() { return batches; }

    /** Positions of batch {@code batch} in the epoch order. */
    public Range batch(int batch) {
        checkBatch(batch);
        int from = (int) ((long) batch * batchSize);
        return new Range(from, (int) Math.min(samples, (long) from + batchSize));
    }

    /** Rows in batch {@code batch}: {@code batchSize}, or fewer for the last one. */
    public int batchSize(int batch) {
        return batch(batch).size();
    }

    /**
     * Positions of replica {@code replica}'s shard of batch {@code batch}: a contiguous part of {@link #batch}, of
     * {@code m / replicas} or {@code m / replicas + 1} rows; possibly empty.
     */
    public Range shard(int batch, int replica, int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be >= 1, got " + replicas);
        }
        if (replica < 0 || replica >= replicas) {
            throw new IllegalArgumentException("replica must be in 0.." + (replicas - 1) + ", got " + replica);
        }
        Range whole = batch(batch);
        int m = whole.size();
        int base = m / replicas;
        int extra = m % replicas;
        int from = whole.from() + replica * base + Math.min(replica, extra);
        return new Range(from, from + base + (replica < extra ? 1 : 0));
    }

    private void checkBatch(int batch) {
        if (batch < 0 || batch >= batches) {
            throw new IndexOutOfBoundsException("batch must be in 0.." + (batches - 1) + ", got " + batch);
        }
    }

    @Override
    public String toString() {
        return "BatchPlan(" + samples + " samples, batch " + batchSize + ", " + batches + " batches)";
    }
}
