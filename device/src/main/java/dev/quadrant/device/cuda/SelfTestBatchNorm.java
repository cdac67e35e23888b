package dev.quadrant.device.cuda;

import static dev.quadrant.device.cuda.SelfTest.Checker.compare;
import static dev.quadrant.device.cuda.SelfTest.Checker.want;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.SelfTest.Checker;
import dev.quadrant.device.cuda.SelfTest.Checker.Mismatch;

/**
 * The self-test's check of the batch-normalisation ops at the size of a small ResNet stage, channels last
 * ({@code x [N * H * W, C]}): each of the five ops runs on the backend under test and on the float64 reference with
 * the same float inputs (the statistics handed on are the reference's, rounded to float), with the bounds of the
 * conformance suite: a sum over the positions {@code (m + 8) eps} times the sum of its terms' magnitudes, the
 * element-wise formulas a few eps of theirs. The reductions run twice and must give the same bits. Stateless.
 */
final class SelfTestBatchNorm {
    private SelfTestBatchNorm() {}

    private static final double EPS = 0x1p-23;
    private static final int M = 3 * 9 * 7;   // N = 3 images of 9 x 7
    private static final int C = 24;
    private static final float BN_EPS = 1e-5f;

    /** Statistics, forward, running update, backward sums and backward, in the order a training step calls them. */
    static String run(Checker c) {
        float[] x = c.randn(M * C, 1.5);
        for (int i = 0; i < x.length; i++) {
            x[i] += (i % C) * 0.25f - 2;   // per-channel means the kernels must subtract
        }
        float[] gamma = c.randn(C, 1);
        float[] beta = c.randn(C, 1);
        float[] dy = c.randn(M * C, 1);
        Tensor rx = c.refFloats(x, M, C);
        Tensor rs = c.ref.allocate(DType.FLOAT32, C);
        c.ref.columnSums(rx, 0f, rs);
        float[] sum = narrow(c, rs);
        double[] mean = new double[C];
        double[] dev = new double[C];   // sum |x - mean|
        for (int j = 0; j < C; j++) {
            mean[j] = sum[j] / (double) M;
        }
        for (int i = 0; i < x.length; i++) {
            dev[i % C] += Math.abs(x[i] - mean[i % C]);
        }
        Tensor rq = c.ref.allocate(DType.FLOAT32, C);
        c.ref.centeredSquareSums(rx, c.refFloats(sum, C), M, rq);
        double[] wantQ = want(rq);
        float[] sqSum = narrow(c, rq);
        double[] rstd = new double[C];
        double[] qScale = new double[C];
        for (int j = 0; j < C; j++) {
            rstd[j] = 1 / Math.sqrt(sqSum[j] / (double) M + BN_EPS);
            qScale[j] = wantQ[j] + Math.abs(mean[j]) * dev[j];
        }
        Tensor ry = c.ref.allocate(DType.FLOAT32, M, C);
        c.ref.batchNormForward(rx, c.refFloats(sum, C), c.refFloats(sqSum, C), M, BN_EPS, c.refFloats(gamma, C),
                c.refFloats(beta, C), ry);
        double[] yScale = new double[x.length];
        double[] dySum = new double[C];
        double[] dyXhat = new double[C];
        for (int i = 0; i < x.length; i++) {
            int j = i % C;
            double xhat = (x[i] - mean[j]) * rstd[j];
            double g = Math.abs(gamma[j]);
            yScale[i] = Math.abs(xhat) * g + rstd[j] * g * (Math.abs(mean[j]) + Math.abs(x[i])) + Math.abs(beta[j]);
            dySum[j] += Math.abs(dy[i]);
            dyXhat[j] += Math.abs(dy[i] * xhat);
        }
        float[] runMean = c.randn(C, 1);
        float[] runVar = c.randn(C, 1);
        for (int j = 0; j < C; j++) {
            runVar[j] = 0.5f + Math.abs(runVar[j]);
        }
        Tensor rm = c.refFloats(runMean, C);
        Tensor rv = c.refFloats(runVar, C);
        c.ref.batchNormRunningUpdate(c.refFloats(sum, C), c.refFloats(sqSum, C), M, 0.1f, rm, rv);
        double[] mScale = new double[C];
        double[] vScale = new double[C];
        for (int j = 0; j < C; j++) {
            mScale[j] = Math.abs(0.9 * runMean[j]) + Math.abs(0.1 * sum[j] / M);
            vScale[j] = Math.abs(0.9 * runVar[j]) + Math.abs(0.1 * sqSum[j] / (M - 1));
        }
        Tensor rsums = c.ref.allocate(DType.FLOAT32, 2, C);
        c.ref.batchNormBackwardSums(rx, c.refFloats(sum, C), c.refFloats(sqSum, C), M, BN_EPS,
                c.refFloats(dy, M, C), rsums);
        float[] sums = narrow(c, rsums);
        double[] sScale = new double[2 * C];
        for (int j = 0; j < C; j++) {
            sScale[j] = dySum[j];
            sScale[C + j] = dyXhat[j] + rstd[j] * Math.abs(mean[j]) * dySum[j];
        }
        Tensor rdx = c.ref.allocate(DType.FLOAT32, M, C);
        c.ref.batchNormBackward(rx, c.refFloats(sum, C), c.refFloats(sqSum, C), M, BN_EPS, c.refFloats(gamma, C),
                c.refFloats(sums, 2, C), c.refFloats(dy, M, C), rdx);
        double[] dxScale = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int j = i % C;
            double xhat = (x[i] - mean[j]) * rstd[j];
            dxScale[i] = Math.abs(gamma[j]) * rstd[j] * (Math.abs(dy[i]) + Math.abs(sums[j]) / M
                    + (Math.abs(xhat) + rstd[j] * (Math.abs(mean[j]) + Math.abs(x[i]))) * Math.abs(sums[C + j]) / M);
        }
        try (Tensor tx = c.put(x, M, C); Tensor ts = c.put(sum, C); Tensor tq = c.put(sqSum, C);
             Tensor tg = c.put(gamma, C); Tensor tb = c.put(beta, C); Tensor tdy = c.put(dy, M, C);
             Tensor tout = c.be.allocate(DType.FLOAT32, C); Tensor ty = c.be.allocate(DType.FLOAT32, M, C);
             Tensor tm = c.put(runMean, C); Tensor tv = c.put(runVar, C);
             Tensor tsums = c.be.allocate(DType.FLOAT32, 2, C); Tensor tsums2 = c.be.allocate(DType.FLOAT32, 2, C);
             Tensor tss = c.put(sums, 2, C)) {
            c.be.centeredSquareSums(tx, ts, M, tout);
            float[] q = c.get(tout);
            c.be.centeredSquareSums(tx, ts, M, tout);
            same("centeredSquareSums", q, c.get(tout));
            String r = compare("sqSum", q, wantQ, (M + 8) * EPS, qScale);
            c.be.batchNormForward(tx, ts, tq, M, BN_EPS, tg, tb, ty);
            r += "; " + compare("y", c.get(ty), want(ry), 16 * EPS, yScale);
            c.be.batchNormRunningUpdate(ts, tq, M, 0.1f, tm, tv);
            compare("runningMean", c.get(tm), want(rm), 4 * EPS, mScale);
            compare("runningVar", c.get(tv), want(rv), 4 * EPS, vScale);
            c.be.batchNormBackwardSums(tx, ts, tq, M, BN_EPS, tdy, tsums);
            c.be.batchNormBackwardSums(tx, ts, tq, M, BN_EPS, tdy, tsums2);
            float[] gotSums = c.get(tsums);
            same("batchNormBackwardSums", gotSums, c.get(tsums2));
            r += "; " + compare("sums", gotSums, want(rsums), (M + 8) * EPS, sScale);
            c.be.batchNormBackward(tx, ts, tq, M, BN_EPS, tg, tss, tdy, tdy);   // in place, as the module calls it
            return r + "; " + compare("dx", c.get(tdy), want(rdx), 8 * EPS, dxScale) + "; reductions reproducible";
        }
    }

    private static float[] narrow(Checker c, Tensor t) {
        float[] out = new float[t.intSize()];
        c.ref.download(t, out, 0);
        return out;
    }

    private static void same(String what, float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                throw new Mismatch(what + ": a second run gave other bits at element " + i + ": " + a[i] + " then "
                        + b[i] + " (the reduction order must be fixed)");
            }
        }
    }
}
