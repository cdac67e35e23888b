package dev.quadrant.trainer.data;

/**
 * One epoch of a training set as an {@link Augmentation} transforms it: {@link #gather} of the input field copies the
 * images and transforms each by its key {@code (seed, epoch, sample id)}, so that a sample comes out the same whoever
 * gathers it and in whatever shard. The target field, the size, the order and the evaluation ids are those of the
 * wrapped set.
 *
 * <p>Immutable; thread-safe as the wrapped set is (each call uses its own scratch image).
 */
final class AugmentedSamples implements Samples {
    private final Samples base;
    private final Augmentation augmentation;
    private final long seed;
    private final long epoch;
    private final int h;
    private final int w;
    private final int c;

    AugmentedSamples(Samples base, Augmentation augmentation, long seed, long epoch) {
        this.base = base;
        this.augmentation = augmentation;
        this.seed = seed;
        this.epoch = epoch;
        int[] shape = base.schema().input().shape(); // [H, W, C], checked by Augmentation.apply
        this.h = shape[0];
        this.w = shape[1];
        this.c = shape[2];
    }

    @Override
    public String name() { return base.name() + " (" + augmentation + ", epoch " + (epoch + 1) + ")"; }

    @Override
    public Schema schema() { return base.schema(); }

    @Override
    public long size() { return base.size(); }

    @Override
    public Order order() { return base.order(); }

    @Override
    public void gather(int field, long[] ids, int from, int count, float[] dst) {
        base.gather(field, ids, from, count, dst);
        if (field != 0) {
            return;
        }
        int per = h * w * c;
        float[] image = new float[per];
        for (int i = 0; i < count; i++) {
            System.arraycopy(dst, i * per, image, 0, per);
            augmentation.transform(Augmentation.key(seed, epoch, ids[from + i]), image, 0, dst, i * per, h, w, c);
        }
    }

    @Override
    public void gather(int field, long[] ids, int from, int count, int[] dst) {
        base.gather(field, ids, from, count, dst);
    }

    @Override
    public long[] evaluationIds(int batches, int batch) { return base.evaluationIds(batches, batch); }
}
