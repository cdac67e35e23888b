package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/**
 * The batch-normalisation ops over channels-last {@code x [m, c]} against the float64 {@link Ref}. Tolerances are
 * bounds for a float32 implementation that sums in float in any fixed order (a GPU kernel's tree): a sum over the m
 * positions is good to {@code (m + k) eps} times the sum of the magnitudes of its terms; the element-wise formulas to
 * a few eps of the magnitudes of their terms, plus the mean's rounding carried through {@code rstd}. A backend that
 * sums in double is far inside them. The reductions must also give the same bits twice and with one thread.
 */
final class BatchNormChecks {
    private BatchNormChecks() {}

    /**
     * (m, c): one position; c = 1, 3, 5, 17, 64; m not a multiple of anything (37, 101, 1031); and 5003 x 16, 1031 x
     * 64, which a CPU backend splits over its threads (the ResNet channel counts, smaller batches).
     */
    static final int[][] SHAPES = {{1, 1}, {1, 3}, {2, 5}, {7, 17}, {1, 64}, {37, 64}, {101, 3}, {4099, 1},
            {5003, 16}, {1031, 64}};

    private static final float BN_EPS = 1e-5f;

    /** One batch: {@code x} with per-channel means ~ N(0, 2^2) and spreads in [0.25, 3], and its float statistics. */
    private record Batch(int m, int c, float[] x, float[] sum, float[] sqSum) {
        int[] shape() {
            return new int[] {m, c};
        }

        /** The reference {@code xhat[i]}. */
        double xhat(int i, float count) {
            int j = i % c;
            return (x[i] - mean(j, count)) * rstd(j, count);
        }

        double mean(int j, float count) {
            return sum[j] / (double) count;
        }

        double rstd(int j, float count) {
            return 1 / Math.sqrt(sqSum[j] / (double) count + BN_EPS);
        }
    }

    private static Batch batch(Random r, int m, int c) {
        float[] mu = Data.gaussian(r, c, 2);
        float[] spread = Data.uniform(r, c, 0.25, 3);
        float[] x = Data.gaussian(r, m * c, 1);
        for (int i = 0; i < m * c; i++) {
            x[i] = x[i] * spread[i % c] + mu[i % c];
        }
        return statistics(m, c, x);
    }

    /** The float sums of {@code x} ({@code columnSums} and {@code centeredSquareSums} on the reference, narrowed). */
    private static Batch statistics(int m, int c, float[] x) {
        Tensor rx = Ref.floats(x, m, c);
        Tensor rs = Ref.zeros(c);
        Ref.BE.columnSums(rx, 0f, rs);
        float[] sum = Ref.narrowed(rs);
        Tensor rq = Ref.zeros(c);
        Ref.BE.centeredSquareSums(rx, Ref.floats(sum, c), m, rq);
        return new Batch(m, c, x, sum, Ref.narrowed(rq));
    }

    /**
     * {@code out[j]}: {@code (m + 4) eps sum d^2} for the float sum of the squared deviations, plus
     * {@code 4 eps |mean| sum |d|} for the mean's rounding (its first-order effect, zero when {@code sum} is the data's
     * own). Also with a {@code sum} and {@code count} of a larger group (synchronised batch norm: this replica's x, the
     * group's mean), and with a NaN in one channel, which makes that channel's result NaN and no other.
     */
    static void centeredSquareSums(Backend be, Backend oneThread) {
        Random r = new Random(101);
        for (int[] s : SHAPES) {
            Batch b = batch(r, s[0], s[1]);
            centeredSquareSums(be, oneThread, "centeredSquareSums " + Data.shape(s), b, b.sum, b.m);
            float[] groupSum = b.sum.clone();
            for (int j = 0; j < b.c; j++) {
                groupSum[j] = 3 * groupSum[j] + 0.5f;
            }
            centeredSquareSums(be, oneThread, "centeredSquareSums " + Data.shape(s) + " of a group of 3", b, groupSum,
                    3f * b.m);
        }
        Batch b = batch(r, 37, 5);
        b.x[20 * 5 + 2] = Float.NaN;
        centeredSquareSums(be, oneThread, "centeredSquareSums [37, 5] with a NaN in channel 2", b, b.sum, b.m);
    }

    private static void centeredSquareSums(Backend be, Backend oneThread, String what, Batch b, float[] sum,
                                           float count) {
        Tensor ro = Ref.zeros(b.c);
        Ref.BE.centeredSquareSums(Ref.floats(b.x, b.shape()), Ref.floats(sum, b.c), count, ro);
        double[] tol = new double[b.c];
        for (int j = 0; j < b.c; j++) {
            double mean = sum[j] / (double) count;
            double squares = 0;
            double deviations = 0;
            for (int i = 0; i < b.m; i++) {
                double d = b.x[i * b.c + j] - mean;
                squares += d * d;
                deviations += Math.abs(d);
            }
            tol[j] = (b.m + 4) * EPS * squares + 4 * EPS * Math.abs(mean) * deviations + Float.MIN_NORMAL;
        }
        float[] got = centeredSquareSums(be, what, b, sum, count);
        Approx.assertClose(what, got, Ref.values(ro), tol);
        assertArrayEquals(got, centeredSquareSums(be, what, b, sum, count), what + ": a second run gave other bits");
        assertArrayEquals(got, centeredSquareSums(oneThread, what, b, sum, count),
                what + ": a one-thread backend gave other bits");
    }

    private static float[] centeredSquareSums(Backend be, String what, Batch b, float[] sum, float count) {
        try (Guarded gx = Guarded.floats(be, b.x, b.shape()); Guarded gs = Guarded.floats(be, sum, b.c);
             Guarded go = Guarded.floats(be, new float[b.c], b.c)) {
            be.centeredSquareSums(gx.view, gs.view, count, go.view);
            Guarded.assertAllGuardsIntact(what, gx, gs, go);
            return go.floats();
        }
    }

    /**
     * {@code y}: {@code 8 eps (|xhat gamma| + rstd |gamma| (|mean| + |x|)) + 2 eps |beta|}, the roundings of rstd,
     * of the mean and of the deviation carried through {@code rstd gamma}. Training statistics ({@code count = m}),
     * the evaluation form (running mean and variance with {@code count = 1}), in place ({@code y == x}), and a NaN
     * in x, which stays in its element.
     */
    static void batchNormForward(Backend be) {
        Random r = new Random(102);
        for (int[] s : SHAPES) {
            Batch b = batch(r, s[0], s[1]);
            float[] gamma = Data.gaussian(r, b.c, 1);
            float[] beta = Data.gaussian(r, b.c, 1);
            forward(be, "batchNormForward " + Data.shape(s), b, b.m, gamma, beta, false);
            forward(be, "batchNormForward " + Data.shape(s) + " in place (y == x)", b, b.m, gamma, beta, true);
            float[] runningMean = Data.gaussian(r, b.c, 2);
            float[] runningVar = Data.uniform(r, b.c, 0.01, 4);
            Batch eval = new Batch(b.m, b.c, b.x, runningMean, runningVar);
            forward(be, "batchNormForward " + Data.shape(s) + " evaluation (count 1)", eval, 1f, gamma, beta, false);
        }
        Batch b = batch(r, 7, 17);
        b.x[3 * 17 + 4] = Float.NaN;
        forward(be, "batchNormForward [7, 17] with a NaN in x", b, b.m, Data.gaussian(r, 17, 1),
                Data.gaussian(r, 17, 1), false);
    }

    private static void forward(Backend be, String what, Batch b, float count, float[] gamma, float[] beta,
                                boolean inPlace) {
        int c = b.c;
        Tensor ry = Ref.zeros(b.shape());
        Ref.BE.batchNormForward(Ref.floats(b.x, b.shape()), Ref.floats(b.sum, c), Ref.floats(b.sqSum, c), count,
                BN_EPS, Ref.floats(gamma, c), Ref.floats(beta, c), ry);
        double[] tol = new double[b.x.length];
        for (int i = 0; i < tol.length; i++) {
            int j = i % c;
            double g = Math.abs(gamma[j]);
            tol[i] = 8 * EPS * (Math.abs(b.xhat(i, count)) * g + b.rstd(j, count) * g * (Math.abs(b.mean(j, count))
                    + Math.abs(b.x[i]))) + 2 * EPS * Math.abs(beta[j]) + Float.MIN_NORMAL;
        }
        try (Guarded gx = Guarded.floats(be, b.x, b.shape()); Guarded gs = Guarded.floats(be, b.sum, c);
             Guarded gq = Guarded.floats(be, b.sqSum, c); Guarded gg = Guarded.floats(be, gamma, c);
             Guarded gb = Guarded.floats(be, beta, c); Guarded gy = Guarded.floats(be, new float[b.x.length],
                     b.shape())) {
            Guarded out = inPlace ? gx : gy;
            be.batchNormForward(gx.view, gs.view, gq.view, count, BN_EPS, gg.view, gb.view, out.view);
            Approx.assertClose(what, out.floats(), Ref.values(ry), tol);
            Guarded.assertAllGuardsIntact(what, gx, gs, gq, gg, gb, gy);
        }
    }

    /** Both updated vectors within {@code 4 eps (|(1 - momentum) old| + |momentum new|)}; momentum 0.1, 1 and 0. */
    static void batchNormRunningUpdate(Backend be) {
        Random r = new Random(103);
        for (int c : new int[] {1, 3, 17, 64}) {
            for (float momentum : new float[] {0.1f, 1f, 0f}) {
                for (float count : new float[] {2f, 37f, 100_352f}) {
                    float[] sum = Data.gaussian(r, c, 10);
                    float[] sqSum = Data.uniform(r, c, 0, 50);
                    float[] mean = Data.gaussian(r, c, 1);
                    float[] var = Data.uniform(r, c, 0.1, 3);
                    String what = "batchNormRunningUpdate c " + c + " momentum " + momentum + " count " + count;
                    Tensor rm = Ref.floats(mean, c);
                    Tensor rv = Ref.floats(var, c);
                    Ref.BE.batchNormRunningUpdate(Ref.floats(sum, c), Ref.floats(sqSum, c), count, momentum, rm, rv);
                    double[] mTol = new double[c];
                    double[] vTol = new double[c];
                    for (int j = 0; j < c; j++) {
                        mTol[j] = 4 * EPS * (Math.abs((1 - momentum) * mean[j]) + Math.abs(momentum * sum[j] / count))
                                + Float.MIN_NORMAL;
                        vTol[j] = 4 * EPS * (Math.abs((1 - momentum) * var[j])
                                + Math.abs(momentum * sqSum[j] / (count - 1))) + Float.MIN_NORMAL;
                    }
                    try (Guarded gs = Guarded.floats(be, sum, c); Guarded gq = Guarded.floats(be, sqSum, c);
                         Guarded gm = Guarded.floats(be, mean, c); Guarded gv = Guarded.floats(be, var, c)) {
                        be.batchNormRunningUpdate(gs.view, gq.view, count, momentum, gm.view, gv.view);
                        Approx.assertClose(what + " runningMean", gm.floats(), Ref.values(rm), mTol);
                        Approx.assertClose(what + " runningVar", gv.floats(), Ref.values(rv), vTol);
                        Guarded.assertAllGuardsIntact(what, gs, gq, gm, gv);
                    }
                }
            }
        }
    }

    /**
     * {@code sums[0, j]} within {@code (m + 2) eps sum |dy|}; {@code sums[1, j]} within {@code (m + 8) eps sum |dy
     * xhat| + 4 eps rstd |mean| sum |dy|}, the mean's rounding carried through. Same bits twice and with one thread;
     * a NaN in dy makes its channel's two sums NaN and no other.
     */
    static void batchNormBackwardSums(Backend be, Backend oneThread) {
        Random r = new Random(104);
        for (int[] s : SHAPES) {
            Batch b = batch(r, s[0], s[1]);
            float[] dy = Data.gaussian(r, b.m * b.c, 1);
            backwardSums(be, oneThread, "batchNormBackwardSums " + Data.shape(s), b, dy);
        }
        Batch b = batch(r, 37, 5);
        float[] dy = Data.gaussian(r, 37 * 5, 1);
        dy[11 * 5 + 3] = Float.NaN;
        backwardSums(be, oneThread, "batchNormBackwardSums [37, 5] with a NaN in dy channel 3", b, dy);
    }

    private static void backwardSums(Backend be, Backend oneThread, String what, Batch b, float[] dy) {
        int c = b.c;
        Tensor rsums = Ref.zeros(2, c);
        Ref.BE.batchNormBackwardSums(Ref.floats(b.x, b.shape()), Ref.floats(b.sum, c), Ref.floats(b.sqSum, c), b.m,
                BN_EPS, Ref.floats(dy, b.shape()), rsums);
        double[] tol = new double[2 * c];
        for (int j = 0; j < c; j++) {
            double dyAbs = 0;
            double dyXhat = 0;
            for (int i = 0; i < b.m; i++) {
                int k = i * c + j;
                dyAbs += Math.abs(dy[k]);
                dyXhat += Math.abs(dy[k] * b.xhat(k, b.m));
            }
            tol[j] = (b.m + 2) * EPS * dyAbs + Float.MIN_NORMAL;
            tol[c + j] = (b.m + 8) * EPS * dyXhat + 4 * EPS * b.rstd(j, b.m) * Math.abs(b.mean(j, b.m)) * dyAbs
                    + Float.MIN_NORMAL;
        }
        float[] got = backwardSums(be, what, b, dy);
        Approx.assertClose(what, got, Ref.values(rsums), tol);
        assertArrayEquals(got, backwardSums(be, what, b, dy), what + ": a second run gave other bits");
        assertArrayEquals(got, backwardSums(oneThread, what, b, dy), what + ": a one-thread backend gave other bits");
    }

    private static float[] backwardSums(Backend be, String what, Batch b, float[] dy) {
        int c = b.c;
        try (Guarded gx = Guarded.floats(be, b.x, b.shape()); Guarded gs = Guarded.floats(be, b.sum, c);
             Guarded gq = Guarded.floats(be, b.sqSum, c); Guarded gdy = Guarded.floats(be, dy, b.shape());
             Guarded go = Guarded.floats(be, new float[2 * c], 2, c)) {
            be.batchNormBackwardSums(gx.view, gs.view, gq.view, b.m, BN_EPS, gdy.view, go.view);
            Guarded.assertAllGuardsIntact(what, gx, gs, gq, gdy, go);
            return go.floats();
        }
    }

    /**
     * {@code dx} within {@code 8 eps |gamma| rstd (|dy| + |sums0| / count + (|xhat| + rstd (|mean| + |x|)) |sums1|
     * / count)}, each term's roundings and the mean's carried through the formula. The sums are the reference's,
     * narrowed, so both sides get the same ones; also in place ({@code dx == dy}).
     */
    static void batchNormBackward(Backend be) {
        Random r = new Random(105);
        for (int[] s : SHAPES) {
            Batch b = batch(r, s[0], s[1]);
            int c = b.c;
            float[] gamma = Data.gaussian(r, c, 1);
            float[] dy = Data.gaussian(r, b.m * c, 1);
            Tensor rsums = Ref.zeros(2, c);
            Ref.BE.batchNormBackwardSums(Ref.floats(b.x, b.shape()), Ref.floats(b.sum, c), Ref.floats(b.sqSum, c),
                    b.m, BN_EPS, Ref.floats(dy, b.shape()), rsums);
            float[] sums = Ref.narrowed(rsums);
            Tensor rdx = Ref.zeros(b.shape());
            Ref.BE.batchNormBackward(Ref.floats(b.x, b.shape()), Ref.floats(b.sum, c), Ref.floats(b.sqSum, c), b.m,
                    BN_EPS, Ref.floats(gamma, c), Ref.floats(sums, 2, c), Ref.floats(dy, b.shape()), rdx);
            double[] tol = new double[b.x.length];
            for (int i = 0; i < tol.length; i++) {
                int j = i % c;
                double rstd = b.rstd(j, b.m);
                tol[i] = 8 * EPS * Math.abs(gamma[j]) * rstd * (Math.abs(dy[i]) + Math.abs(sums[j]) / b.m
                        + (Math.abs(b.xhat(i, b.m)) + rstd * (Math.abs(b.mean(j, b.m)) + Math.abs(b.x[i])))
                        * Math.abs(sums[c + j]) / b.m) + Float.MIN_NORMAL;
            }
            for (boolean inPlace : new boolean[] {false, true}) {
                String what = "batchNormBackward " + Data.shape(s) + (inPlace ? " in place (dx == dy)" : "");
                try (Guarded gx = Guarded.floats(be, b.x, b.shape()); Guarded gs = Guarded.floats(be, b.sum, c);
                     Guarded gq = Guarded.floats(be, b.sqSum, c); Guarded gg = Guarded.floats(be, gamma, c);
                     Guarded gsums = Guarded.floats(be, sums, 2, c); Guarded gdy = Guarded.floats(be, dy, b.shape());
                     Guarded gdx = Guarded.floats(be, new float[b.x.length], b.shape())) {
                    Guarded out = inPlace ? gdy : gdx;
                    be.batchNormBackward(gx.view, gs.view, gq.view, b.m, BN_EPS, gg.view, gsums.view, gdy.view,
                            out.view);
                    Approx.assertClose(what, out.floats(), Ref.values(rdx), tol);
                    Guarded.assertAllGuardsIntact(what, gx, gs, gq, gg, gsums, gdy, gdx);
                }
            }
        }
    }
}
