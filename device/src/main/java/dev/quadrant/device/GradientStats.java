package dev.quadrant.device;

/**
 * The layout of the small FLOAT32 device tensor that {@link Backend#gradientStats} writes and the guarded optimizer
 * updates ({@link Backend#sgdUpdate}, {@link Backend#adamUpdate} with a {@code guard}) read, so that clipping by the
 * global norm and skipping a non-finite update need no host read (PyTorch keeps {@code found_inf} on the device the
 * same way). The host reads it only when metrics are read ({@link #decode}).
 *
 * <pre>
 * [0] norm        the L2 norm of the gradients of the last call (summed in double, stored as float) when it clips
 *                 (maxNorm &gt; 0); NaN when it does not, and only the non-finite test is made (on the CPU an int
 *                 OR-reduction instead of a double sum of squares over every gradient)
 * [1] nonFinite   1 when the last call saw a NaN or an infinity, else 0: the guarded updates then change nothing
 * [2] factor      the clipping factor the guarded updates multiply each gradient by: maxNorm / (norm + 1e-6) when
 *                 0 &lt; maxNorm &lt; norm, else 1 (exactly; so an unclipped update is bit for bit an unguarded one)
 * [3] skipped     number of calls that saw a non-finite gradient since the tensor was zeroed (accumulates)
 * [4, 5] step     the {@code step} argument of the first such call, as (high, low) 24-bit halves
 * [6, 7] index    the flat index of its first non-finite element (in index order), as (high, low) 24-bit halves
 * </pre>
 *
 * <p>Adam's bias correction under a guard uses {@code step - skipped} (the updates actually applied), as the host-side
 * check did by not counting a skipped update. Immutable constants and a pure decoder.
 *
 * <pre>{@code
 * Tensor stats = be.allocate(DType.FLOAT32, GradientStats.SIZE);
 * be.gradientStats(grads, 1f, step, stats);
 * be.sgdUpdate(w, grads, null, lr, 0f, false, 0f, stats);
 * GradientStats.Read r = GradientStats.decode(hostCopy);   // at the epoch's end
 * }</pre>
 */
public final class GradientStats {
    /** Number of floats. */
    public static final int SIZE = 8;
    public static final int NORM = 0;
    public static final int NON_FINITE = 1;
    public static final int FACTOR = 2;
    public static final int SKIPPED = 3;
    public static final int FIRST_STEP = 4;
    public static final int FIRST_INDEX = 6;
    /** The split of a 48-bit value into two floats that hold it exactly. */
    public static final long HALF = 1L << 24;

    private GradientStats() {}

    /**
     * What the host learns from a copy of the tensor.
     *
     * @param norm       the last call's norm
     * @param skipped    non-finite calls since zeroed
     * @param firstStep  the step of the first of them, or -1
     * @param firstIndex the flat gradient index of its first non-finite element, or -1
     */
    public record Read(double norm, long skipped, long firstStep, long firstIndex) {}

    /** Decodes a host copy of {@link #SIZE} floats. */
    public static Read decode(float[] v) {
        if (v.length < SIZE) {
            throw new IllegalArgumentException("gradient statistics hold " + SIZE + " floats, got " + v.length);
        }
        long skipped = (long) v[SKIPPED];
        long step = skipped == 0 ? -1 : joined(v[FIRST_STEP], v[FIRST_STEP + 1]);
        long index = skipped == 0 ? -1 : joined(v[FIRST_INDEX], v[FIRST_INDEX + 1]);
        return new Read(v[NORM], skipped, step, index);
    }

    /** The clipping factor for a norm, exactly as every backend computes it (1 means "not clipped"). */
    public static float factor(double norm, float maxNorm) {
        return maxNorm > 0 && norm > maxNorm ? (float) (maxNorm / (norm + 1e-6)) : 1f;
    }

    /** {@code hi * 2^24 + lo}. */
    public static long joined(double hi, double lo) {
        return (long) hi * HALF + (long) lo;
    }

    /** The high half of a value below 2^48. */
    public static float high(long v) {
        return (float) (v / HALF);
    }

    /** The low half. */
    public static float low(long v) {
        return (float) (v % HALF);
    }
}
