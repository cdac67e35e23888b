package dev.quadrant.device.reference;

/**
 * Float64 GEMM, batched GEMM and permute over row-major arrays: the textbook triple loop and an index walk.
 * Stateless.
 */
final class MatrixOps {
    private MatrixOps() {}

    /**
     * {@code c = alpha op(a) op(b) + beta c} for {@code batch} matrices stored one after another: {@code a[i]} is
     * {@code [m, k]} (or {@code [k, m]} when transposed), {@code b[i]} {@code [k, n]} (or {@code [n, k]}), {@code c[i]}
     * {@code [m, n]}. With {@code beta == 0} the old {@code c} is not read (BLAS semantics: a NaN there is ignored).
     */
    static double[] gemm(boolean transA, boolean transB, int batch, int m, int n, int k, double alpha, double[] a,
                         double[] b, double beta, double[] c) {
        double[] out = new double[batch * m * n];
        for (int p = 0; p < batch; p++) {
            int ao = p * m * k;
            int bo = p * k * n;
            int co = p * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int l = 0; l < k; l++) {
                        double av = transA ? a[ao + l * m + i] : a[ao + i * k + l];
                        double bv = transB ? b[bo + j * k + l] : b[bo + l * n + j];
                        s += av * bv;
                    }
                    out[co + i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[co + i * n + j]);
                }
            }
        }
        return out;
    }

    /**
     * {@code y[i_0, ..., i_r] = x[j]} with {@code j[perm[a]] = i_a}: walks the elements of {@code y} in order, keeping
     * its multi-index {@code i}, and reads {@code x} at {@code sum_a i_a * stride_x[perm[a]]}.
     */
    static double[] permute(double[] x, int[] xShape, int[] perm) {
        int rank = xShape.length;
        int[] xStride = new int[rank];
        int s = 1;
        for (int d = rank - 1; d >= 0; d--) {
            xStride[d] = s;
            s *= xShape[d];
        }
        int[] yShape = new int[rank];
        for (int a = 0; a < rank; a++) {
            yShape[a] = xShape[perm[a]];
        }
        double[] y = new double[x.length];
        int[] index = new int[rank];
        for (int flat = 0; flat < y.length; flat++) {
            int from = 0;
            for (int a = 0; a < rank; a++) {
                from += index[a] * xStride[perm[a]];
            }
            y[flat] = x[from];
            for (int a = rank - 1; a >= 0; a--) {   // next multi-index of y, last axis fastest
                if (++index[a] < yShape[a]) {
                    break;
                }
                index[a] = 0;
            }
        }
        return y;
    }
}
