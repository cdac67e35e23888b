package dev.quadrant.tests.conformance;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Comparison of backend results with the float64 reference, element by element, each with its own tolerance.
 * A failure names the worst element (by error over tolerance), the value seen, the reference and the tolerance.
 * A NaN in the reference requires a NaN from the backend, and a NaN from the backend fails anywhere else.
 */
final class Approx {
    private Approx() {}

    /** Machine epsilon of float32 (2^-23): one ulp of 1.0f, twice the unit roundoff. */
    static final double EPS = 0x1p-23;

    /** {@code |got[i] - ref[i]| <= tol[i]} for all i. */
    static void assertClose(String what, float[] got, double[] ref, double[] tol) {
        if (got.length != ref.length) {
            fail(what + ": " + got.length + " elements, reference has " + ref.length);
        }
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < got.length; i++) {
            if (Double.isNaN(ref[i]) || Float.isNaN(got[i])) {
                if (Double.isNaN(ref[i]) != Float.isNaN(got[i])) {
                    fail(what + ": element " + i + " is " + got[i] + ", reference " + ref[i] + " (NaN mismatch)");
                }
                continue;
            }
            if (Double.isInfinite(ref[i]) || Float.isInfinite(got[i])) {
                if (got[i] != ref[i]) {
                    fail(what + ": element " + i + " is " + got[i] + ", reference " + ref[i]);
                }
                continue;
            }
            double err = Math.abs(got[i] - ref[i]);
            if (err <= tol[i]) {
                continue;
            }
            double ratio = tol[i] > 0 ? err / tol[i] : Double.POSITIVE_INFINITY;
            if (worst < 0 || ratio > worstRatio) {
                worst = i;
                worstRatio = ratio;
            }
        }
        if (worst >= 0) {
            fail(String.format(java.util.Locale.ROOT, "%s: worst element %d of %d is %.9g, reference %.9g, "
                            + "|error| %.3g > tolerance %.3g", what, worst, got.length, got[worst], ref[worst],
                    Math.abs(got[worst] - ref[worst]), tol[worst]));
        }
    }

    /** As {@link #assertClose(String, float[], double[], double[])} with {@code tol[i] = relative * |ref[i]| + absolute}. */
    static void assertClose(String what, float[] got, double[] ref, double relative, double absolute) {
        double[] tol = new double[ref.length];
        for (int i = 0; i < ref.length; i++) {
            tol[i] = relative * Math.abs(ref[i]) + absolute;
        }
        assertClose(what, got, ref, tol);
    }

    /** Exact equality, NaN equal to NaN. */
    static void assertExact(String what, float[] got, double[] ref) {
        assertClose(what, got, ref, 0, 0);
    }

    /** Exact equality with float values (an input that must come through unchanged). */
    static void assertExact(String what, float[] got, float[] want) {
        double[] w = new double[want.length];
        for (int i = 0; i < want.length; i++) {
            w[i] = want[i];
        }
        assertExact(what, got, w);
    }
}
