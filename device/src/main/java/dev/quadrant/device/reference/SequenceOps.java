package dev.quadrant.device.reference;

/**
 * Float64 embedding gather and scatter-add, LayerNorm and causal softmax, forward and backward, over row-major
 * arrays. Stateless.
 */
final class SequenceOps {
    private SequenceOps() {}

    /** {@code out[i, :] = table[ids[i], :]}, a zero row for an id outside {@code [0, vocab)}. */
    static double[] embeddingForward(double[] table, int vocab, int dim, int[] ids) {
        double[] out = new double[ids.length * dim];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= 0 && ids[i] < vocab) {
                System.arraycopy(table, ids[i] * dim, out, i * dim, dim);
            }
        }
        return out;
    }

    /** {@code dTable[ids[i], :] += dOut[i, :]} in increasing {@code i}, skipping ids outside {@code [0, vocab)}. */
    static double[] embeddingBackward(int[] ids, double[] dOut, int dim, double[] dTable, int vocab) {
        double[] out = dTable.clone();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= 0 && ids[i] < vocab) {
                for (int j = 0; j < dim; j++) {
                    out[ids[i] * dim + j] += dOut[i * dim + j];
                }
            }
        }
        return out;
    }

    /**
     * Returns {@code {y, mean, rstd}}: per row {@code mean = sum x / d}, {@code var = sum (x - mean)^2 / d} (biased),
     * {@code rstd = 1 / sqrt(var + eps)}, {@code y = (x - mean) rstd gamma + beta}.
     */
    static double[][] layerNormForward(double[] x, int rows, int d, double[] gamma, double[] beta, double eps) {
        double[] y = new double[rows * d];
        double[] mean = new double[rows];
        double[] rstd = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                s += x[r * d + j];
            }
            double mu = s / d;
            double v = 0;
            for (int j = 0; j < d; j++) {
                double c = x[r * d + j] - mu;
                v += c * c;
            }
            double rs = 1 / Math.sqrt(v / d + eps);
            for (int j = 0; j < d; j++) {
                y[r * d + j] = (x[r * d + j] - mu) * rs * gamma[j] + beta[j];
            }
            mean[r] = mu;
            rstd[r] = rs;
        }
        return new double[][] {y, mean, rstd};
    }

    /**
     * Returns {@code {dx, dGamma, dBeta}} with the parameter gradients accumulated onto the given ones: with
     * {@code xhat = (x - mean) rstd} and {@code g = dy gamma}, {@code dx = rstd (g - mean_j(g) - xhat mean_j(g xhat))},
     * {@code dGamma += sum_r dy xhat}, {@code dBeta += sum_r dy}.
     */
    static double[][] layerNormBackward(double[] x, int rows, int d, double[] gamma, double[] mean, double[] rstd,
                                        double[] dy, double[] dGamma, double[] dBeta) {
        double[] dx = new double[rows * d];
        double[] dg = dGamma.clone();
        double[] db = dBeta.clone();
        for (int r = 0; r < rows; r++) {
            double sumG = 0;
            double sumGXhat = 0;
            for (int j = 0; j < d; j++) {
                double xhat = (x[r * d + j] - mean[r]) * rstd[r];
                double g = dy[r * d + j] * gamma[j];
                sumG += g;
                sumGXhat += g * xhat;
                dg[j] += dy[r * d + j] * xhat;
                db[j] += dy[r * d + j];
            }
            for (int j = 0; j < d; j++) {
                double xhat = (x[r * d + j] - mean[r]) * rstd[r];
                double g = dy[r * d + j] * gamma[j];
                dx[r * d + j] = rstd[r] * (g - sumG / d - xhat * sumGXhat / d);
            }
        }
        return new double[][] {dx, dg, db};
    }

    /** Row {@code i} of each {@code [t, t]} matrix: softmax of its entries {@code j <= i} (max subtracted), 0 above. */
    static double[] causalSoftmaxForward(double[] scores, int batch, int t) {
        double[] p = new double[scores.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                int row = (b * t + i) * t;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= i; j++) {
                    max = Math.max(max, scores[row + j]);
                }
                double sum = 0;
                for (int j = 0; j <= i; j++) {
                    sum += Math.exp(scores[row + j] - max);
                }
                for (int j = 0; j <= i; j++) {
                    p[row + j] = Math.exp(scores[row + j] - max) / sum;
                }
            }
        }
        return p;
    }

    /** {@code dScores[i, j] = p[i, j] (dP[i, j] - sum_{k <= i} p[i, k] dP[i, k])} for {@code j <= i}, 0 above. */
    static double[] causalSoftmaxBackward(double[] probs, double[] dProbs, int batch, int t) {
        double[] ds = new double[probs.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < t; i++) {
                int row = (b * t + i) * t;
                double dot = 0;
                for (int k = 0; k <= i; k++) {
                    dot += probs[row + k] * dProbs[row + k];
                }
                for (int j = 0; j <= i; j++) {
                    ds[row + j] = probs[row + j] * (dProbs[row + j] - dot);
                }
            }
        }
        return ds;
    }
}
