package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link FloatExp} against float64 {@link Math#exp}: relative error, the clamp, NaN. */
class FloatExpTest {
    private static final double EPS = 0x1p-23;

    @Test
    void relativeErrorIsBelowOneEpsOverTheWholeRange() {
        float[] z = new float[Scratch.CHUNK];
        float[] in = new float[Scratch.CHUNK];
        float[] tmp = new float[Scratch.CHUNK];
        double worst = 0;
        float worstZ = 0;
        float next = 0f;
        int checked = 0;
        while (next <= FloatExp.Z_MAX) {
            int n = 0;
            while (n < z.length && next <= FloatExp.Z_MAX) {
                in[n] = next;
                z[n++] = next;
                next = Math.nextUp(next + next * 1e-5f);
            }
            FloatExp.expNegInPlace(z, tmp, n);
            for (int i = 0; i < n; i++) {
                double ref = Math.exp(-(double) in[i]);
                double rel = Math.abs(z[i] - ref) / ref;
                if (rel > worst) {
                    worst = rel;
                    worstZ = in[i];
                }
            }
            checked += n;
        }
        assertTrue(checked > 100_000, "checked " + checked);
        assertTrue(worst < EPS, "exp(-" + worstZ + "): relative error " + worst + " > eps " + EPS);
    }

    @Test
    void clampsLargeArgumentsAndKeepsNan() {
        float[] z = {0f, 100f, Float.POSITIVE_INFINITY, Float.NaN};
        FloatExp.expNegInPlace(z, new float[4], 4);
        assertEquals(1f, z[0]);
        assertEquals((float) Math.exp(-FloatExp.Z_MAX), z[1], 2 * Math.ulp(z[1]));
        assertEquals(z[1], z[2]);
        assertTrue(Float.isNaN(z[3]), "exp(-NaN) = " + z[3]);
    }
}
