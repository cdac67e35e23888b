package dev.quadrant.device.cpu;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

import dev.quadrant.bindings.OpenBlas;

/**
 * Row-major {@code C = alpha op(A) op(B) + beta C} on the backend's {@link CpuPool}, each part one single-threaded
 * call of the backend's GEMM library ({@link CpuBlas}: oneDNN or OpenBLAS; the measurements below were OpenBLAS's):
 * {@link CpuBackend} keeps the library at one thread and splits the GEMM itself, so that the loops and the GEMMs
 * share one thread budget and one way of waking threads (the pool's parked workers).
 *
 * <p>Why not OpenBLAS's own threads: on the shared 2-core host, a 2-thread OpenBLAS call of the GPT's shapes
 * ({@code [768,128] x [128,384]}) took 8.4 ms against 0.69 ms on one thread (GptOpBench, same run): its threads
 * synchronise several times inside one call (after packing each panel), and on a loaded host every such barrier
 * waits for a descheduled thread. Split here, each part is one whole single-threaded call with one hand-off.
 *
 * <p>Split: a GEMM of at most {@link #SINGLE_THREAD_MNK} multiply-adds (OpenBLAS's own threshold for going
 * multi-threaded) runs inline. A larger one is split into contiguous blocks of {@link #BLOCK} rows of C (each part
 * packs its rows of A and all of B), never along k, on any number of threads, one included: at most {@link #PARTS}
 * (the machine's cores) blocks of a whole number of 48-row units, the block size a function of {@code m} and the
 * machine alone, each block one OpenBLAS call of its own whichever thread runs it. So the calls, and the results, do
 * not depend on {@code --threads} or the number of replicas on a machine (on another machine OpenBLAS may pick other
 * kernels anyway);
 * ({@code CpuGemmTest} checks it bit for bit at the trainer's shapes and at ragged ones). An earlier version made one
 * call per thread's range of blocks (and one unsplit call on one thread), relying on OpenBLAS's Haswell kernels giving
 * the same bits for any multiple of 48 rows; on a Zen 4 (AVX-512) host its kernels treat the ragged columns
 * differently with the number of rows, and 2 threads differed from 1 by an ulp. One call per 48-row block fixed that
 * but cost 18% of an MLP step on 2 cores (B packed once per block: 22 calls for a 1024-row weight gradient); one
 * part per core makes, on a machine's full thread count, the calls the old split made.
 *
 * <p>When rows balance badly, columns are cut instead: with m = 64 (an MLP's batch 64 forward and input-gradient
 * GEMMs) whole 48-row units give parts of 48 and 16 rows, so on 2 cores one thread did three quarters of the work,
 * and a 10-row weight gradient stayed on one thread. The GEMM is then cut into at most {@link #PARTS} blocks of a
 * whole number of {@link #COL_BLOCK} columns of C (each part packs all of A and its columns of B), whenever the
 * largest column block is a smaller share of n than the largest row block is of m. The choice and the cut again
 * depend on the shape and the machine alone.
 *
 * <p>The exception, a GEMM with a tiny C and a long k (a convolution's weight gradient {@code dW = dy^T col}, e.g.
 * LeNet's conv1 at batch 128: m, n, k = 6, 25, 100352): one block of rows would leave it on one thread, where it
 * was a third of a LeNet training step. When {@code m <= BLOCK}, {@code m * n <= }{@link #SMALL_C} and
 * {@code k >= 2 * }{@link #K_BLOCK}, k is cut into consecutive parts of {@link #K_BLOCK} (the last one shorter),
 * each part's product goes to its own slice of a scratch buffer (one single-threaded OpenBLAS call each, in
 * parallel), and then, on the calling thread, {@code C = alpha * (P0 + P1 + ...) + beta * C}, adding the parts in
 * order. The cut depends on the shape only, never on the thread count, so the result is again the same bit for bit
 * for every thread count (also on one thread, which takes the same path); it differs from an unsplit call by the
 * rounding of a differently bracketed float sum, within the conformance suite's GEMM tolerance.
 */
final class CpuGemm {
    /** Multiply-adds up to which a GEMM runs inline ({@code SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD}). */
    static final double SINGLE_THREAD_MNK = 65_536.0 * 4;
    /** Rows of C per unit of the split (see the class comment). */
    static final int BLOCK = 48;
    /**
     * Calls a large GEMM is cut into at most, each a whole number of {@link #BLOCK}-row units: the machine's cores
     * (at least 2), never the backend's thread count (see the class comment).
     */
    static final int PARTS = Math.max(2, Runtime.getRuntime().availableProcessors());

    /** Columns of C per unit of the column split (see the class comment). */
    static final int COL_BLOCK = 64;

    /** Length of the parts of k of a tiny-C, long-k GEMM (see the class comment). */
    static final int K_BLOCK = 4096;
    /** Largest C (floats) split along k. */
    static final int SMALL_C = 16_384;

    private CpuGemm() {}

    /** One GEMM on {@code blas}; other arguments as {@link OpenBlas#sgemm}, sizes non-zero. */
    static void sgemm(CpuPool pool, CpuBlas blas, boolean transA, boolean transB, int m, int n, int k, float alpha, FloatBuffer a,
                      long aOff, int lda, FloatBuffer b, long bOff, int ldb, float beta, FloatBuffer c, long cOff,
                      int ldc) {
        double mnk = (double) m * n * k;
        if (mnk <= SINGLE_THREAD_MNK) {
            blas.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        if (m <= BLOCK && (long) m * n <= SMALL_C && k >= 2 * K_BLOCK) {   // on one thread too: see the class comment
            splitK(pool, blas, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int units = (m + BLOCK - 1) / BLOCK;
        int rows = BLOCK * ((units + PARTS - 1) / PARTS); // rows per call: a function of m alone, never of the threads
        int colUnits = (n + COL_BLOCK - 1) / COL_BLOCK;
        int cols = COL_BLOCK * ((colUnits + PARTS - 1) / PARTS);
        if ((double) Math.min(cols, n) / n < (double) Math.min(rows, m) / m) { // columns balance better: see above
            int blocks = (n + cols - 1) / cols;
            int grain = (int) Math.max(1, Math.ceil(SINGLE_THREAD_MNK / (mnk / blocks)));
            pool.parallelFor(blocks, grain, (p, from, to) -> {
                for (int q = from; q < to; q++) {
                    int lo = q * cols;
                    int hi = Math.min(n, lo + cols);
                    // op(B)[:, lo:hi] starts at column lo of B, or at row lo when B is stored transposed
                    long bPart = bOff + (transB ? (long) lo * ldb : lo);
                    blas.sgemm(transA, transB, m, hi - lo, k, alpha, a, aOff, lda, b, bPart, ldb, beta, c,
                            cOff + lo, ldc);
                }
            });
            return;
        }
        int blocks = (m + rows - 1) / rows;
        int grain = (int) Math.max(1, Math.ceil(SINGLE_THREAD_MNK / (mnk / blocks)));
        pool.parallelFor(blocks, grain, (p, from, to) -> {
            for (int q = from; q < to; q++) {   // one call per block, however many blocks this thread got
                int lo = q * rows;
                int hi = Math.min(m, lo + rows);
                long aPart = aOff + (transA ? lo : (long) lo * lda);
                blas.sgemm(transA, transB, hi - lo, n, k, alpha, a, aPart, lda, b, bOff, ldb, beta, c,
                        cOff + (long) lo * ldc, ldc);
            }
        });
    }

    /** The tiny-C, long-k GEMM split along k into parts of {@link #K_BLOCK} (see the class comment). */
    private static void splitK(CpuPool pool, CpuBlas blas, boolean transA, boolean transB, int m, int n, int k, float alpha,
                               FloatBuffer a, long aOff, int lda, FloatBuffer b, long bOff, int ldb, float beta,
                               FloatBuffer c, long cOff, int ldc) {
        int parts = (k + K_BLOCK - 1) / K_BLOCK;
        int size = m * n;
        FloatBuffer partial = ByteBuffer.allocateDirect(Math.multiplyExact(parts * size, Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();   // [parts, m, n]
        pool.parallelFor(parts, 1, (p, from, to) -> {
            for (int q = from; q < to; q++) {
                long k0 = (long) q * K_BLOCK;
                int len = (int) Math.min(K_BLOCK, k - k0);
                // op(A)[:, k0:] starts at column k0 of A, or at row k0 when A is stored transposed; op(B)[k0:, :] alike
                long aPart = aOff + (transA ? k0 * lda : k0);
                long bPart = bOff + (transB ? k0 : k0 * ldb);
                blas.sgemm(transA, transB, m, n, len, 1f, a, aPart, lda, b, bPart, ldb, 0f, partial,
                        (long) q * size, n);
            }
        });
        float[] sum = new float[size];    // [m, n]
        float[] part = new float[size];
        partial.get(0, sum, 0, size);
        for (int q = 1; q < parts; q++) {
            partial.get(q * size, part, 0, size);
            for (int i = 0; i < size; i++) {
                sum[i] += part[i];
            }
        }
        float[] row = new float[n];
        for (int i = 0; i < m; i++) {
            int o = Math.toIntExact(cOff + (long) i * ldc);
            if (beta != 0f) {   // beta 0: C is not read (as BLAS), so NaN there does not leak in
                c.get(o, row, 0, n);
                for (int j = 0; j < n; j++) {
                    row[j] = alpha * sum[i * n + j] + beta * row[j];
                }
            } else {
                for (int j = 0; j < n; j++) {
                    row[j] = alpha * sum[i * n + j];
                }
            }
            c.put(o, row, 0, n);
        }
    }
}
