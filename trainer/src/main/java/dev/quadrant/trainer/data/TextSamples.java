package dev.quadrant.trainer.data;

/**
 * Windows of a token sequence for next-token prediction: sample {@code p} is the window starting at position
 * {@code p}, its input the tokens {@code [p, p + ctx)} and its target the tokens {@code [p + 1, p + ctx + 1)}. There
 * are {@code length - ctx} windows. Training draws them at random positions ({@link Order#RANDOM}); evaluation visits
 * a fixed set of evenly spaced ones.
 *
 * <p>Immutable and thread-safe (the token array is owned and never written).
 */
public final class TextSamples implements Samples {
    private final String name;
    private final int[] tokens;
    private final int ctx;
    private final int vocab;

    /** Windows of {@code ctx} over {@code tokens} (each in {@code [0, vocab)}); needs at least {@code ctx + 1} tokens. */
    public TextSamples(String name, int[] tokens, int ctx, int vocab) {
        if (ctx < 1 || tokens.length < ctx + 1) {
            throw new IllegalArgumentException(name + ": " + tokens.length + " tokens cannot hold a window of ctx "
                    + ctx + " + 1");
        }
        this.name = name;
        this.tokens = tokens;
        this.ctx = ctx;
        this.vocab = vocab;
    }

    @Override
    public String name() { return name; }

    @Override
    public Schema schema() {
        return new Schema(Field.ints("tokens", vocab, ctx), Field.ints("targets", vocab, ctx));
    }

    @Override
    public long size() { return tokens.length - ctx; }

    @Override
    public Order order() { return Order.RANDOM; }

    @Override
    public void gather(int field, long[] ids, int from, int count, float[] dst) {
        throw new IllegalArgumentException(name + ": token windows have no float fields");
    }

    @Override
    public void gather(int field, long[] ids, int from, int count, int[] dst) {
        int shift = field == 0 ? 0 : 1;
        for (int i = 0; i < count; i++) {
            System.arraycopy(tokens, Math.toIntExact(ids[from + i]) + shift, dst, i * ctx, ctx);
        }
    }

    /**
     * With {@code batches == 0}: the whole sequence once, as non-overlapping windows at {@code 0, ctx, 2 ctx, ...}
     * (every target but the last {@code (length - 1) % ctx} scored once); otherwise {@code batches * batch} windows
     * evenly spaced over the sequence (all of them if there are fewer).
     */
    @Override
    public long[] evaluationIds(int batches, int batch) {
        long n = size();
        if (batches == 0) {
            long[] ids = new long[(int) ((tokens.length - 1) / ctx)];
            for (int k = 0; k < ids.length; k++) {
                ids[k] = (long) k * ctx;
            }
            return ids;
        }
        long want = Math.min(n, (long) batches * batch);
        long[] ids = new long[(int) want];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i * n / want;
        }
        return ids;
    }

    @Override
    public String toString() { return name + " (" + tokens.length + " tokens, windows of " + ctx + ")"; }
}
