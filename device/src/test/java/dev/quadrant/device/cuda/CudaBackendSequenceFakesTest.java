package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.HostKernels;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaBackend}'s sequence-model ops end to end on the stub libraries (host memory as device memory, the stub
 * cuBLAS computing {@code cublasGemmStridedBatchedEx}, the kernels as {@link HostKernels}), against the float64
 * {@link ReferenceBackend}: argument checks, addresses of views at odd offsets, the row-major to column-major mapping
 * of the batched GEMM in every precision, the LayerNorm scratch, IGNORE_INDEX and dropout's firstIndex. What this
 * cannot check: the CUDA kernels themselves (see {@link EmulatedSequenceKernelsTest}), TF32 rounding (the stub
 * multiplies in fp32), GPU asynchrony. Run with {@code -Pfakes -Dquadrant.fakes=DIR}.
 */
@Tag("fakes")
class CudaBackendSequenceFakesTest extends FakesBackendTest {
    CudaBackendSequenceFakesTest() {
        super(3L);
    }

    @Test
    void gemmBatchedInEveryPrecisionAndTransposition() {
        int batch = 3;
        int m = 5;
        int n = 7;
        int k = 4;
        for (Precision p : Precision.values()) {
            double tol = p == Precision.BF16 ? 2e-2 : 1e-5;   // bf16 inputs: 8 significant bits
            try (CudaBackend be = open(p)) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        int[] as = ta ? new int[] {batch, k, m} : new int[] {batch, m, k};
                        int[] bs = tb ? new int[] {batch, n, k} : new int[] {batch, k, n};
                        float[] a = randn(batch * m * k);
                        float[] b = randn(batch * k * n);
                        float[] c = randn(batch * m * n);
                        Tensor[] ga = view(be, a, as);
                        Tensor[] gb = view(be, b, bs);
                        Tensor[] gc = view(be, c, batch, m, n);
                        be.gemmBatched(ta, tb, 0.5f, ga[1], gb[1], -2f, gc[1]);
                        Tensor ra = ref.floats(a, as);
                        Tensor rbt = ref.floats(b, bs);
                        Tensor rc = ref.floats(c, batch, m, n);
                        rb.gemmBatched(ta, tb, 0.5f, ra, rbt, -2f, rc);
                        Tensor mag = ref.floats(c, batch, m, n);   // the error scale: |alpha| |a| |b| + |beta| |c|
                        rb.abs(ra, ra);
                        rb.abs(rbt, rbt);
                        rb.abs(mag, mag);
                        rb.gemmBatched(ta, tb, 0.5f, ra, rbt, 2f, mag);
                        SelfTest.Checker.compare(p + " gemmBatched " + (ta ? "T" : "N") + (tb ? "T" : "N"), get(be, gc[1]),
                                RefTensors.values(rc), tol, RefTensors.values(mag));
                        for (Tensor[] t : new Tensor[][] {ga, gb, gc}) {
                            t[0].close();
                        }
                    }
                }
                try (Tensor a = be.allocate(DType.FLOAT32, 2, 3, 4); Tensor b = be.allocate(DType.FLOAT32, 3, 4, 5);
                     Tensor c = be.allocate(DType.FLOAT32, 2, 3, 5)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> be.gemmBatched(false, false, 1f, a, b, 0f, c));
                    assertTrue(e.getMessage().contains("gemmBatched") && e.getMessage().contains("b has shape [3, 4, 5]"),
                            e.getMessage());
                }
            }
        }
    }

    @Test
    void embeddingLayerNormCausalSoftmaxAndPermute() {
        try (CudaBackend be = open(Precision.FP32)) {
            int vocab = 13;
            int dim = 7;
            int n = 9;
            float[] table = randn(vocab * dim);
            int[] ids = {3, 0, 12, 3, -1, 5, 3, 13, 0};
            float[] dOut = randn(n * dim);
            Tensor[] gt = view(be, table, vocab, dim);
            Tensor[] gout = view(be, new float[n * dim], n, dim);
            try (Tensor gids = be.allocate(DType.INT32, n)) {
                be.upload(ids, 0, gids);
                be.embeddingForward(gt[1], gids, gout[1]);
                Tensor rout = ref.zeros(n, dim);
                rb.embeddingForward(ref.floats(table, vocab, dim), ref.ints(ids, n), rout);
                EmulatorTest.near("embeddingForward", get(be, gout[1]), RefTensors.values(rout));
                Tensor[] gd = view(be, dOut, n, dim);
                be.embeddingBackward(gids, gd[1], gt[1]);   // accumulates onto the table
                Tensor rt = ref.floats(table, vocab, dim);
                rb.embeddingBackward(ref.ints(ids, n), ref.floats(dOut, n, dim), rt);
                EmulatorTest.near("embeddingBackward", get(be, gt[1]), RefTensors.values(rt));
                gd[0].close();
            }
            gt[0].close();
            gout[0].close();

            int rows = 5;
            int d = 33;
            float[] x = randn(rows * d);
            float[] gamma = randn(d);
            float[] beta = randn(d);
            float[] dy = randn(rows * d);
            float[] dg0 = randn(d);
            float[] db0 = randn(d);
            Tensor[][] g = {view(be, x, rows, d), view(be, gamma, d), view(be, beta, d), view(be, new float[rows * d], rows, d),
                view(be, new float[rows], rows), view(be, new float[rows], rows), view(be, dy, rows, d), view(be, dg0, d),
                view(be, db0, d)};
            be.layerNormForward(g[0][1], g[1][1], g[2][1], 1e-5f, g[3][1], g[4][1], g[5][1]);
            be.layerNormBackward(g[0][1], g[1][1], g[4][1], g[5][1], g[6][1], g[6][1], g[7][1], g[8][1]);   // dx = dy
            Tensor rx = ref.floats(x, rows, d);
            Tensor rg = ref.floats(gamma, d);
            Tensor ry = ref.zeros(rows, d);
            Tensor rm = ref.zeros(rows);
            Tensor rs = ref.zeros(rows);
            Tensor rdy = ref.floats(dy, rows, d);
            Tensor rdg = ref.floats(dg0, d);
            Tensor rdb = ref.floats(db0, d);
            rb.layerNormForward(rx, rg, ref.floats(beta, d), 1e-5f, ry, rm, rs);
            rb.layerNormBackward(rx, rg, rm, rs, rdy, rdy, rdg, rdb);
            EmulatorTest.near("layerNorm y", get(be, g[3][1]), RefTensors.values(ry));
            EmulatorTest.near("layerNorm dx", get(be, g[6][1]), RefTensors.values(rdy));
            EmulatorTest.near("layerNorm dGamma", get(be, g[7][1]), RefTensors.values(rdg));
            EmulatorTest.near("layerNorm dBeta", get(be, g[8][1]), RefTensors.values(rdb));
            for (Tensor[] t : g) {
                t[0].close();
            }

            int batch = 2;
            int t = 6;
            float[] sc = randn(batch * t * t);
            float[] dp = randn(batch * t * t);
            Tensor[] gs = view(be, sc, batch, t, t);
            Tensor[] gdp = view(be, dp, batch, t, t);
            be.causalSoftmaxForward(gs[1], gs[1]);
            be.causalSoftmaxBackward(gs[1], gdp[1], gdp[1]);
            Tensor rsc = ref.floats(sc, batch, t, t);
            Tensor rdp = ref.floats(dp, batch, t, t);
            rb.causalSoftmaxForward(rsc, rsc);
            rb.causalSoftmaxBackward(rsc, rdp, rdp);
            EmulatorTest.near("causalSoftmaxForward", get(be, gs[1]), RefTensors.values(rsc));
            EmulatorTest.near("causalSoftmaxBackward", get(be, gdp[1]), RefTensors.values(rdp));
            gs[0].close();
            gdp[0].close();

            int[] shape = {2, 4, 3, 2, 5};
            int[] perm = {2, 0, 3, 1, 4};
            float[] px = randn(240);
            Tensor[] gx = view(be, px, shape);
            Tensor[] gy = view(be, new float[240], 3, 2, 2, 4, 5);
            be.permute(gx[1], perm, gy[1]);
            Tensor ryp = ref.zeros(3, 2, 2, 4, 5);
            rb.permute(ref.floats(px, shape), perm, ryp);
            EmulatorTest.near("permute", get(be, gy[1]), RefTensors.values(ryp));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> be.permute(gx[1], new int[] {2, 0, 3, 1, 1}, gy[1]));
            assertTrue(e.getMessage().contains("not a permutation"), e.getMessage());
            gx[0].close();
            gy[0].close();
        }
    }

    @Test
    void layerNormBackwardOverTheMostChunks() {
        int rows = 257 * 64;   // 256 chunks of 65 rows: the last chunk is empty, its partials must still be written
        int d = 3;
        float[] x = randn(rows * d);
        float[] dy = randn(rows * d);
        float[] gamma = {0.5f, -1f, 2f};
        try (CudaBackend be = open(Precision.FP32); Tensor tx = be.allocate(DType.FLOAT32, rows, d);
             Tensor tg = be.allocate(DType.FLOAT32, d); Tensor tb = be.allocate(DType.FLOAT32, d);
             Tensor ty = be.allocate(DType.FLOAT32, rows, d); Tensor tm = be.allocate(DType.FLOAT32, rows);
             Tensor ts = be.allocate(DType.FLOAT32, rows); Tensor tdy = be.allocate(DType.FLOAT32, rows, d);
             Tensor tdg = be.allocate(DType.FLOAT32, d); Tensor tdb = be.allocate(DType.FLOAT32, d)) {
            be.upload(x, 0, tx);
            be.upload(gamma, 0, tg);
            be.upload(dy, 0, tdy);
            be.layerNormForward(tx, tg, tb, 1e-5f, ty, tm, ts);
            try (Tensor dirty = be.allocate(DType.FLOAT32, 2 * 256, d)) {   // the partials' scratch will reuse it
                be.fill(dirty, Float.NaN);
            }
            be.layerNormBackward(tx, tg, tm, ts, tdy, tdy, tdg, tdb);
            Tensor rdx = ref.floats(dy, rows, d);
            Tensor rdg = ref.zeros(d);
            Tensor rdb = ref.zeros(d);
            rb.layerNormBackward(ref.floats(x, rows, d), ref.floats(gamma, d), ref.floats(get(be, tm), rows),
                    ref.floats(get(be, ts), rows), rdx, rdx, rdg, rdb);
            EmulatorTest.near("dx", get(be, tdy), RefTensors.values(rdx));
            // a sum of 16448 float terms: 1e-5 of the sum of magnitudes (about 13000) allows for float32 rounding
            SelfTest.Checker.compare("dGamma", get(be, tdg), RefTensors.values(rdg), 1e-5, new double[] {2e4, 2e4, 2e4});
            SelfTest.Checker.compare("dBeta", get(be, tdb), RefTensors.values(rdb), 1e-5, new double[] {2e4, 2e4, 2e4});
        }
    }

    @Test
    void ignoredLabelsAndDropoutAtAFirstIndex() {
        try (CudaBackend be = open(Precision.FP32)) {
            int rows = 4;
            int cols = 11;
            float[] logits = randn(rows * cols);
            int[] labels = {3, Backend.IGNORE_INDEX, 10, Backend.IGNORE_INDEX};
            Tensor[] gl = view(be, logits, rows, cols);
            Tensor[] gloss = view(be, new float[rows], rows);
            Tensor[] gd = view(be, new float[rows * cols], rows, cols);
            Tensor[] acc = view(be, new float[] {1f}, 1);
            try (Tensor gy = be.allocate(DType.INT32, rows)) {
                be.upload(labels, 0, gy);
                be.softmaxCrossEntropyForward(gl[1], gy, gloss[1]);
                be.softmaxCrossEntropyBackward(gl[1], gy, 0.5f, gd[1]);
                be.countCorrect(gl[1], gy, acc[1]);
                double[][] want = ref.softmaxCrossEntropy(logits, labels, rows, cols, 0.5f);
                Tensor racc = ref.floats(new float[] {1f}, 1);
                rb.countCorrect(ref.floats(logits, rows, cols), ref.ints(labels, rows), racc);
                EmulatorTest.near("xent loss", get(be, gloss[1]), want[0]);
                EmulatorTest.near("xent dLogits", get(be, gd[1]), want[1]);
                assertEquals((float) RefTensors.values(racc)[0], get(be, acc[1])[0], "countCorrect");
            }
            for (Tensor[] t : new Tensor[][] {gl, gloss, gd, acc}) {
                t[0].close();
            }
            Tensor[] m = view(be, new float[100], 100);
            be.dropoutMask(m[1], 0.25f, 77L, 1000L);
            Tensor rm = ref.zeros(100);
            rb.dropoutMask(rm, 0.25f, 77L, 1000L);
            double[] want = RefTensors.values(rm);
            float[] w = new float[100];
            for (int i = 0; i < 100; i++) {
                w[i] = (float) want[i];
            }
            assertArrayEquals(w, get(be, m[1]), "the reference's mask, bit for bit");
            assertThrows(IllegalArgumentException.class, () -> be.dropoutMask(m[1], 1f, 77L, 0L));
            m[0].close();
        }
    }
}
