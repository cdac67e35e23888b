package dev.quadrant.device.comm;

/**
 * Which part of a region each rank owns in {@link Communicator#reduceScatter} and {@link Communicator#allGather}:
 * {@code count} elements cut into {@code parts} contiguous shards, the first {@code count % parts} one element longer
 * than the others.
 *
 * <pre>{@code
 * int from = offset + Shards.offset(count, comm.size(), comm.rank());
 * int len = Shards.length(count, comm.size(), comm.rank());   // optimizer step on [from, from + len) only
 * }</pre>
 *
 * <p>Stateless and thread-safe.
 */
public final class Shards {
    private Shards() {}

    /** First element of shard {@code index}, relative to the start of the region. */
    public static int offset(int count, int parts, int index) {
        check(count, parts, index);
        int base = count / parts;
        int extra = count % parts;
        return index * base + Math.min(index, extra);
    }

    /** Number of elements of shard {@code index}. */
    public static int length(int count, int parts, int index) {
        check(count, parts, index);
        return count / parts + (index < count % parts ? 1 : 0);
    }

    private static void check(int count, int parts, int index) {
        if (count < 0 || parts < 1 || index < 0 || index >= parts) {
            throw new IllegalArgumentException("shard " + index + " of " + parts + " over " + count
                    + " elements: need count >= 0, parts >= 1 and 0 <= index < parts");
        }
    }
}
