package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.quadrant.device.Tensor;
import dev.quadrant.kernels.Kernels;
import org.junit.jupiter.api.Test;

/**
 * The batch-normalisation kernels ({@code batchnorm.cu}) through the real launchers on the host emulator, against the
 * float64 {@link dev.quadrant.device.reference.ReferenceBackend} running the same op, on channels-last
 * {@code x [rows, cols]} with rows 1, 3, 7, 150 (three chunks of partials), 200 and cols 1, 5, 17, 33 (two column
 * tiles), 64. Element-wise results within 1e-5 relative plus 1e-5 absolute, as {@link EmulatedKernelsTest}; the sums
 * over the positions within {@code (rows + 8) eps} times the sum of their terms' magnitudes (a float sum in the
 * kernel's tree order). The reductions run twice over scratch garbage and must give the same bits. Skipped when g++
 * is missing.
 */
class EmulatedBatchNormKernelsTest extends EmulatorTest {
    private static final int[][] SHAPES = {{1, 1}, {3, 5}, {7, 33}, {150, 64}, {200, 17}};
    private static final double EPS = 0x1p-23;
    private static final float BN_EPS = 1e-5f;

    EmulatedBatchNormKernelsTest() {
        super(11L);
    }

    /** x with per-channel means around 3: the two-pass variance must subtract them. */
    private float[] input(int rows, int cols) {
        float[] x = randn(rows * cols, 1.5);
        for (int i = 0; i < x.length; i++) {
            x[i] += 3f + (i % cols) * 0.1f;
        }
        return x;
    }

    private float[] columnSums(float[] x, int rows, int cols) {
        Tensor s = ref.zeros(cols);
        rb.columnSums(ref.floats(x, rows, cols), 0f, s);
        return narrow(s);
    }

    private static float[] narrow(Tensor t) {
        double[] v = RefTensors.values(t);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    @Test
    void centeredSquareSumsAreReproducibleAndClose() {
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            String what = "centeredSquareSums [" + rows + "," + cols + "]";
            float[] x = input(rows, cols);
            float[] sum = columnSums(x, rows, cols);
            Tensor rout = ref.zeros(cols);
            rb.centeredSquareSums(ref.floats(x, rows, cols), ref.floats(sum, cols), rows, rout);
            double[] want = RefTensors.values(rout);
            double[] scale = new double[cols];
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - sum[i % cols] / (double) rows;
                scale[i % cols] += d * d + 4 * Math.abs(d) * Math.abs(sum[i % cols] / (double) rows) / (rows + 8);
            }
            long px = emu.floats(x);
            long ps = emu.floats(sum);
            float[] first = null;
            for (int run = 0; run < 2; run++) {
                long out = emu.floats(randn(cols, 1));
                long parts = emu.floats(randn(Kernels.batchNormChunks(rows) * cols, 1));   // scratch garbage
                k.centeredSquareSums(null, px, ps, out, parts, rows, cols, rows);
                float[] got = emu.readFloats(out);
                SelfTest.Checker.compare(what, got, want, (rows + 8) * EPS, scale);
                if (first == null) {
                    first = got;
                } else {
                    assertArrayEquals(first, got, what + ": two runs differ");
                }
            }
        }
    }

    @Test
    void forwardInTrainingAndEvaluationAndInPlace() {
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            float[] x = input(rows, cols);
            float[] gamma = randn(cols, 1);
            float[] beta = randn(cols, 1);
            float[] sum = columnSums(x, rows, cols);
            Tensor rq = ref.zeros(cols);
            rb.centeredSquareSums(ref.floats(x, rows, cols), ref.floats(sum, cols), rows, rq);
            float[] sqSum = narrow(rq);
            float[] runningMean = randn(cols, 3);
            float[] runningVar = randn(cols, 1);
            for (int j = 0; j < cols; j++) {
                runningVar[j] = 0.1f + Math.abs(runningVar[j]);
            }
            for (int form = 0; form < 3; form++) {
                boolean eval = form == 1;
                boolean inPlace = form == 2;
                float[] st = eval ? runningMean : sum;
                float[] sq = eval ? runningVar : sqSum;
                float count = eval ? 1f : rows;
                String what = "batchNormForward [" + rows + "," + cols + "]"
                        + (eval ? " evaluation (count 1)" : inPlace ? " in place" : "");
                Tensor ry = ref.zeros(rows, cols);
                rb.batchNormForward(ref.floats(x, rows, cols), ref.floats(st, cols), ref.floats(sq, cols), count,
                        BN_EPS, ref.floats(gamma, cols), ref.floats(beta, cols), ry);
                long px = emu.floats(x);
                long py = inPlace ? px : emu.floats(randn(rows * cols, 1));
                k.batchNormForward(null, px, emu.floats(st), emu.floats(sq), emu.floats(gamma), emu.floats(beta), py,
                        rows, cols, count, BN_EPS);
                near(what, emu.readFloats(py), RefTensors.values(ry));
            }
        }
    }

    @Test
    void runningUpdate() {
        for (int cols : new int[] {1, 5, 33, 300}) {
            float[] sum = randn(cols, 20);
            float[] sqSum = randn(cols, 20);
            for (int j = 0; j < cols; j++) {
                sqSum[j] = Math.abs(sqSum[j]);
            }
            float[] mean = randn(cols, 1);
            float[] var = randn(cols, 1);
            Tensor rm = ref.floats(mean, cols);
            Tensor rv = ref.floats(var, cols);
            rb.batchNormRunningUpdate(ref.floats(sum, cols), ref.floats(sqSum, cols), 37f, 0.1f, rm, rv);
            long pm = emu.floats(mean);
            long pv = emu.floats(var);
            k.batchNormRunningUpdate(null, emu.floats(sum), emu.floats(sqSum), pm, pv, cols, 37f, 0.1f);
            near("batchNormRunningUpdate runningMean c=" + cols, emu.readFloats(pm), RefTensors.values(rm));
            near("batchNormRunningUpdate runningVar c=" + cols, emu.readFloats(pv), RefTensors.values(rv));
        }
    }

    @Test
    void backwardSumsAreReproducibleAndBackwardMatches() {
        for (int[] s : SHAPES) {
            int rows = s[0];
            int cols = s[1];
            String what = "[" + rows + "," + cols + "]";
            float[] x = input(rows, cols);
            float[] gamma = randn(cols, 1);
            float[] dy = randn(rows * cols, 1);
            float[] sum = columnSums(x, rows, cols);
            Tensor rq = ref.zeros(cols);
            rb.centeredSquareSums(ref.floats(x, rows, cols), ref.floats(sum, cols), rows, rq);
            float[] sqSum = narrow(rq);
            Tensor rsums = ref.zeros(2, cols);
            rb.batchNormBackwardSums(ref.floats(x, rows, cols), ref.floats(sum, cols), ref.floats(sqSum, cols), rows,
                    BN_EPS, ref.floats(dy, rows, cols), rsums);
            double[] scale = new double[2 * cols];
            for (int i = 0; i < x.length; i++) {
                int j = i % cols;
                double mean = sum[j] / (double) rows;
                double rstd = 1 / Math.sqrt(sqSum[j] / (double) rows + BN_EPS);
                scale[j] += Math.abs(dy[i]);
                scale[cols + j] += Math.abs(dy[i] * (x[i] - mean) * rstd)
                        + 4 * rstd * Math.abs(mean * dy[i]) / (rows + 8);   // the mean's rounding, carried through
            }
            long px = emu.floats(x);
            long ps = emu.floats(sum);
            long pq = emu.floats(sqSum);
            long pdy = emu.floats(dy);
            float[] first = null;
            for (int run = 0; run < 2; run++) {
                long out = emu.floats(randn(2 * cols, 1));
                long parts = emu.floats(randn(2 * Kernels.batchNormChunks(rows) * cols, 1));   // scratch garbage
                k.batchNormBackwardSums(null, px, ps, pq, pdy, out, parts, rows, cols, rows, BN_EPS);
                float[] got = emu.readFloats(out);
                SelfTest.Checker.compare("batchNormBackwardSums " + what, got, RefTensors.values(rsums),
                        (rows + 8) * EPS, scale);
                if (first == null) {
                    first = got;
                } else {
                    assertArrayEquals(first, got, "batchNormBackwardSums " + what + ": two runs differ");
                }
            }
            float[] sums = narrow(rsums);
            Tensor rdx = ref.zeros(rows, cols);
            rb.batchNormBackward(ref.floats(x, rows, cols), ref.floats(sum, cols), ref.floats(sqSum, cols), rows,
                    BN_EPS, ref.floats(gamma, cols), ref.floats(sums, 2, cols), ref.floats(dy, rows, cols), rdx);
            for (boolean inPlace : new boolean[] {false, true}) {
                long dyIn = emu.floats(dy);
                long pdx = inPlace ? dyIn : emu.floats(randn(rows * cols, 1));
                k.batchNormBackward(null, px, ps, pq, emu.floats(gamma), emu.floats(sums), dyIn, pdx, rows, cols, rows,
                        BN_EPS);
                near("batchNormBackward " + what + (inPlace ? " (dx = dy)" : ""), emu.readFloats(pdx),
                        RefTensors.values(rdx));
            }
        }
    }
}
