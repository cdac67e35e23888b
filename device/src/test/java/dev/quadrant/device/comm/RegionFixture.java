package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Per-rank direct buffers with a region at a rank-specific offset, sentinels around it, seeded inputs, and the
 * checks of the collectives tests: float64 reference with a summation-order tolerance, the exact rank-order float32
 * sum, bit equality.
 */
final class RegionFixture {
    static final float SENTINEL = -12345.5f;
    final int n;
    final int count;
    final int[] offsets;
    final FloatBuffer[] bufs;
    final float[][] inputs;  // [n][count]

    RegionFixture(int n, int count, long seed) {
        this.n = n;
        this.count = count;
        offsets = new int[n];
        bufs = new FloatBuffer[n];
        inputs = new float[n][count];
        for (int r = 0; r < n; r++) {
            offsets[r] = 2 * r + 1;
            bufs[r] = Ranks.direct(offsets[r] + count + 3);
            SplittableRandom rnd = new SplittableRandom(seed * 1_000 + r);
            for (int i = 0; i < count; i++) {
                // magnitudes from 1/8 to 16 so that the order of float32 additions shows in the low bits
                inputs[r][i] = (float) ((rnd.nextDouble() * 2 - 1) * (1 << (i % 8)) / 8);
            }
        }
    }

    /** Sentinels everywhere, then each rank's input in its region. */
    void load() {
        for (int r = 0; r < n; r++) {
            fillSentinel(r);
            bufs[r].put(offsets[r], inputs[r], 0, count);
        }
    }

    /** Sentinels everywhere, a junk value in every region, and each rank's input only in its own shard. */
    void loadOwnShards() {
        for (int r = 0; r < n; r++) {
            fillSentinel(r);
            for (int i = 0; i < count; i++) {
                bufs[r].put(offsets[r] + i, 777f);
            }
            int from = Shards.offset(count, n, r);
            bufs[r].put(offsets[r] + from, inputs[r], from, Shards.length(count, n, r));
        }
    }

    private void fillSentinel(int r) {
        for (int i = 0; i < bufs[r].capacity(); i++) {
            bufs[r].put(i, SENTINEL);
        }
    }

    float[] region(int r) {
        float[] out = new float[count];
        bufs[r].get(offsets[r], out, 0, count);
        return out;
    }

    /** Fails unless everything outside the regions is still the sentinel and positions/limits are untouched. */
    void checkOutsideUntouched(String what) {
        for (int r = 0; r < n; r++) {
            assertEquals(0, bufs[r].position(), what + " rank " + r + ": position changed");
            assertEquals(bufs[r].capacity(), bufs[r].limit(), what + " rank " + r + ": limit changed");
            for (int i = 0; i < bufs[r].capacity(); i++) {
                boolean inside = i >= offsets[r] && i < offsets[r] + count;
                if (!inside && Float.floatToRawIntBits(bufs[r].get(i)) != Float.floatToRawIntBits(SENTINEL)) {
                    fail(what + " rank " + r + ": element " + i + " outside the region [" + offsets[r] + ", "
                            + (offsets[r] + count) + ") changed to " + bufs[r].get(i));
                }
            }
        }
    }

    /**
     * Checks {@code actual[from, from + len)} against the reduction of all inputs: within the float32 summation-order
     * tolerance of the float64 reference (worst index reported), and bit-equal to the float32 sum in rank order.
     */
    void checkReduced(String what, float[] actual, int from, int len, ReduceOp op) {
        double u = Math.ulp(1.0f) / 2;  // unit roundoff 2^-24
        int worst = -1;
        double worstExcess = Double.NEGATIVE_INFINITY;
        double worstRef = 0;
        double worstTol = 0;
        String firstOrderMismatch = null;
        for (int i = from; i < from + len; i++) {
            double ref = 0;
            double abs = 0;
            float ordered = inputs[0][i];
            for (int k = 0; k < n; k++) {
                ref += inputs[k][i];
                abs += Math.abs(inputs[k][i]);
                if (k > 0) {
                    ordered += inputs[k][i];
                }
            }
            if (op == ReduceOp.AVERAGE) {
                ref /= n;
                abs /= n;
                ordered /= n;
            }
            // (n-1) roundings of partial sums, one of the division; each at most u times the running magnitude
            double tol = (n + 1) * u * abs + Float.MIN_NORMAL;
            double excess = Math.abs(actual[i] - ref) - tol;
            if (excess > worstExcess) {
                worstExcess = excess;
                worst = i;
                worstRef = ref;
                worstTol = tol;
            }
            if (firstOrderMismatch == null && Float.floatToRawIntBits(actual[i]) != Float.floatToRawIntBits(ordered)) {
                firstOrderMismatch = what + ": index " + i + ": got " + actual[i] + ", but the float32 sum in rank "
                        + "order 0.." + (n - 1) + " is " + ordered + " (float64 reference " + ref + ")";
            }
        }
        if (worst >= 0 && worstExcess > 0) {
            fail(what + ": worst index " + worst + ": got " + actual[worst] + ", float64 reference " + worstRef
                    + ", |diff| " + Math.abs(actual[worst] - worstRef) + " > tolerance " + worstTol);
        }
        if (firstOrderMismatch != null) {
            fail(firstOrderMismatch);
        }
    }

    /** Fails unless {@code actual[from, from + len)} equals {@code expected[from, from + len)} bit for bit. */
    static void checkBits(String what, float[] expected, float[] actual, int from, int len) {
        for (int i = from; i < from + len; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(what + ": index " + i + ": got " + actual[i] + ", expected bit-identical " + expected[i]);
            }
        }
    }
}
