package dev.quadrant.trainer.data;

/**
 * Samples {@code from, ..., from + count - 1} of another set, as a set of their own (index 0 is {@code from}): how a
 * validation split is cut from the end of a training set. A view: nothing is copied.
 *
 * <p>Thread-safe as the underlying set is; {@code gather} allocates a shifted copy of the indices it reads.
 */
public final class RangeSamples implements Samples {
    private final Samples base;
    private final long from;
    private final long count;
    private final String name;

    /**
     * @throws IllegalArgumentException unless {@code 0 <= from}, {@code 0 < count} and {@code from + count <= base.size()}
     */
    public RangeSamples(Samples base, long from, long count, String name) {
        if (from < 0 || count <= 0 || from > base.size() - count) {
            throw new IllegalArgumentException(base.name() + ": samples [" + from + ", " + from + " + " + count
                    + ") are not within its " + base.size());
        }
        this.base = base;
        this.from = from;
        this.count = count;
        this.name = name;
    }

    @Override
    public String name() { return name; }

    @Override
    public Schema schema() { return base.schema(); }

    @Override
    public long size() { return count; }

    @Override
    public Order order() { return base.order(); }

    @Override
    public void gather(int field, long[] ids, int from, int count, float[] dst) {
        base.gather(field, shifted(ids, from, count), 0, count, dst);
    }

    @Override
    public void gather(int field, long[] ids, int from, int count, int[] dst) {
        base.gather(field, shifted(ids, from, count), 0, count, dst);
    }

    private long[] shifted(long[] ids, int at, int n) {
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long id = ids[at + i];
            if (id < 0 || id >= count) {
                throw new IndexOutOfBoundsException(name + ": sample " + id + " of " + count);
            }
            out[i] = this.from + id;
        }
        return out;
    }
}
