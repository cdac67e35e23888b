package dev.quadrant.device.comm;

import java.util.List;

/**
 * A contiguous slice {@code [offset, offset + size)} of the flat gradient buffer that is reduced as one collective,
 * holding the gradients {@link #names()} in the order backward produces them: the bucket is ready when the last of
 * them is. The output of {@link BucketPlanner}.
 *
 * <pre>{@code
 * CommHandle h = comm.allReduceAsync(grads, (int) b.offset(), (int) b.size(), ReduceOp.AVERAGE);
 * }</pre>
 *
 * <p>Immutable.
 *
 * @param index position in the plan, 0 for the first bucket backward completes
 */
public record Bucket(int index, long offset, long size, List<String> names) {
    public Bucket {
        names = List.copyOf(names);
    }

    /** One past the last element. */
    public long end() {
        return offset + size;
    }
}
