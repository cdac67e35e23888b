package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.quadrant.bindings.Dnnl;

import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

/**
 * {@link CpuGemm} splits a GEMM over the pool by blocks of rows of C, never by k: the result must be the same bit
 * for bit for every thread count, at the trainer's shapes (the GPT's projections and LM head, the MLP's layers) and
 * at ragged ones (sizes not a multiple of the 48-row block), for every transpose combination, with beta 0 and 1;
 * also for the tiny-C, long-k GEMMs it splits along k (by the shape only), and those within a float sum's error of a
 * float64 product. Both GEMM libraries ({@link CpuBlas}) alike.
 */
class CpuGemmTest {
    private static final int[][] MNK = {
        {768, 384, 128}, {768, 128, 512}, {384, 128, 768}, {768, 65, 128}, {65, 128, 768}, {256, 1024, 784},
        {1024, 784, 256}, {250, 1000, 37}, {37, 1000, 250}, {100, 101, 103},
        // split along k (tiny C, long k: a convolution's weight gradient): LeNet's conv2 at batch 128, a ragged one
        {16, 150, 12800}, {5, 7, 2 * CpuGemm.K_BLOCK + 3},
    };

    /** The k-split path against a float64 product, at LeNet's conv1 weight gradient (batch 128). */
    @ParameterizedTest
    @MethodSource("libraries")
    void splitAlongKIsAccurate(CpuBlas blas) {
        int m = 6;
        int n = 25;
        int k = 100_352;
        Random r = new Random(7);
        float[] a = gaussian(r, k * m);    // dy [k, m], used transposed
        float[] b = gaussian(r, k * n);    // col [k, n]
        float[] c0 = gaussian(r, m * n);
        try (CpuBackend two = new CpuBackend(Device.cpu(), 2, blas)) {
            float[] got = run(two, true, false, new int[] {m, n, k}, a, b, c0, 1f);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double dot = 0;
                    double abs = 0;
                    for (int q = 0; q < k; q++) {
                        double p = (double) a[q * m + i] * b[q * n + j];
                        dot += p;
                        abs += Math.abs(p);
                    }
                    double want = 0.5 * dot + c0[i * n + j];
                    double tol = 0.5 * abs * 2 * Math.sqrt(k) * 0x1p-24 + 1e-5;   // float sum error, typical bound
                    double err = Math.abs(got[i * n + j] - want);
                    if (!(err <= tol)) {
                        throw new AssertionError(String.format("split-k gemm 6x25x100352: c[%d, %d] = %s, float64 "
                                + "gives %s, error %.3g > tolerance %.3g", i, j, got[i * n + j], want, err, tol));
                    }
                }
            }
        }
    }

    /** The GEMM libraries of this machine: OpenBLAS, and oneDNN where it loads (it says why not otherwise). */
    static Stream<CpuBlas> libraries() {
        String why = Dnnl.probe();
        if (why != null) {
            System.out.println("[CpuGemmTest] oneDNN not tested here: " + why);
        }
        return why == null ? Stream.of(CpuBlas.OPENBLAS, CpuBlas.ONEDNN) : Stream.of(CpuBlas.OPENBLAS);
    }

    @ParameterizedTest
    @MethodSource("libraries")
    void resultsDoNotDependOnTheThreadCount(CpuBlas blas) {
        Random r = new Random(5);
        int checked = 0;
        Device cpu = Device.cpu();
        try (CpuBackend one = new CpuBackend(cpu, 1, blas); CpuBackend two = new CpuBackend(cpu, 2, blas);
             CpuBackend three = new CpuBackend(cpu, 3, blas)) {
            for (int[] s : MNK) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    float[] a = gaussian(r, s[0] * s[2]);
                    float[] b = gaussian(r, s[2] * s[1]);
                    float[] c0 = gaussian(r, s[0] * s[1]);
                    for (float beta : new float[] {0f, 1f}) {
                        float[] ref = run(one, ta, tb, s, a, b, c0, beta);
                        for (CpuBackend be : new CpuBackend[] {two, three}) {
                            float[] got = run(be, ta, tb, s, a, b, c0, beta);
                            for (int i = 0; i < ref.length; i++) {
                                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(ref[i])) {
                                    throw new AssertionError(String.format("gemm m,n,k=%d,%d,%d transA=%b transB=%b "
                                            + "beta=%s, %d threads: c[%d] = %s, 1 thread gives %s", s[0], s[1], s[2],
                                            ta, tb, beta, be.threads(), i, got[i], ref[i]));
                                }
                            }
                            checked++;
                        }
                    }
                }
            }
        }
        assertEquals(MNK.length * 4 * 2 * 2, checked);
    }

    private static float[] run(CpuBackend be, boolean ta, boolean tb, int[] s, float[] a, float[] b, float[] c0,
                               float beta) {
        int m = s[0];
        int n = s[1];
        int k = s[2];
        try (Tensor ta0 = be.allocate(DType.FLOAT32, ta ? k : m, ta ? m : k);
             Tensor tb0 = be.allocate(DType.FLOAT32, tb ? n : k, tb ? k : n);
             Tensor tc = be.allocate(DType.FLOAT32, m, n)) {
            be.upload(a, 0, ta0);
            be.upload(b, 0, tb0);
            be.upload(c0, 0, tc);
            be.gemm(ta, tb, 0.5f, ta0, tb0, beta, tc);
            float[] out = new float[m * n];
            be.download(tc, out, 0);
            return out;
        }
    }

    private static float[] gaussian(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }
}
