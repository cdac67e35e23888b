package dev.quadrant.trainer.data;

/**
 * The SplitMix64 generator (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014), written
 * out here rather than borrowed from {@link java.util.SplittableRandom} so that every value it yields, including
 * bounded integers and the approximate gaussians, is fixed by this file and cannot change with the JDK: epoch orders
 * and synthetic datasets must be the same on every machine and every Java version.
 *
 * <p>Not thread-safe; each user owns its instance.
 */
public final class SplitMix64 {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** Standard deviation of the sum of four uniform integers in [0, 65535]: 65536 * sqrt((1 - 2^-32) / 3). */
    private static final double SUM4_STD = 65536.0 * Math.sqrt((1.0 - 0x1p-32) / 3.0);
    private static final double SUM4_MEAN = 2.0 * 65535.0;

    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    /** Restarts the sequence from {@code seed}. */
    void reseed(long seed) {
        this.state = seed;
    }

    /** The SplitMix64 output function (a bijective 64-bit mixer); also used to derive seeds. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A seed for sub-stream {@code index} of the stream {@code seed}; distinct indices give unrelated streams. */
    public static long derive(long seed, long index) {
        return mix(mix(seed + GOLDEN) ^ mix(index * GOLDEN + 0x632BE59BD9B4E019L));
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in {@code [0, bound)}, without bias (Lemire's multiply-and-reject). */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        long m = (nextLong() >>> 32) * bound;
        long low = m & 0xFFFFFFFFL;
        if (low < bound) {
            long threshold = (1L << 32) % bound;
            while (low < threshold) {
                m = (nextLong() >>> 32) * bound;
                low = m & 0xFFFFFFFFL;
            }
        }
        return (int) (m >>> 32);
    }

    /** Uniform in {@code [0, 1)} with 24 random bits. */
    float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /**
     * An approximately standard normal value: the sum of four uniform 16-bit integers (Irwin-Hall), centred and
     * scaled to unit variance. One 64-bit draw each; bounded to about +-3.46, which is all a synthetic problem needs.
     */
    float nextGaussian() {
        long r = nextLong();
        long sum = (r & 0xFFFF) + ((r >>> 16) & 0xFFFF) + ((r >>> 32) & 0xFFFF) + (r >>> 48);
        return (float) ((sum - SUM4_MEAN) / SUM4_STD);
    }
}
