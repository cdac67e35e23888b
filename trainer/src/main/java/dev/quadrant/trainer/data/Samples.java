package dev.quadrant.trainer.data;

/**
 * A dataset as the trainer sees it: {@link #size()} samples with a {@link Schema}, read by index. A step is handed
 * the indices of its samples; each replica gathers its own shard into host staging arrays and uploads them, so
 * nothing of the dataset is copied per replica.
 *
 * <p>How a run draws from it is {@link #order()}: every sample once per epoch in a seeded permutation (images,
 * rows of a CSV file), or windows at positions drawn from (seed, step, sample) (a text, where "epoch" means little).
 *
 * <p>Implementations must be safe for concurrent reads from several replica threads.
 *
 * <pre>{@code
 * Samples s = ArraySamples.of("xor", Field.floats("x", 2), Field.ints("y", 2),
 *         new float[] {0, 0, 0, 1, 1, 0, 1, 1}, new int[] {0, 1, 1, 0});
 * }</pre>
 */
public interface Samples {

    /** How a run draws samples. */
    enum Order {
        /** Each epoch visits every sample once, in a seeded permutation ({@link EpochOrder}). */
        EPOCHS,
        /** Each step draws its samples at random positions from (seed, step, sample index): step-based runs. */
        RANDOM
    }

    /** A short name for messages, e.g. {@code mnist/train}. */
    String name();

    Schema schema();

    /** Number of samples. */
    long size();

    /** See {@link Order}; {@link Order#EPOCHS} by default. */
    default Order order() { return Order.EPOCHS; }

    /**
     * Copies field {@code field} (0: input, 1: target) of samples {@code ids[from], ..., ids[from + count - 1]} into
     * {@code dst}, sample after sample ({@code field.size()} floats each). The field must be FLOAT32.
     */
    void gather(int field, long[] ids, int from, int count, float[] dst);

    /** As {@link #gather(int, long[], int, int, float[])} for an INT32 field. */
    void gather(int field, long[] ids, int from, int count, int[] dst);

    /**
     * The samples an evaluation visits: all of them by default; a dataset drawn at random positions returns a fixed,
     * deterministic set ({@code batches} batches of {@code batch} samples, evenly spaced; {@code batches == 0}: the
     * whole set once, see {@link TextSamples#evaluationIds}).
     */
    default long[] evaluationIds(int batches, int batch) {
        long n = size();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(name() + ": " + n + " samples are too many to evaluate all at once");
        }
        long[] ids = new long[(int) n];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        return ids;
    }
}
