package dev.quadrant.device.reference;

/**
 * Float64 batch normalisation over channels-last {@code x [m, c]} row-major arrays, written straight from the
 * Backend Javadoc: per channel {@code mean = sum / count}, {@code rstd = 1 / sqrt(sqSum / count + eps)},
 * {@code xhat = (x - mean) rstd}. Every sum runs over the positions in increasing order. NaN and infinities flow
 * through the formulas as IEEE arithmetic has them (a NaN in a channel's column makes that channel's sums NaN).
 * Stateless.
 */
final class BatchNormOps {
    private BatchNormOps() {}

    /** {@code out[j] = sum_i (x[i, j] - sum[j] / count)^2}. */
    static double[] centeredSquareSums(double[] x, int c, double[] sum, double count) {
        double[] out = new double[c];
        int m = x.length / c;
        for (int j = 0; j < c; j++) {
            double mean = sum[j] / count;
            double s = 0;
            for (int i = 0; i < m; i++) {
                double d = x[i * c + j] - mean;
                s += d * d;
            }
            out[j] = s;
        }
        return out;
    }

    /** {@code y = (x - mean) rstd gamma + beta}. */
    static double[] forward(double[] x, int c, double[] sum, double[] sqSum, double count, double eps, double[] gamma,
                            double[] beta) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int j = i % c;
            y[i] = xhat(x[i], sum[j], sqSum[j], count, eps) * gamma[j] + beta[j];
        }
        return y;
    }

    /**
     * Returns {@code {runningMean, runningVar}}: {@code (1 - momentum) old + momentum sum / count} and
     * {@code (1 - momentum) old + momentum sqSum / (count - 1)}.
     */
    static double[][] runningUpdate(double[] sum, double[] sqSum, double count, double momentum, double[] runningMean,
                                    double[] runningVar) {
        int c = sum.length;
        double[] mean = new double[c];
        double[] var = new double[c];
        for (int j = 0; j < c; j++) {
            mean[j] = (1 - momentum) * runningMean[j] + momentum * sum[j] / count;
            var[j] = (1 - momentum) * runningVar[j] + momentum * sqSum[j] / (count - 1);
        }
        return new double[][] {mean, var};
    }

    /** {@code sums [2, c]}: {@code sum_i dy[i, j]} then {@code sum_i dy[i, j] xhat[i, j]}. */
    static double[] backwardSums(double[] x, int c, double[] sum, double[] sqSum, double count, double eps,
                                 double[] dy) {
        double[] sums = new double[2 * c];
        int m = x.length / c;
        for (int j = 0; j < c; j++) {
            double s0 = 0;
            double s1 = 0;
            for (int i = 0; i < m; i++) {
                s0 += dy[i * c + j];
                s1 += dy[i * c + j] * xhat(x[i * c + j], sum[j], sqSum[j], count, eps);
            }
            sums[j] = s0;
            sums[c + j] = s1;
        }
        return sums;
    }

    /** {@code dx = gamma rstd (dy - sums[0] / count - xhat sums[1] / count)}. */
    static double[] backward(double[] x, int c, double[] sum, double[] sqSum, double count, double eps,
                             double[] gamma, double[] sums, double[] dy) {
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int j = i % c;
            double xh = xhat(x[i], sum[j], sqSum[j], count, eps);
            dx[i] = gamma[j] * rstd(sqSum[j], count, eps) * (dy[i] - sums[j] / count - xh * sums[c + j] / count);
        }
        return dx;
    }

    static double rstd(double sqSum, double count, double eps) {
        return 1 / Math.sqrt(sqSum / count + eps);
    }

    private static double xhat(double x, double sum, double sqSum, double count, double eps) {
        return (x - sum / count) * rstd(sqSum, count, eps);
    }
}
