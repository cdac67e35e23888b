package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;

import java.util.Arrays;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/** addBias, columnSums, activations forward and backward, dropoutMask against the float64 {@link Ref}. */
final class LayerChecks {
    private LayerChecks() {}

    /** Tolerance: one correctly rounded sum per element, so eps relative to the result. */
    static void addBias(Backend be) {
        Random r = new Random(31);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            float[] b = Data.gaussian(r, s[1], 2);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gb = Guarded.floats(be, b, s[1])) {
                be.addBias(gx.view, gb.view);
                Tensor rx = Ref.floats(x, s);
                Ref.BE.addBias(rx, Ref.floats(b, s[1]));
                double[] ref = Ref.values(rx);
                Approx.assertClose("addBias " + Data.shape(s), gx.floats(), ref, EPS, Float.MIN_NORMAL);
                gx.assertGuardsIntact("addBias");
                gb.assertGuardsIntact("addBias");
            }
        }
    }

    /**
     * Tolerance: {@code (rows + 2) eps (sum |x| + |beta out|)}, the bound for a float32 sum in any order (a backend
     * may accumulate in float, e.g. a GPU tree; the CPU one accumulates in double and is far inside it). With
     * {@code beta == 0} the old output is NaN: it must not be read.
     */
    static void columnSums(Backend be) {
        Random r = new Random(32);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = Data.gaussian(r, rows * cols, 2);
            for (float beta : new float[] {0f, 0.5f, 1f}) {
                float[] out = beta == 0f ? nans(cols) : Data.gaussian(r, cols, 2);
                try (Guarded gx = Guarded.floats(be, x, s); Guarded go = Guarded.floats(be, out, cols)) {
                    be.columnSums(gx.view, beta, go.view);
                    Tensor rOut = Ref.floats(out, cols);
                    Ref.BE.columnSums(Ref.floats(x, s), beta, rOut);
                    double[] ref = Ref.values(rOut);
                    Tensor rMag = beta == 0f ? Ref.zeros(cols) : Ref.absFloats(out, cols);
                    Ref.BE.columnSums(Ref.absFloats(x, s), Math.abs(beta), rMag);
                    double[] mag = Ref.values(rMag);
                    double[] tol = new double[cols];
                    for (int j = 0; j < cols; j++) {
                        tol[j] = (rows + 2) * EPS * mag[j] + Float.MIN_NORMAL;
                    }
                    Approx.assertClose("columnSums beta=" + beta + " " + Data.shape(s), go.floats(), ref, tol);
                    go.assertGuardsIntact("columnSums");
                    gx.assertGuardsIntact("columnSums");
                }
            }
        }
    }

    private static float[] nans(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** x ~ N(0, 3^2) with 0, -0 and NaN planted; NaN must come out NaN from every activation, ReLU included. */
    private static float[] activationInput(Random r, int n) {
        float[] x = Data.gaussian(r, n, 3);
        x[0] = 0f;
        if (n > 1) {
            x[1] = -0f;
        }
        if (n > 2) {
            x[n / 2] = Float.NaN;
        }
        return x;
    }

    /**
     * Tolerances: ReLU exact. tanh 4 eps relative (float tanh libraries are within 2 ulp). GELU 4 eps relative
     * plus {@code 2 eps |x|}: the tanh form {@code 0.5 x (1 + tanh u)} evaluated in float cancels where
     * {@code tanh u} is near -1, leaving an absolute error of about {@code eps |x|}. Also checked in place (y == x).
     */
    static void activationForward(Backend be) {
        Random r = new Random(33);
        for (Activation f : Activation.values()) {
            for (int[] s : Data.SHAPES) {
                int n = s[0] * s[1];
                float[] x = activationInput(r, n);
                Tensor ry = Ref.zeros(s);
                Ref.BE.activationForward(f, Ref.floats(x, s), ry);
                double[] ref = Ref.values(ry);
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    tol[i] = switch (f) {
                        case RELU -> 0;
                        case TANH -> 4 * EPS * Math.abs(ref[i]) + Float.MIN_NORMAL;
                        case GELU -> 4 * EPS * Math.abs(ref[i]) + 2 * EPS * Math.abs(x[i]) + Float.MIN_NORMAL;
                    };
                }
                String what = "activationForward " + f + " " + Data.shape(s);
                try (Guarded gx = Guarded.floats(be, x, s); Guarded gy = Guarded.floats(be, new float[n], s)) {
                    be.activationForward(f, gx.view, gy.view);
                    Approx.assertClose(what, gy.floats(), ref, tol);
                    gy.assertGuardsIntact(what);
                    be.activationForward(f, gx.view, gx.view);
                    Approx.assertClose(what + " in place", gx.floats(), ref, tol);
                    gx.assertGuardsIntact(what + " in place");
                }
            }
        }
    }

    /**
     * Tolerances: ReLU exact (derivative 0 at x = 0). tanh: 4 eps relative plus {@code 2 eps |dy|}, for
     * {@code 1 - t^2} cancelling in float where |t| is near 1. GELU: 4 eps relative plus
     * {@code 2 eps |dy| (1 + |x| (1 + 0.134 x^2))}, the cancellation of {@code 1 - t^2} in float amplified by the
     * {@code 0.5 x du/dx} factor. Also checked in place (dx == dy).
     */
    static void activationBackward(Backend be) {
        Random r = new Random(34);
        for (Activation f : Activation.values()) {
            for (int[] s : Data.SHAPES) {
                int n = s[0] * s[1];
                float[] x = Data.gaussian(r, n, 3);
                x[0] = 0f;
                float[] dy = Data.gaussian(r, n, 1);
                Tensor rdx = Ref.zeros(s);
                Ref.BE.activationBackward(f, Ref.floats(x, s), Ref.floats(dy, s), rdx);
                double[] ref = Ref.values(rdx);
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    double ax = Math.abs(x[i]);
                    double ady = Math.abs(dy[i]);
                    tol[i] = switch (f) {
                        case RELU -> 0;
                        case TANH -> 4 * EPS * Math.abs(ref[i]) + 2 * EPS * ady + Float.MIN_NORMAL;
                        case GELU -> 4 * EPS * Math.abs(ref[i]) + 2 * EPS * ady * (1 + ax * (1 + 0.134 * ax * ax))
                                + Float.MIN_NORMAL;
                    };
                }
                String what = "activationBackward " + f + " " + Data.shape(s);
                try (Guarded gx = Guarded.floats(be, x, s); Guarded gdy = Guarded.floats(be, dy, s);
                     Guarded gdx = Guarded.floats(be, new float[n], s)) {
                    be.activationBackward(f, gx.view, gdy.view, gdx.view);
                    Approx.assertClose(what, gdx.floats(), ref, tol);
                    gdx.assertGuardsIntact(what);
                    be.activationBackward(f, gx.view, gdy.view, gdy.view);
                    Approx.assertClose(what + " in place", gdy.floats(), ref, tol);
                    gdy.assertGuardsIntact(what + " in place");
                    gx.assertGuardsIntact(what);
                }
            }
        }
    }

    /**
     * Which elements are dropped is exact (same hash everywhere; element i hashes {@code firstIndex + i}, checked for
     * firstIndex 0, an odd one and one past 2^32); the kept value {@code 1/(1-p)} may differ by one float rounding.
     */
    static void dropoutMask(Backend be) {
        for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
            for (long seed : new long[] {42L, -7L}) {
                for (long first : new long[] {0L, 12_345L, (1L << 32) + 7}) {
                    for (int[] s : Data.SHAPES) {
                        dropoutCase(be, p, seed, first, s);
                    }
                }
            }
        }
        dropoutShardsDrawTheWholeBatchMask(be);
    }

    private static void dropoutCase(Backend be, float p, long seed, long first, int[] s) {
        int n = s[0] * s[1];
        try (Guarded gm = Guarded.floats(be, new float[n], s)) {
            be.dropoutMask(gm.view, p, seed, first);
            Tensor rm = Ref.zeros(s);
            Ref.BE.dropoutMask(rm, p, seed, first);
            double[] ref = Ref.values(rm);
            String what = "dropoutMask p=" + p + " seed=" + seed + " firstIndex=" + first + " " + Data.shape(s);
            float[] got = gm.floats();
            for (int i = 0; i < n; i++) {
                if ((got[i] == 0) != (ref[i] == 0)) {
                    throw new AssertionError(what + ": element " + i + " is " + got[i] + ", expected " + ref[i]
                            + " (a different element was dropped)");
                }
            }
            Approx.assertClose(what, got, ref, EPS, 0);
            gm.assertGuardsIntact(what);
        }
    }

    /** Three shards of a [33, 17] batch at firstIndex r0 * 17 draw exactly the mask of the whole batch. */
    private static void dropoutShardsDrawTheWholeBatchMask(Backend be) {
        int rows = 33;
        int cols = 17;
        int[] starts = {0, 11, 25, rows};
        try (Guarded whole = Guarded.floats(be, new float[rows * cols], rows, cols);
             Guarded sharded = Guarded.floats(be, new float[rows * cols], rows, cols)) {
            be.dropoutMask(whole.view, 0.3f, 99L, 0L);
            for (int k = 0; k + 1 < starts.length; k++) {
                be.dropoutMask(sharded.view.rows(starts[k], starts[k + 1]), 0.3f, 99L, (long) starts[k] * cols);
            }
            float[] want = whole.floats();
            Approx.assertExact("dropoutMask of 3 shards vs the whole batch", sharded.floats(), want);
            sharded.assertGuardsIntact("dropoutMask shards");
        }
    }
}
