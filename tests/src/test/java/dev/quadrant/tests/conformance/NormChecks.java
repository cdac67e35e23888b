package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * The per-row normalisations of a transformer, LayerNorm and the causal softmax, forward and backward, against the
 * float64 {@link Ref}. Tolerances are bounds for a float32 implementation that sums in float in any order (a GPU
 * kernel's tree), with the two-pass variance of the Javadoc; a backend that sums in double is far inside them.
 */
final class NormChecks {
    private NormChecks() {}

    /** (rows, d): rows 1, 3, 35 (batch 7 x T 5), 257; d 1, 7, 33, 300 (a CPU backend splits 257 x 300). */
    static final int[][] LAYERNORM_SHAPES = {{1, 1}, {3, 7}, {35, 33}, {1, 300}, {35, 1}, {257, 300}};

    /** (batch, T): batch 1, 3, 7 and T 1, 5, 17; and 4 x 70, which a CPU backend splits by rows. */
    static final int[][] CAUSAL_SHAPES = {{1, 1}, {3, 5}, {7, 17}, {1, 17}, {7, 1}, {4, 70}};

    private static final float LN_EPS = 1e-5f;

    /** x ~ N(0.5, 2^2): a mean that a float kernel must subtract, not so large that one-pass variance would fail. */
    private static float[] layerNormInput(Random r, int n) {
        float[] x = Data.gaussian(r, n, 2);
        for (int i = 0; i < n; i++) {
            x[i] += 0.5f;
        }
        return x;
    }

    /**
     * Tolerances, with {@code m1 = sum_j |x_j| / d} per row: mean {@code (d + 2) eps m1}; rstd {@code (d + 4) eps
     * rstd} (a float variance sum is relatively good to {@code d eps}, the square root halves it); y
     * {@code (d + 8) eps (|xhat gamma| + rstd |gamma| m1) + 2 eps |beta|}, the mean's error carried through
     * {@code rstd gamma} and rstd's through {@code xhat gamma}. {@code y} may not be {@code x}, so no in-place case.
     */
    static void layerNormForward(Backend be) {
        Random r = new Random(91);
        for (int[] s : LAYERNORM_SHAPES) {
            int rows = s[0];
            int d = s[1];
            float[] x = layerNormInput(r, rows * d);
            float[] gamma = Data.gaussian(r, d, 1);
            float[] beta = Data.gaussian(r, d, 1);
            Tensor ry = Ref.zeros(rows, d);
            Tensor rMean = Ref.zeros(rows);
            Tensor rRstd = Ref.zeros(rows);
            Ref.BE.layerNormForward(Ref.floats(x, s), Ref.floats(gamma, d), Ref.floats(beta, d), LN_EPS, ry, rMean, rRstd);
            double[] mean = Ref.values(rMean);
            double[] rstd = Ref.values(rRstd);
            double[] yTol = new double[rows * d];
            double[] meanTol = new double[rows];
            double[] rstdTol = new double[rows];
            for (int i = 0; i < rows; i++) {
                double m1 = 0;
                for (int j = 0; j < d; j++) {
                    m1 += Math.abs(x[i * d + j]) / d;
                }
                meanTol[i] = (d + 2) * EPS * m1 + Float.MIN_NORMAL;
                rstdTol[i] = (d + 4) * EPS * rstd[i];
                for (int j = 0; j < d; j++) {
                    double xhat = (x[i * d + j] - mean[i]) * rstd[i];
                    yTol[i * d + j] = (d + 8) * EPS * (Math.abs(xhat * gamma[j]) + rstd[i] * Math.abs(gamma[j]) * m1)
                            + 2 * EPS * Math.abs(beta[j]) + Float.MIN_NORMAL;
                }
            }
            String what = "layerNormForward " + Data.shape(s);
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gg = Guarded.floats(be, gamma, d);
                 Guarded gb = Guarded.floats(be, beta, d); Guarded gy = Guarded.floats(be, new float[rows * d], s);
                 Guarded gm = Guarded.floats(be, new float[rows], rows);
                 Guarded gr = Guarded.floats(be, new float[rows], rows)) {
                be.layerNormForward(gx.view, gg.view, gb.view, LN_EPS, gy.view, gm.view, gr.view);
                Approx.assertClose(what + " y", gy.floats(), Ref.values(ry), yTol);
                Approx.assertClose(what + " mean", gm.floats(), mean, meanTol);
                Approx.assertClose(what + " rstd", gr.floats(), rstd, rstdTol);
                Guarded.assertAllGuardsIntact(what, gy, gm, gr, gx, gg, gb);
            }
        }
    }

    /**
     * Mean and rstd come from the reference forward, rounded to float, and both sides get the same ones. dGamma
     * and dBeta start nonzero (they accumulate). With {@code g = dy gamma}, {@code xhat = (x - mean) rstd} and
     * {@code a_k} the row mean of {@code |a|}: dx {@code (d + 8) eps rstd (|g_j| + |g|_k + |xhat_j| |g xhat|_k)}, the
     * row sums' error carried through the formula; dGamma {@code (rows + 4) eps (|dGamma| + sum_r |dy xhat|)};
     * dBeta {@code (rows + 2) eps (|dBeta| + sum_r |dy|)}. Also in place ({@code dx == dy}).
     */
    static void layerNormBackward(Backend be) {
        Random r = new Random(92);
        for (int[] s : LAYERNORM_SHAPES) {
            int rows = s[0];
            int d = s[1];
            float[] x = layerNormInput(r, rows * d);
            float[] gamma = Data.gaussian(r, d, 1);
            Tensor rMean = Ref.zeros(rows);
            Tensor rRstd = Ref.zeros(rows);
            Ref.BE.layerNormForward(Ref.floats(x, s), Ref.floats(gamma, d), Ref.zeros(d), LN_EPS, Ref.zeros(rows, d),
                    rMean, rRstd);
            float[] mean = Ref.narrowed(rMean);
            float[] rstd = Ref.narrowed(rRstd);
            float[] dy = Data.gaussian(r, rows * d, 1);
            float[] dGamma = Data.gaussian(r, d, 1);
            float[] dBeta = Data.gaussian(r, d, 1);
            Tensor rdx = Ref.zeros(rows, d);
            Tensor rdg = Ref.floats(dGamma, d);
            Tensor rdb = Ref.floats(dBeta, d);
            Ref.BE.layerNormBackward(Ref.floats(x, s), Ref.floats(gamma, d), Ref.floats(mean, rows),
                    Ref.floats(rstd, rows), Ref.floats(dy, s), rdx, rdg, rdb);
            double[] dxTol = new double[rows * d];
            double[] dgTol = new double[d];
            double[] dbTol = new double[d];
            for (int j = 0; j < d; j++) {
                dgTol[j] = Math.abs(dGamma[j]);
                dbTol[j] = Math.abs(dBeta[j]);
            }
            for (int i = 0; i < rows; i++) {
                double g1 = 0;
                double gx1 = 0;
                for (int j = 0; j < d; j++) {
                    double xhat = ((double) x[i * d + j] - mean[i]) * rstd[i];
                    double g = (double) dy[i * d + j] * gamma[j];
                    g1 += Math.abs(g) / d;
                    gx1 += Math.abs(g * xhat) / d;
                    dgTol[j] += Math.abs(dy[i * d + j] * xhat);
                    dbTol[j] += Math.abs(dy[i * d + j]);
                }
                for (int j = 0; j < d; j++) {
                    double xhat = ((double) x[i * d + j] - mean[i]) * rstd[i];
                    double g = (double) dy[i * d + j] * gamma[j];
                    dxTol[i * d + j] = (d + 8) * EPS * rstd[i] * (Math.abs(g) + g1 + Math.abs(xhat) * gx1)
                            + Float.MIN_NORMAL;
                }
            }
            for (int j = 0; j < d; j++) {
                dgTol[j] = (rows + 4) * EPS * dgTol[j] + Float.MIN_NORMAL;
                dbTol[j] = (rows + 2) * EPS * dbTol[j] + Float.MIN_NORMAL;
            }
            for (boolean inPlace : new boolean[] {false, true}) {
                String what = "layerNormBackward " + Data.shape(s) + (inPlace ? " in place (dx == dy)" : "");
                try (Guarded gx = Guarded.floats(be, x, s); Guarded gg = Guarded.floats(be, gamma, d);
                     Guarded gm = Guarded.floats(be, mean, rows); Guarded gr = Guarded.floats(be, rstd, rows);
                     Guarded gdy = Guarded.floats(be, dy, s); Guarded gdx = Guarded.floats(be, new float[rows * d], s);
                     Guarded gdg = Guarded.floats(be, dGamma, d); Guarded gdb = Guarded.floats(be, dBeta, d)) {
                    Guarded out = inPlace ? gdy : gdx;
                    be.layerNormBackward(gx.view, gg.view, gm.view, gr.view, gdy.view, out.view, gdg.view, gdb.view);
                    Approx.assertClose(what + " dx", out.floats(), Ref.values(rdx), dxTol);
                    Approx.assertClose(what + " dGamma", gdg.floats(), Ref.values(rdg), dgTol);
                    Approx.assertClose(what + " dBeta", gdb.floats(), Ref.values(rdb), dbTol);
                    Guarded.assertAllGuardsIntact(what, gx, gg, gm, gr, gdy, gdx, gdg, gdb);
                }
            }
        }
    }

    /** Scores ~ N(0, 3^2), the first matrix shifted by +100 (exp overflows float without the max subtracted). */
    private static float[] scores(Random r, int batch, int t) {
        float[] s = Data.gaussian(r, batch * t * t, 3);
        for (int i = 0; i < t * t; i++) {
            s[i] += 100;
        }
        return s;
    }

    /** Fails unless every element above the diagonal of every matrix is exactly +0. */
    private static void assertUpperZero(String what, float[] got, int batch, int t) {
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                for (int j = i + 1; j < t; j++) {
                    int k = (b * t + i) * t + j;
                    if (Float.floatToRawIntBits(got[k]) != 0) {
                        throw new AssertionError(what + ": element [" + b + ", " + i + ", " + j + "] above the diagonal "
                                + "is " + got[k] + ", expected +0");
                    }
                }
            }
        }
    }

    /**
     * Tolerance: {@code p (T + 4 + 2 |x - max|) eps}: the sum of up to T exponentials in float, and {@code exp} of a
     * difference {@code x - max} rounded in float. Above the diagonal exactly 0. Also in place (probs == scores).
     */
    static void causalSoftmaxForward(Backend be) {
        Random r = new Random(93);
        for (int[] s : CAUSAL_SHAPES) {
            int batch = s[0];
            int t = s[1];
            float[] x = scores(r, batch, t);
            Tensor rp = Ref.zeros(batch, t, t);
            Ref.BE.causalSoftmaxForward(Ref.floats(x, batch, t, t), rp);
            double[] ref = Ref.values(rp);
            double[] tol = new double[ref.length];
            for (int row = 0; row < batch * t; row++) {
                int i = row % t;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    max = Math.max(max, x[row * t + j]);
                }
                for (int j = 0; j <= i; j++) {
                    int k = row * t + j;
                    tol[k] = ref[k] * (t + 4 + 2 * (max - x[k])) * EPS + Float.MIN_NORMAL;
                }
            }
            String what = "causalSoftmaxForward batch=" + batch + " T=" + t;
            try (Guarded gs = Guarded.floats(be, x, batch, t, t);
                 Guarded gp = Guarded.floats(be, Data.gaussian(r, batch * t * t, 1), batch, t, t)) {
                be.causalSoftmaxForward(gs.view, gp.view);
                Approx.assertClose(what, gp.floats(), ref, tol);
                assertUpperZero(what, gp.floats(), batch, t);
                Approx.assertExact(what + ": scores unchanged", gs.floats(), x);
                be.causalSoftmaxForward(gs.view, gs.view);
                Approx.assertClose(what + " in place", gs.floats(), ref, tol);
                assertUpperZero(what + " in place", gs.floats(), batch, t);
                gp.assertGuardsIntact(what);
                gs.assertGuardsIntact(what);
            }
        }
    }

    /**
     * probs from the reference forward, rounded to float; dProbs ~ N(0, 1) everywhere (also above the diagonal,
     * which must not leak in). Tolerance, with {@code S_i = sum_k p_ik |dp_ik|}: {@code p_ij ((T + 4) eps S_i +
     * 4 eps |dp_ij|)}, the float dot product's error and two roundings. Above the diagonal exactly 0. Also in place
     * (dScores == dProbs).
     */
    static void causalSoftmaxBackward(Backend be) {
        Random r = new Random(94);
        for (int[] s : CAUSAL_SHAPES) {
            int batch = s[0];
            int t = s[1];
            Tensor rp = Ref.zeros(batch, t, t);
            Ref.BE.causalSoftmaxForward(Ref.floats(scores(r, batch, t), batch, t, t), rp);
            float[] p = Ref.narrowed(rp);
            float[] dp = Data.gaussian(r, batch * t * t, 1);
            Tensor rds = Ref.zeros(batch, t, t);
            Ref.BE.causalSoftmaxBackward(Ref.floats(p, batch, t, t), Ref.floats(dp, batch, t, t), rds);
            double[] tol = new double[p.length];
            for (int row = 0; row < batch * t; row++) {
                int i = row % t;
                double sum = 0;
                for (int k = 0; k <= i; k++) {
                    sum += p[row * t + k] * Math.abs(dp[row * t + k]);
                }
                for (int j = 0; j <= i; j++) {
                    int k = row * t + j;
                    tol[k] = p[k] * ((t + 4) * EPS * sum + 4 * EPS * Math.abs(dp[k])) + Float.MIN_NORMAL;
                }
            }
            String what = "causalSoftmaxBackward batch=" + batch + " T=" + t;
            try (Guarded gp = Guarded.floats(be, p, batch, t, t); Guarded gdp = Guarded.floats(be, dp, batch, t, t);
                 Guarded gds = Guarded.floats(be, Data.gaussian(r, batch * t * t, 1), batch, t, t)) {
                be.causalSoftmaxBackward(gp.view, gdp.view, gds.view);
                Approx.assertClose(what, gds.floats(), Ref.values(rds), tol);
                assertUpperZero(what, gds.floats(), batch, t);
                be.causalSoftmaxBackward(gp.view, gdp.view, gdp.view);
                Approx.assertClose(what + " in place", gdp.floats(), Ref.values(rds), tol);
                assertUpperZero(what + " in place", gdp.floats(), batch, t);
                Guarded.assertAllGuardsIntact(what, gp, gdp, gds);
            }
        }
    }
}
