package dev.quadrant.device.cuda;

import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The row-major to column-major GEMM mapping, checked by running the plan through a column-major GEMM with cuBLAS's
 * exact indexing rules and comparing with a row-major float64 product, for every transpose combination and shapes
 * where m, n and k all differ.
 */
class GemmPlanTest {

    /** cuBLAS sgemm semantics: column-major, op(X) = X or X^T, element (i, j) of X at x[i + j * ld]. */
    static void columnMajorGemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda,
                                float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p + i * lda] : a[i + p * lda];
                    double bv = tb ? b[j + p * ldb] : b[p + j * ldb];
                    s += av * bv;
                }
                c[i + j * ldc] = (float) (alpha * s + (beta == 0 ? 0 : beta * c[i + j * ldc]));
            }
        }
    }

    @Test
    void everyTransposeCombination() {
        Random r = new Random(3);
        int m = 5;
        int n = 7;
        int k = 3;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int aRows = ta ? k : m;
                int aCols = ta ? m : k;
                int bRows = tb ? n : k;
                int bCols = tb ? k : n;
                float[] a = new float[aRows * aCols];
                float[] b = new float[bRows * bCols];
                float[] c = new float[m * n];
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) r.nextGaussian();
                }
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) r.nextGaussian();
                }
                for (int i = 0; i < c.length; i++) {
                    c[i] = (float) r.nextGaussian();
                }
                double[][] want = SelfTest.Checker.gemmReference(new ReferenceBackend(), 0, ta, tb, m, n, k, 0.5f, a, b,
                        2f, c);
                GemmPlan g = GemmPlan.rowMajor(ta, tb, aRows, aCols, bRows, bCols);
                columnMajorGemm(g.transFirst(), g.transSecond(), g.rows(), g.cols(), g.inner(), 0.5f, b, g.ldFirst(),
                        a, g.ldSecond(), 2f, c, g.ldc());
                SelfTest.Checker.compare("gemm " + ta + "," + tb, c, want[0], 1e-6, want[1]);
            }
        }
    }
}
