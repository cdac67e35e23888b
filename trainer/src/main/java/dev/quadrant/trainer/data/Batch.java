package dev.quadrant.trainer.data;

import java.util.Objects;

/**
 * A reusable host buffer for one (shard of a) batch: {@link #x()} holds up to {@link #capacity()} rows of features,
 * row-major, and {@link #y()} their labels. {@link #gather(Dataset, int[], int, int)} copies rows into it; nothing is
 * allocated per batch.
 *
 * <p>Rows past {@link #rows()} hold stale data from earlier batches. Not thread-safe: each replica owns its batch.
 * Example:
 * <pre>{@code
 * Batch batch = new Batch(plan.batchSize(), data.features());
 * BatchPlan.Range s = plan.shard(b, replica, replicas);
 * batch.gather(data, order, s.from(), s.to());
 * float[] x = batch.x();   // [rows, features], the first batch.rows() rows valid
 * }</pre>
 */
public final class Batch {
    private final int capacity;
    private final int features;
    private final float[] x; // [capacity, features]
    private final int[] y;   // [capacity]
    private int rows;

    /** A buffer for up to {@code capacity} rows of {@code features} features. */
    public Batch(int capacity, int features) {
        if (capacity < 0 || features < 1) {
            throw new IllegalArgumentException("capacity must be >= 0 and features >= 1, got " + capacity
                    + " and " + features);
        }
        if ((long) capacity * features > Dataset.MAX_ARRAY_LENGTH) {
            throw new IllegalArgumentException(capacity + " rows x " + features + " features is too large");
        }
        this.capacity = capacity;
        this.features = features;
        this.x = new float[capacity * features];
        this.y = new int[capacity];
    }

    /**
     * Copies the rows {@code order[from..to)} of {@code data} into this buffer, in that order, and sets
     * {@link #rows()} to {@code to - from}.
     *
     * @return this
     * @throws IllegalArgumentException if the dataset's feature count differs or the range exceeds the capacity
     */
    public Batch gather(Dataset data, int[] order, int from, int to) {
        if (data.features() != features) {
            throw new IllegalArgumentException("dataset has " + data.features() + " features, batch " + features);
        }
        rows = gather(data, order, from, to, x, y);
        return this;
    }

    /**
     * Copies the rows {@code order[from..to)} of {@code data} into {@code xOut} [to - from, features] and
     * {@code yOut} [to - from], in that order; the primitive behind the instance method.
     *
     * @return the number of rows copied, {@code to - from}
     * @throws IndexOutOfBoundsException if the range is outside {@code order}, an index in it is outside the dataset,
     *                                   or the output arrays are too small
     */
    public static int gather(Dataset data, int[] order, int from, int to, float[] xOut, int[] yOut) {
        Objects.checkFromToIndex(from, to, order.length);
        int n = to - from;
        int f = data.features();
        if ((long) n * f > xOut.length || n > yOut.length) {
            throw new IndexOutOfBoundsException(n + " rows of " + f + " features do not fit xOut[" + xOut.length
                    + "] and yOut[" + yOut.length + "]");
        }
        float[] x = data.x();
        int[] y = data.y();
        int size = data.size();
        for (int i = 0; i < n; i++) {
            int row = Objects.checkIndex(order[from + i], size);
            System.arraycopy(x, row * f, xOut, i * f, f);
            yOut[i] = y[row];
        }
        return n;
    }

    /** Rows filled by the last gather. */
    public int rows() { return rows; }

    /** Most rows this buffer holds. */
    public int capacity() { return capacity; }

    /** Features per row. */
    public int features() { return features; }

    /** The features, [capacity, features] row-major; the first {@link #rows()} rows are valid. */
    public float[] x() { return x; }

    /** The labels, [capacity]; the first {@link #rows()} are valid. */
    public int[] y() { return y; }
}
