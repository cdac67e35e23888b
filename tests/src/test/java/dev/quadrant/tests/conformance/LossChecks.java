package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/** softmax cross-entropy, mean squared error, argmax and countCorrect against the float64 {@link Ref}. */
final class LossChecks {
    private LossChecks() {}

    /** Labels with every third row (from row 1) {@link Backend#IGNORE_INDEX}, as padding in a language model. */
    private static int[] labelsWithIgnored(Random r, int rows, int cols) {
        int[] y = Data.labels(r, rows, cols);
        for (int i = 1; i < rows; i += 3) {
            y[i] = Backend.IGNORE_INDEX;
        }
        return y;
    }

    /** Rows labelled IGNORE_INDEX must be exactly zero (loss or gradient row), not merely within a tolerance. */
    private static void assertIgnoredRowsZero(String what, float[] got, int[] labels, int cols) {
        for (int r = 0; r < labels.length; r++) {
            for (int j = 0; labels[r] == Backend.IGNORE_INDEX && j < cols; j++) {
                if (Float.floatToRawIntBits(got[r * cols + j]) != 0) {
                    throw new AssertionError(what + ": row " + r + " is labelled IGNORE_INDEX, element " + j + " is "
                            + got[r * cols + j] + ", expected +0");
                }
            }
        }
    }

    /** Logits ~ N(0, 3^2), with row 0 shifted by +100 and row 1 by -100: exp of those overflows or underflows float. */
    private static float[] logits(Random r, int rows, int cols) {
        float[] x = Data.gaussian(r, rows * cols, 3);
        for (int j = 0; j < cols; j++) {
            x[j] += 100;
            if (rows > 1) {
                x[cols + j] -= 100;
            }
        }
        return x;
    }

    private static double rowMaxAbs(float[] x, int r, int cols) {
        double m = 0;
        for (int j = 0; j < cols; j++) {
            m = Math.max(m, Math.abs(x[r * cols + j]));
        }
        return m;
    }

    /**
     * Tolerance: {@code 8 eps (|loss| + max_j |logit| + log(cols) + 1)}: a float implementation subtracts the row
     * maximum in float and sums in float, so the absolute error of the log-sum-exp scales with the logits.
     */
    static void softmaxCrossEntropyForward(Backend be) {
        Random r = new Random(41);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = logits(r, rows, cols);
            int[] y = labelsWithIgnored(r, rows, cols);
            Tensor rl = Ref.zeros(rows);
            Ref.BE.softmaxCrossEntropyForward(Ref.floats(x, s), Ref.ints(y, rows), rl);
            double[] ref = Ref.values(rl);
            double[] tol = new double[rows];
            for (int i = 0; i < rows; i++) {
                tol[i] = 8 * EPS * (Math.abs(ref[i]) + rowMaxAbs(x, i, cols) + Math.log(cols) + 1);
            }
            String what = "softmaxCrossEntropyForward " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gy = Guarded.ints(be, y, rows);
                 Guarded gl = Guarded.floats(be, new float[rows], rows)) {
                be.softmaxCrossEntropyForward(gx.view, gy.view, gl.view);
                Approx.assertClose(what, gl.floats(), ref, tol);
                assertIgnoredRowsZero(what, gl.floats(), y, 1);
                gl.assertGuardsIntact(what);
                gx.assertGuardsIntact(what);
                gy.assertGuardsIntact(what);
            }
        }
    }

    /**
     * Tolerance: {@code 4 eps |scale| + 4 eps |ref| (1 + |x - rowmax|)}: {@code p - 1} for the label cancels to an
     * absolute error of about eps (times scale), and {@code exp(x - max)} with {@code x - max} rounded in float is
     * relatively off by about {@code eps |x - max|}.
     */
    static void softmaxCrossEntropyBackward(Backend be) {
        Random r = new Random(42);
        for (float scale : new float[] {1f / 64, -0.3f}) {
            for (int[] s : Data.SHAPES) {
                int rows = s[0];
                int cols = s[1];
                float[] x = logits(r, rows, cols);
                int[] y = labelsWithIgnored(r, rows, cols);
                Tensor rd = Ref.zeros(s);
                Ref.BE.softmaxCrossEntropyBackward(Ref.floats(x, s), Ref.ints(y, rows), scale, rd);
                double[] ref = Ref.values(rd);
                double[] tol = new double[rows * cols];
                for (int i = 0; i < rows; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < cols; j++) {
                        max = Math.max(max, x[i * cols + j]);
                    }
                    for (int j = 0; j < cols; j++) {
                        int k = i * cols + j;
                        tol[k] = 4 * EPS * Math.abs(scale) + 4 * EPS * Math.abs(ref[k]) * (1 + (max - x[k]));
                    }
                }
                String what = "softmaxCrossEntropyBackward scale=" + scale + " " + Data.shape(s);
                try (Guarded gx = Guarded.floats(be, x, s); Guarded gy = Guarded.ints(be, y, rows);
                     Guarded gd = Guarded.floats(be, new float[rows * cols], s)) {
                    be.softmaxCrossEntropyBackward(gx.view, gy.view, scale, gd.view);
                    Approx.assertClose(what, gd.floats(), ref, tol);
                    assertIgnoredRowsZero(what, gd.floats(), y, cols);
                    gd.assertGuardsIntact(what);
                    gx.assertGuardsIntact(what);
                }
            }
        }
    }

    /** Tolerance: {@code (cols + 4) eps |ref|}, the relative bound for a float sum of non-negative squares. */
    static void mseForward(Backend be) {
        Random r = new Random(43);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] p = Data.uniform(r, rows * cols, -2, 2);
            float[] t = Data.uniform(r, rows * cols, -2, 2);
            Tensor rl = Ref.zeros(rows);
            Ref.BE.mseForward(Ref.floats(p, s), Ref.floats(t, s), rl);
            double[] ref = Ref.values(rl);
            String what = "mseForward " + Data.shape(s);
            try (Guarded gp = Guarded.floats(be, p, s); Guarded gt = Guarded.floats(be, t, s);
                 Guarded gl = Guarded.floats(be, new float[rows], rows)) {
                be.mseForward(gp.view, gt.view, gl.view);
                Approx.assertClose(what, gl.floats(), ref, (cols + 4) * EPS, Float.MIN_NORMAL);
                gl.assertGuardsIntact(what);
            }
        }
    }

    /** Tolerance: 4 eps relative: one exact-or-rounded difference times a constant formed with two roundings. */
    static void mseBackward(Backend be) {
        Random r = new Random(44);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] p = Data.uniform(r, rows * cols, -2, 2);
            float[] t = Data.uniform(r, rows * cols, -2, 2);
            float scale = 1f / 48;
            Tensor rd = Ref.zeros(s);
            Ref.BE.mseBackward(Ref.floats(p, s), Ref.floats(t, s), scale, rd);
            double[] ref = Ref.values(rd);
            String what = "mseBackward " + Data.shape(s);
            try (Guarded gp = Guarded.floats(be, p, s); Guarded gt = Guarded.floats(be, t, s);
                 Guarded gd = Guarded.floats(be, new float[rows * cols], s)) {
                be.mseBackward(gp.view, gt.view, scale, gd.view);
                Approx.assertClose(what, gd.floats(), ref, 4 * EPS, Float.MIN_NORMAL);
                gd.assertGuardsIntact(what);
            }
        }
    }

    /** Random rows plus, where there is room, planted ties (first index wins) and NaNs (first NaN wins). Exact. */
    private static float[] argmaxInput(Random r, int rows, int cols) {
        float[] x = Data.gaussian(r, rows * cols, 1);
        if (cols >= 6 && rows >= 3) {
            x[2] = 5f;                     // row 0: tie between columns 2 and 4
            x[4] = 5f;
            x[cols + 3] = Float.NaN;       // row 1: NaN at 3 and 5 beats everything, first one wins
            x[cols + 5] = Float.NaN;
            x[cols] = 100f;
            for (int j = 0; j < cols; j++) {
                x[2 * cols + j] = -1.5f;   // row 2: all equal, index 0
            }
        }
        return x;
    }

    static void argmax(Backend be) {
        Random r = new Random(45);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = argmaxInput(r, rows, cols);
            int[] ref = argmax(x, s);
            if (cols >= 6 && rows >= 3) {
                assertEquals(2, ref[0]);
                assertEquals(3, ref[1]);
                assertEquals(0, ref[2]);
            }
            String what = "argmax " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded go = Guarded.ints(be, new int[rows], rows)) {
                be.argmax(gx.view, go.view);
                assertArrayEquals(ref, go.ints(), what);
                go.assertGuardsIntact(what);
            }
        }
    }

    private static int[] argmax(float[] x, int[] s) {
        Tensor out = Ref.BE.allocate(dev.quadrant.device.DType.INT32, s[0]);
        Ref.BE.argmax(Ref.floats(x, s), out);
        return Ref.ints(out);
    }

    /**
     * Adds to a nonzero accumulator; about half the labels are the argmax and every third row (from row 1) is
     * IGNORE_INDEX, which never counts. Exact (counts are small integers).
     */
    static void countCorrect(Backend be) {
        Random r = new Random(46);
        for (int[] s : Data.SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = argmaxInput(r, rows, cols);
            int[] pred = argmax(x, s);
            int[] y = Data.labels(r, rows, cols);
            for (int i = 0; i < rows; i += 2) {
                y[i] = pred[i];
            }
            for (int i = 1; i < rows; i += 3) {
                y[i] = Backend.IGNORE_INDEX;
            }
            Tensor rAcc = Ref.floats(new float[] {5f}, 1);
            Ref.BE.countCorrect(Ref.floats(x, s), Ref.ints(y, rows), rAcc);
            double ref = Ref.values(rAcc)[0];
            String what = "countCorrect " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gy = Guarded.ints(be, y, rows);
                 Guarded acc = Guarded.floats(be, new float[] {5f}, 1)) {
                be.countCorrect(gx.view, gy.view, acc.view);
                Approx.assertExact(what, acc.floats(), new double[] {ref});
                acc.assertGuardsIntact(what);
            }
        }
    }
}
