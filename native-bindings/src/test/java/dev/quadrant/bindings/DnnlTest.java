package dev.quadrant.bindings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * {@link Dnnl}: oneDNN and its OpenMP glue load on this build's machines (linux-x86_64 with g++, as CI), its sgemm,
 * its matmul primitive and the dispatch between them ({@link Dnnl#gemm}) match a float64 product for every transpose
 * at offsets and padded leading dimensions, {@code beta = 0} never reads C (NaN there stays out), the arguments
 * OpenBLAS would reject are rejected before the call, and calls from several threads at once give each the same bits
 * as alone (each on one OpenMP thread of its own; the matmul primitives shared, their scratchpads not).
 */
class DnnlTest {
    @Test
    void loadsHere() {
        assertNull(Dnnl.probe(), "oneDNN should load where the build ran with g++");
        assertTrue(Dnnl.version().matches("\\d+\\.\\d+\\.\\d+"), Dnnl.version());
    }

    @Test
    void matchesAFloat64ProductForEveryTranspose() {
        Random r = new Random(3);
        int[][] shapes = {{784, 16, 144}, {16, 144, 784}, {37, 29, 53}, {1, 1, 1}, {256, 10, 1024}};
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                for (float beta : new float[] {0f, 1f, 0.5f}) {
                    check(r, Routine.SGEMM, s[0], s[1], s[2], ta, tb, 0.75f, beta);
                    check(r, Routine.GEMM, s[0], s[1], s[2], ta, tb, 1f, beta);   // alpha 1: A B^T takes matmul
                }
                for (float beta : new float[] {0f, 1f}) {
                    check(r, Routine.MATMUL, s[0], s[1], s[2], ta, tb, 1f, beta);
                }
            }
        }
    }

    /** The entry point under test. */
    private enum Routine { SGEMM, GEMM, MATMUL }

    private static void run(Routine how, boolean ta, boolean tb, int m, int n, int k, float alpha, FloatBuffer a,
                            long aOff, int lda, FloatBuffer b, long bOff, int ldb, float beta, FloatBuffer c, long cOff,
                            int ldc) {
        switch (how) {
            case SGEMM -> Dnnl.sgemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            case GEMM -> Dnnl.gemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            case MATMUL -> {
                assertEquals(1f, alpha, "matmul has alpha 1");
                Dnnl.matmul(ta, tb, m, n, k, a, aOff, lda, b, bOff, ldb, beta == 1f, c, cOff, ldc);
            }
        }
    }

    private static void check(Random r, Routine how, int m, int n, int k, boolean ta, boolean tb, float alpha,
                              float beta) {
        int lda = (ta ? m : k) + 3;   // padded rows: the leading dimension is honoured
        int ldb = (tb ? k : n) + 1;
        int ldc = n + 2;
        int aRows = ta ? k : m;
        int bRows = tb ? n : k;
        int aOff = 5;
        int bOff = 7;
        int cOff = 11;
        FloatBuffer a = gaussian(r, aOff + aRows * lda);
        FloatBuffer b = gaussian(r, bOff + bRows * ldb);
        FloatBuffer c = gaussian(r, cOff + m * ldc);
        float[] c0 = new float[c.capacity()];
        c.get(0, c0);
        if (beta == 0f) {
            for (int i = 0; i < m; i++) {
                c.put(cOff + i * ldc, Float.NaN);   // beta 0: C is not read
            }
        }
        run(how, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double dot = 0;
                double abs = 0;
                for (int q = 0; q < k; q++) {
                    double x = a.get(aOff + (ta ? q * lda + i : i * lda + q));
                    double y = b.get(bOff + (tb ? j * ldb + q : q * ldb + j));
                    dot += x * y;
                    abs += Math.abs(x * y);
                }
                double old = beta == 0f ? 0 : c0[cOff + i * ldc + j];
                double want = alpha * dot + beta * old;
                double tol = (abs * alpha + Math.abs(beta * old)) * 4 * Math.sqrt(k) * 0x1p-24 + 1e-6;
                double got = c.get(cOff + i * ldc + j);
                if (!(Math.abs(got - want) <= tol)) {
                    throw new AssertionError(String.format("dnnl %s %dx%dx%d ta=%b tb=%b beta=%s: c[%d,%d] = %s, "
                            + "float64 gives %s (tolerance %.3g)", how, m, n, k, ta, tb, beta, i, j, got, want, tol));
                }
            }
            for (int j = n; j < ldc && i * ldc + j + cOff < c.capacity(); j++) {   // the padding stays untouched
                assertEquals(c0[cOff + i * ldc + j], c.get(cOff + i * ldc + j), "padding of C row " + i);
            }
        }
        for (int i = 0; i < cOff; i++) {
            assertEquals(c0[i], c.get(i), "C before its offset");
        }
    }

    @Test
    void shapesPastThePrimitiveCacheStillMultiply() {
        Random r = new Random(7);
        for (int m = 1; m <= DnnlMatmul.MAX_PLANS + 8; m++) {   // each m a shape of its own: the last ones fall back
            check(r, Routine.GEMM, m, 16, 3, false, true, 1f, m % 2);
        }
        check(r, Routine.MATMUL, DnnlMatmul.MAX_PLANS + 9, 17, 3, false, true, 1f, 0f);
        assertEquals(DnnlMatmul.MAX_PLANS, DnnlMatmul.plans(), "the cache is full and stays so: the last shapes fell back");
    }

    @Test
    void rejectsWhatBlasWouldRejectBeforeTheCall() {
        FloatBuffer a = gaussian(new Random(1), 12);
        FloatBuffer c = gaussian(new Random(2), 12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dnnl.sgemm(false, false, 3, 4, 4, 1f, a, 0, 2, a, 0, 4, 0f, c, 0, 4));
        assertTrue(e.getMessage().contains("leading dimension of A"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Dnnl.sgemm(false, false, 3, 4, 4, 1f, a, 0, 4, a, 0, 4, 0f, c, 0, 4));
        assertTrue(e.getMessage().contains("needs 16 floats"), e.getMessage());
        FloatBuffer heap = FloatBuffer.allocate(16);
        e = assertThrows(IllegalArgumentException.class,
                () -> Dnnl.sgemm(false, false, 2, 2, 2, 1f, heap, 0, 2, heap, 0, 2, 0f, heap, 0, 2));
        assertTrue(e.getMessage().contains("direct"), e.getMessage());
    }

    @Test
    void emptyKScalesC() {
        FloatBuffer c = gaussian(new Random(4), 6);
        float[] before = new float[6];
        c.get(0, before);
        FloatBuffer none = gaussian(new Random(5), 1);
        Dnnl.sgemm(false, false, 2, 3, 0, 1f, none, 0, 1, none, 0, 3, 0.5f, c, 0, 3);
        for (int i = 0; i < 6; i++) {
            assertEquals(0.5f * before[i], c.get(i));
        }
        c.put(0, Float.NaN);
        Dnnl.sgemm(false, false, 2, 3, 0, 1f, none, 0, 1, none, 0, 3, 0f, c, 0, 3);
        for (int i = 0; i < 6; i++) {
            assertEquals(0f, c.get(i));
        }
        c.put(1, 2f);
        Dnnl.matmul(false, true, 2, 3, 0, none, 0, 1, none, 0, 1, true, c, 0, 3);   // C += nothing
        assertEquals(2f, c.get(1));
        c.put(0, Float.NaN);
        Dnnl.matmul(false, true, 2, 3, 0, none, 0, 1, none, 0, 1, false, c, 0, 3);  // C = nothing: zeros, not read
        for (int i = 0; i < 6; i++) {
            assertEquals(0f, c.get(i));
        }
    }

    @Test
    void concurrentCallsGiveTheBitsOfOneCall() throws Exception {
        for (Routine how : Routine.values()) {
            concurrent(how);
        }
    }

    private static void concurrent(Routine how) throws Exception {
        Random r = new Random(9);
        int m = 196;
        int n = 32;
        int k = 288;
        FloatBuffer a = gaussian(r, m * k);
        FloatBuffer b = gaussian(r, n * k);
        FloatBuffer alone = gaussian(r, m * n);
        run(how, false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, alone, 0, n);
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<FloatBuffer>> results = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                results.add(pool.submit(() -> {
                    FloatBuffer c = gaussian(new Random(), m * n);
                    for (int rep = 0; rep < 20; rep++) {
                        run(how, false, true, m, n, k, 1f, a, 0, k, b, 0, k, 0f, c, 0, n);
                    }
                    return c;
                }));
            }
            for (Future<FloatBuffer> f : results) {
                FloatBuffer c = f.get();
                for (int i = 0; i < m * n; i++) {
                    assertEquals(Float.floatToRawIntBits(alone.get(i)), Float.floatToRawIntBits(c.get(i)),
                            how + " c[" + i + "]");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void statusNamesAreOneDnns() {
        assertEquals("dnnl_invalid_arguments", Dnnl.statusName(2));
        assertEquals("dnnl status 42", Dnnl.statusName(42));
    }

    private static FloatBuffer gaussian(Random r, int n) {
        FloatBuffer f = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int i = 0; i < n; i++) {
            f.put(i, (float) r.nextGaussian());
        }
        return f;
    }
}
