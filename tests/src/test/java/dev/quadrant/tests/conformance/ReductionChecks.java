package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** sumInto, l2Norm, allFinite against the float64 {@link Ref}. */
final class ReductionChecks {
    private ReductionChecks() {}

    /**
     * Tolerance: {@code (n + 2) eps (sum |x| + |acc|)}, the bound for a float32 sum in any order (the Javadoc does
     * not promise double accumulation here; the result is a float anyway).
     */
    static void sumInto(Backend be) {
        Random r = new Random(51);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            Tensor rAcc = Ref.floats(new float[] {3.5f}, 1);
            Ref.BE.sumInto(Ref.floats(x, s), rAcc);
            double ref = Ref.values(rAcc)[0];
            Tensor rMag = Ref.floats(new float[] {3.5f}, 1);
            Ref.BE.sumInto(Ref.absFloats(x, s), rMag);
            double mag = Ref.values(rMag)[0];
            String what = "sumInto " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded acc = Guarded.floats(be, new float[] {3.5f}, 1)) {
                be.sumInto(gx.view, acc.view);
                Approx.assertClose(what, acc.floats(), new double[] {ref}, new double[] {(n + 2) * EPS * mag});
                acc.assertGuardsIntact(what);
            }
        }
    }

    /**
     * Tolerance: 1e-6 relative. The Javadoc promises double accumulation; squares of floats are exact in double,
     * so a double sum in any order is good to ~1e-12 here, while a float32 sum of the 77,100-element case is
     * typically off by ~1e-5.
     */
    static void l2Norm(Backend be) {
        Random r = new Random(52);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            double ref = Ref.BE.l2Norm(Ref.floats(x, s));
            try (Guarded gx = Guarded.floats(be, x, s)) {
                double got = be.l2Norm(gx.view);
                assertEquals(ref, got, 1e-6 * ref, "l2Norm " + Data.shape(s));
            }
        }
        try (Guarded big = Guarded.floats(be, new float[] {3e38f, 3e38f, -4e-45f}, 3)) {
            double ref = Ref.BE.l2Norm(Ref.floats(new float[] {3e38f, 3e38f, -4e-45f}, 3));
            assertEquals(ref, be.l2Norm(big.view), 1e-6 * ref, "l2Norm of values whose squares overflow float");
        }
    }

    /** Exact. NaN, +inf and -inf anywhere in the view are found; a NaN just outside the view is not. */
    static void allFinite(Backend be) {
        Random r = new Random(53);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            x[0] = Float.MAX_VALUE;
            x[n - 1] = -Float.MIN_VALUE;
            String what = "allFinite " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s)) {
                assertEquals(Ref.BE.allFinite(Ref.floats(x, s)), be.allFinite(gx.view), what);
            }
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.intBitsToFloat(0xFFC0_0001)}) {
                float[] y = x.clone();
                y[r.nextInt(n)] = bad;
                try (Guarded gy = Guarded.floats(be, y, s)) {
                    assertEquals(false, be.allFinite(gy.view), what + " with " + bad);
                }
            }
            try (Tensor buf = be.allocate(DType.FLOAT32, n + 2)) {
                float[] all = new float[n + 2];
                all[0] = Float.NaN;
                all[n + 1] = Float.POSITIVE_INFINITY;
                System.arraycopy(x, 0, all, 1, n);
                be.upload(all, 0, buf);
                assertEquals(true, be.allFinite(buf.view(1, s)), what + " with NaN and inf just outside the view");
            }
        }
    }
}
