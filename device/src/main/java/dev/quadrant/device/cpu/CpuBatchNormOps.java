package dev.quadrant.device.cpu;

import static dev.quadrant.device.cpu.CpuBackend.GRAIN;
import static dev.quadrant.device.cpu.CpuBackend.off;
import static dev.quadrant.device.cpu.CpuBackend.rowGrain;

import java.nio.FloatBuffer;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.checks.BatchNormOpChecks;

/**
 * The batch-normalisation ops of {@link CpuBackend} over channels-last {@code x [m, c]}: the backend's storage
 * checks, the shared argument rules ({@link BatchNormOpChecks}), then the loops ({@link BatchNormLoops}) on the
 * backend's pool. CpuBackend delegates to it; same thread-safety (one replica thread at a time).
 *
 * <p>Parallelisation: the reductions over the positions ({@link #centeredSquareSums}, {@link #batchNormBackwardSums})
 * cut the rows into fixed blocks of about {@link #BLOCK_ELEMENTS} elements ({@code max(1, BLOCK_ELEMENTS / c)}
 * rows, a function of {@code c} alone), sum each block per channel in double into its own slot, split the blocks over
 * the pool, and then add the slots in block order on the caller: the same additions in the same order whatever the
 * thread count, so the results are bit for bit the same on every machine. The element-wise passes are split over
 * rows, each part about {@link CpuBackend#GRAIN} elements. The per-channel coefficients ({@code mean},
 * {@code rstd gamma}, ...) are formed in double on the caller, {@code c} of them.
 */
final class CpuBatchNormOps {
    /** Elements per reduction block; the blocks depend on {@code c} only, never on the thread count. */
    static final int BLOCK_ELEMENTS = 16_384;

    private final CpuBackend be;
    private final CpuPool pool;

    CpuBatchNormOps(CpuBackend be, CpuPool pool) {
        this.be = be;
        this.pool = pool;
    }

    void centeredSquareSums(Tensor x, Tensor sum, float count, Tensor out) {
        String op = "centeredSquareSums";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer sb = be.f(op, "sum", sum);
        FloatBuffer ob = be.f(op, "out", out);
        BatchNormOpChecks.centeredSquareSums(x, sum, count, out);
        int m = x.dim(0);
        int c = x.dim(1);
        int xo = off(x);
        double[] mean = means(sb, off(sum), c, count);
        int rows = blockRows(c);
        int blocks = (m + rows - 1) / rows;
        double[] partial = new double[blocks * c];
        pool.parallelFor(blocks, rowGrain(GRAIN, rows * c), (p, from, to) -> {
            for (int b = from; b < to; b++) {
                double[] acc = new double[c];
                BatchNormLoops.squares(xb, xo, c, mean, b * rows, Math.min(m, (b + 1) * rows), acc);
                System.arraycopy(acc, 0, partial, b * c, c);
            }
        });
        double[] total = inBlockOrder(partial, blocks, c);
        for (int j = 0; j < c; j++) {
            ob.put(off(out) + j, (float) total[j]);
        }
    }

    void batchNormForward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor beta,
                          Tensor y) {
        String op = "batchNormForward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer sb = be.f(op, "sum", sum);
        FloatBuffer qb = be.f(op, "sqSum", sqSum);
        FloatBuffer gb = be.f(op, "gamma", gamma);
        FloatBuffer bb = be.f(op, "beta", beta);
        FloatBuffer yb = be.f(op, "y", y);
        BatchNormOpChecks.batchNormForward(x, sum, sqSum, count, eps, gamma, beta, y);
        int c = x.dim(1);
        float[] mean = new float[c];
        float[] scale = new float[c];
        float[] shift = new float[c];
        for (int j = 0; j < c; j++) {
            double rstd = rstd(qb.get(off(sqSum) + j), count, eps);
            mean[j] = (float) (sb.get(off(sum) + j) / (double) count);
            scale[j] = (float) (rstd * gb.get(off(gamma) + j));
            shift[j] = bb.get(off(beta) + j);
        }
        int xo = off(x);
        int yo = off(y);
        pool.parallelFor(x.dim(0), rowGrain(GRAIN, c),
                (p, from, to) -> BatchNormLoops.normalise(xb, xo, c, mean, scale, shift, yb, yo, from, to));
    }

    void batchNormRunningUpdate(Tensor sum, Tensor sqSum, float count, float momentum, Tensor runningMean,
                                Tensor runningVar) {
        String op = "batchNormRunningUpdate";
        FloatBuffer sb = be.f(op, "sum", sum);
        FloatBuffer qb = be.f(op, "sqSum", sqSum);
        FloatBuffer mb = be.f(op, "runningMean", runningMean);
        FloatBuffer vb = be.f(op, "runningVar", runningVar);
        BatchNormOpChecks.batchNormRunningUpdate(sum, sqSum, count, momentum, runningMean, runningVar);
        double keep = 1 - (double) momentum;
        for (int j = 0; j < sum.intSize(); j++) {
            int mo = off(runningMean) + j;
            int vo = off(runningVar) + j;
            mb.put(mo, (float) (keep * mb.get(mo) + momentum * (sb.get(off(sum) + j) / (double) count)));
            vb.put(vo, (float) (keep * vb.get(vo) + momentum * (qb.get(off(sqSum) + j) / ((double) count - 1))));
        }
    }

    void batchNormBackwardSums(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor dy, Tensor sums) {
        String op = "batchNormBackwardSums";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer sb = be.f(op, "sum", sum);
        FloatBuffer qb = be.f(op, "sqSum", sqSum);
        FloatBuffer dyb = be.f(op, "dy", dy);
        FloatBuffer ob = be.f(op, "sums", sums);
        BatchNormOpChecks.batchNormBackwardSums(x, sum, sqSum, count, eps, dy, sums);
        int m = x.dim(0);
        int c = x.dim(1);
        int xo = off(x);
        int dyo = off(dy);
        double[] mean = means(sb, off(sum), c, count);
        int rows = blockRows(c);
        int blocks = (m + rows - 1) / rows;
        double[] partial = new double[blocks * 2 * c];
        pool.parallelFor(blocks, rowGrain(GRAIN, rows * c), (p, from, to) -> {
            for (int b = from; b < to; b++) {
                double[] dySum = new double[c];
                double[] dyDev = new double[c];
                BatchNormLoops.gradientSums(xb, xo, dyb, dyo, c, mean, b * rows, Math.min(m, (b + 1) * rows), dySum,
                        dyDev);
                System.arraycopy(dySum, 0, partial, b * 2 * c, c);
                System.arraycopy(dyDev, 0, partial, b * 2 * c + c, c);
            }
        });
        double[] total = inBlockOrder(partial, blocks, 2 * c);
        int oo = off(sums);
        for (int j = 0; j < c; j++) {
            ob.put(oo + j, (float) total[j]);
            ob.put(oo + c + j, (float) (total[c + j] * rstd(qb.get(off(sqSum) + j), count, eps)));
        }
    }

    void batchNormBackward(Tensor x, Tensor sum, Tensor sqSum, float count, float eps, Tensor gamma, Tensor sums,
                           Tensor dy, Tensor dx) {
        String op = "batchNormBackward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer sb = be.f(op, "sum", sum);
        FloatBuffer qb = be.f(op, "sqSum", sqSum);
        FloatBuffer gb = be.f(op, "gamma", gamma);
        FloatBuffer bsb = be.f(op, "sums", sums);
        FloatBuffer dyb = be.f(op, "dy", dy);
        FloatBuffer dxb = be.f(op, "dx", dx);
        BatchNormOpChecks.batchNormBackward(x, sum, sqSum, count, eps, gamma, sums, dy, dx);
        int c = x.dim(1);
        float[] mean = new float[c];
        float[] k = new float[c];
        float[] p = new float[c];
        float[] q = new float[c];
        int so = off(sums);
        for (int j = 0; j < c; j++) {
            double rstd = rstd(qb.get(off(sqSum) + j), count, eps);
            mean[j] = (float) (sb.get(off(sum) + j) / (double) count);
            k[j] = (float) (gb.get(off(gamma) + j) * rstd);
            p[j] = (float) (bsb.get(so + j) / (double) count);
            q[j] = (float) (rstd * bsb.get(so + c + j) / count);   // xhat sums[1] / count = (x - mean) q
        }
        int xo = off(x);
        int dyo = off(dy);
        int dxo = off(dx);
        pool.parallelFor(x.dim(0), rowGrain(GRAIN, c), (part, from, to) ->
                BatchNormLoops.inputGradient(xb, xo, dyb, dyo, c, mean, k, p, q, dxb, dxo, from, to));
    }

    /** Rows per reduction block: a function of {@code c} only. */
    static int blockRows(int c) {
        return Math.max(1, BLOCK_ELEMENTS / c);
    }

    private static double[] means(FloatBuffer sum, int so, int c, float count) {
        double[] mean = new double[c];
        for (int j = 0; j < c; j++) {
            mean[j] = sum.get(so + j) / (double) count;
        }
        return mean;
    }

    private static double rstd(double sqSum, float count, float eps) {
        return 1 / Math.sqrt(sqSum / count + eps);
    }

    /** The sum over blocks, in block order, of {@code width} partial sums per block. */
    private static double[] inBlockOrder(double[] partial, int blocks, int width) {
        double[] total = new double[width];
        for (int b = 0; b < blocks; b++) {
            for (int j = 0; j < width; j++) {
                total[j] += partial[b * width + j];
            }
        }
        return total;
    }
}
