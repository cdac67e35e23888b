package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

import dev.quadrant.bindings.OpenBlas;

/**
 * Row-major {@code C = alpha op(A) op(B) + beta C} on the backend's {@link CpuPool}, each part one single-threaded
 * OpenBLAS call: {@link CpuBackend} keeps OpenBLAS at one thread and splits the GEMM itself, so that the loops and
 * the GEMMs share one thread budget and one way of waking threads (the pool's parked workers).
 *
 * <p>Why not OpenBLAS's own threads: on the shared 2-core host, a 2-thread OpenBLAS call of the GPT's shapes
 * ({@code [768,128] x [128,384]}) took 8.4 ms against 0.69 ms on one thread (GptOpBench, same run): its threads
 * synchronise several times inside one call (after packing each panel), and on a loaded host every such barrier
 * waits for a descheduled thread. Split here, each part is one whole single-threaded call with one hand-off.
 *
 * <p>Split: a GEMM of at most {@link #SINGLE_THREAD_MNK} multiply-adds (OpenBLAS's own threshold for going
 * multi-threaded) runs inline. A larger one is split into contiguous blocks of {@link #BLOCK} rows of C (each part
 * packs its rows of A and all of B), never along k. The blocks are 48 rows because OpenBLAS's row-major result is
 * bit-identical to the unsplit call only for parts that start on a multiple of 48 rows (its kernels walk C's rows,
 * its column-major N, in chunks of 48; splits at 16, 32, 64, 128 or 256 rows, or by columns, changed some
 * elements by an ulp). So results do not depend on the thread count; {@code CpuGemmTest} checks it bit for bit at
 * the trainer's shapes and at ragged ones, and is the guard if another OpenBLAS kernel walks differently.
 */
final class CpuGemm {
    /** Multiply-adds up to which a GEMM runs inline ({@code SMP_THRESHOLD_MIN * GEMM_MULTITHREAD_THRESHOLD}). */
    static final double SINGLE_THREAD_MNK = 65_536.0 * 4;
    /** Rows of C per unit of the split (see the class comment). */
    static final int BLOCK = 48;

    private CpuGemm() {}

    /** One GEMM; arguments as {@link OpenBlas#sgemm}, sizes non-zero. */
    static void sgemm(CpuPool pool, boolean transA, boolean transB, int m, int n, int k, float alpha, FloatBuffer a,
                      long aOff, int lda, FloatBuffer b, long bOff, int ldb, float beta, FloatBuffer c, long cOff,
                      int ldc) {
        double mnk = (double) m * n * k;
        if (pool.threads() == 1 || mnk <= SINGLE_THREAD_MNK) {
            OpenBlas.sgemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int blocks = (m + BLOCK - 1) / BLOCK;
        int grain = (int) Math.max(1, Math.ceil(SINGLE_THREAD_MNK / (mnk / blocks)));
        pool.parallelFor(blocks, grain, (p, from, to) -> {
            int lo = from * BLOCK;
            int hi = Math.min(m, to * BLOCK);
            long aPart = aOff + (transA ? lo : (long) lo * lda);
            OpenBlas.sgemm(transA, transB, hi - lo, n, k, alpha, a, aPart, lda, b, bOff, ldb, beta, c,
                    cOff + (long) lo * ldc, ldc);
        });
    }
}
