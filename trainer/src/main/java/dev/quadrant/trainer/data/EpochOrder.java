package dev.quadrant.trainer.data;

/**
 * The order in which an epoch visits the samples: a permutation of {@code 0..n-1} that depends only on
 * {@code (seed, epoch, n)}.
 *
 * <p>Every replica computes the same permutation by itself (nothing is communicated), and it does not depend on how
 * many replicas there are: with each global batch cut into per-replica shards (a {@code StepBatch}), N replicas with batch B see
 * exactly the rows that one replica with batch B sees. The permutation is a Fisher-Yates shuffle driven by
 * {@link SplitMix64} seeded from {@code (seed, epoch)}, so it is the same on every machine and Java version (unlike
 * {@code Collections.shuffle} with {@code java.util.Random}, whose use of the generator is not specified).
 *
 * <p>Stateless; thread-safe. Example:
 * <pre>{@code
 * int[] order = new int[data.size()];
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     EpochOrder.permutation(seed, epoch, order);   // reuses the array
 *     ...
 * }
 * }</pre>
 */
public final class EpochOrder {
    private EpochOrder() {}

    /** A new array holding the permutation of {@code 0..n-1} for this seed and epoch. */
    public static int[] permutation(long seed, long epoch, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        int[] order = new int[n];
        permutation(seed, epoch, order);
        return order;
    }

    /** Fills {@code order} with the permutation of {@code 0..order.length-1} for this seed and epoch. */
    public static void permutation(long seed, long epoch, int[] order) {
        int n = order.length;
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        SplitMix64 rng = new SplitMix64(SplitMix64.derive(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }
}
