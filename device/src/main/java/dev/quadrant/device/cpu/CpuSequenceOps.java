package dev.quadrant.device.cpu;

import static dev.quadrant.device.cpu.CpuBackend.GRAIN;
import static dev.quadrant.device.cpu.CpuBackend.GRAIN_EXP;
import static dev.quadrant.device.cpu.CpuBackend.off;
import static dev.quadrant.device.cpu.CpuBackend.rowGrain;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.checks.OpChecks;
import dev.quadrant.device.checks.SequenceOpChecks;

/**
 * The sequence-model ops of {@link CpuBackend} (batched GEMM, embedding, LayerNorm, causal softmax, permute): the
 * backend's storage checks, the shared argument rules ({@link SequenceOpChecks}), then the loops
 * ({@link SequenceLoops}, {@link LayerNormLoops}) on the backend's pool. CpuBackend delegates to it; same
 * thread-safety (one replica thread at a time).
 *
 * <p>{@link #gemmBatched} calls OpenBLAS (single-threaded, see {@link CpuGemm}) once per matrix of the batch. Small
 * matrices (at most {@link CpuGemm#SINGLE_THREAD_MNK} multiply-adds) are split over the pool by batch, so each pool
 * thread runs whole GEMMs; larger ones run one after another, each split by {@link CpuGemm}. Either way every matrix
 * is computed by the same OpenBLAS kernel in the same k order, so the split does not change results.
 */
final class CpuSequenceOps {
    private final CpuBackend be;
    private final CpuPool pool;

    CpuSequenceOps(CpuBackend be, CpuPool pool) {
        this.be = be;
        this.pool = pool;
    }

    void gemmBatched(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        String op = OpChecks.gemmName("gemmBatched", transA, transB);
        FloatBuffer ab = be.f(op, "a", a);
        FloatBuffer bb = be.f(op, "b", b);
        FloatBuffer cb = be.f(op, "c", c);
        int[] bmnk = SequenceOpChecks.gemmBatched(transA, transB, a, b, c);
        int batch = bmnk[0];
        int m = bmnk[1];
        int n = bmnk[2];
        int k = bmnk[3];
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            be.scaleOrZero(cb, off(c), c.intSize(), beta);
            return;
        }
        long aStride = (long) m * k;
        long bStride = (long) k * n;
        long cStride = (long) m * n;
        int lda = transA ? m : k;
        int ldb = transB ? k : n;
        CpuBlas blas = be.blas();
        CpuPool.Body matrices = (part, from, to) -> {
            for (int i = from; i < to; i++) {
                blas.sgemm(transA, transB, m, n, k, alpha, ab, a.offset() + i * aStride, lda, bb,
                        b.offset() + i * bStride, ldb, beta, cb, c.offset() + i * cStride, n);
            }
        };
        double mnk = (double) m * n * k;
        if (mnk > CpuGemm.SINGLE_THREAD_MNK) {
            for (int i = 0; i < batch; i++) {
                CpuGemm.sgemm(pool, blas, transA, transB, m, n, k, alpha, ab, a.offset() + i * aStride, lda, bb,
                        b.offset() + i * bStride, ldb, beta, cb, c.offset() + i * cStride, n);
            }
        } else {
            pool.parallelFor(batch, (int) Math.max(1, GRAIN / mnk), matrices);
        }
    }

    void embeddingForward(Tensor table, Tensor ids, Tensor out) {
        String op = "embeddingForward";
        FloatBuffer tb = be.f(op, "table", table);
        IntBuffer ib = be.i(op, "ids", ids);
        FloatBuffer ob = be.f(op, "out", out);
        SequenceOpChecks.embeddingForward(table, ids, out);
        int vocab = table.dim(0);
        int dim = table.dim(1);
        int to = off(table);
        int io = off(ids);
        int oo = off(out);
        pool.parallelFor(ids.intSize(), rowGrain(GRAIN, dim),
                (p, from, toRow) -> SequenceLoops.embeddingForward(tb, to, vocab, dim, ib, io, ob, oo, from, toRow));
    }

    void embeddingBackward(Tensor ids, Tensor dOut, Tensor dTable) {
        String op = "embeddingBackward";
        IntBuffer ib = be.i(op, "ids", ids);
        FloatBuffer db = be.f(op, "dOut", dOut);
        FloatBuffer tb = be.f(op, "dTable", dTable);
        SequenceOpChecks.embeddingBackward(ids, dOut, dTable);
        int n = ids.intSize();
        int vocab = dTable.dim(0);
        int dim = dTable.dim(1);
        int io = off(ids);
        int dO = off(dOut);
        int to = off(dTable);
        // split by columns: a thread owns whole columns, so each element gets its adds in increasing i, unraced
        pool.parallelFor(dim, rowGrain(GRAIN, n),
                (p, from, toCol) -> SequenceLoops.embeddingBackward(ib, io, n, db, dO, dim, tb, to, vocab, from, toCol));
    }

    void layerNormForward(Tensor x, Tensor gamma, Tensor beta, float eps, Tensor y, Tensor mean, Tensor rstd) {
        String op = "layerNormForward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer gb = be.f(op, "gamma", gamma);
        FloatBuffer bb = be.f(op, "beta", beta);
        FloatBuffer yb = be.f(op, "y", y);
        FloatBuffer mb = be.f(op, "mean", mean);
        FloatBuffer rb = be.f(op, "rstd", rstd);
        SequenceOpChecks.layerNormForward(x, gamma, beta, y, mean, rstd);
        int d = x.dim(1);
        int xo = off(x);
        int go = off(gamma);
        int bo = off(beta);
        int yo = off(y);
        int mo = off(mean);
        int ro = off(rstd);
        pool.parallelFor(x.dim(0), rowGrain(GRAIN, d), (p, from, to) ->
                LayerNormLoops.forward(xb, xo, d, gb, go, bb, bo, eps, yb, yo, mb, mo, rb, ro, from, to));
    }

    void layerNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dy, Tensor dx, Tensor dGamma,
                           Tensor dBeta) {
        String op = "layerNormBackward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer gb = be.f(op, "gamma", gamma);
        FloatBuffer mb = be.f(op, "mean", mean);
        FloatBuffer rb = be.f(op, "rstd", rstd);
        FloatBuffer dyb = be.f(op, "dy", dy);
        FloatBuffer dxb = be.f(op, "dx", dx);
        FloatBuffer dgb = be.f(op, "dGamma", dGamma);
        FloatBuffer dbb = be.f(op, "dBeta", dBeta);
        SequenceOpChecks.layerNormBackward(x, gamma, mean, rstd, dy, dx, dGamma, dBeta);
        int n = x.dim(0);
        int d = x.dim(1);
        int xo = off(x);
        int go = off(gamma);
        int mo = off(mean);
        int ro = off(rstd);
        int dyo = off(dy);
        int dxo = off(dx);
        int dgo = off(dGamma);
        int dbo = off(dBeta);
        // parameter gradients first: dx may be dy and overwrites it
        pool.parallelFor(d, rowGrain(GRAIN, n), (p, from, to) -> LayerNormLoops.parameterGradients(xb, xo, n, d, mb,
                mo, rb, ro, dyb, dyo, dgb, dgo, dbb, dbo, from, to));
        pool.parallelFor(n, rowGrain(GRAIN, d), (p, from, to) ->
                LayerNormLoops.inputGradient(xb, xo, d, gb, go, mb, mo, rb, ro, dyb, dyo, dxb, dxo, from, to));
    }

    void causalSoftmaxForward(Tensor scores, Tensor probs) {
        String op = "causalSoftmaxForward";
        FloatBuffer sb = be.f(op, "scores", scores);
        FloatBuffer pb = be.f(op, "probs", probs);
        SequenceOpChecks.causalSoftmaxForward(scores, probs);
        int t = scores.dim(1);
        int so = off(scores);
        int po = off(probs);
        pool.parallelFor(scores.dim(0) * t, rowGrain(GRAIN_EXP, t),
                (p, from, to) -> SequenceLoops.causalSoftmaxForward(sb, so, t, pb, po, from, to));
    }

    void causalSoftmaxBackward(Tensor probs, Tensor dProbs, Tensor dScores) {
        String op = "causalSoftmaxBackward";
        FloatBuffer pb = be.f(op, "probs", probs);
        FloatBuffer dpb = be.f(op, "dProbs", dProbs);
        FloatBuffer dsb = be.f(op, "dScores", dScores);
        SequenceOpChecks.causalSoftmaxBackward(probs, dProbs, dScores);
        int t = probs.dim(1);
        int po = off(probs);
        int dpo = off(dProbs);
        int dso = off(dScores);
        pool.parallelFor(probs.dim(0) * t, rowGrain(GRAIN, t),
                (p, from, to) -> SequenceLoops.causalSoftmaxBackward(pb, po, dpb, dpo, t, dsb, dso, from, to));
    }

    void permute(Tensor x, int[] perm, Tensor y) {
        FloatBuffer xb = be.f("permute", "x", x);
        FloatBuffer yb = be.f("permute", "y", y);
        SequenceOpChecks.permute(x, perm, y);
        int rank = x.rank();
        int length = y.dim(rank - 1);
        if (y.size() == 0) {
            return;
        }
        int[] xStride = new int[rank];
        for (int a = rank - 1, s = 1; a >= 0; a--) {
            xStride[a] = s;
            s *= x.dim(a);
        }
        int[] stride = new int[rank];   // step in x along each axis of y
        int[] outer = new int[rank - 1];
        for (int a = 0; a < rank; a++) {
            stride[a] = xStride[perm[a]];
            if (a < rank - 1) {
                outer[a] = y.dim(a);
            }
        }
        int xo = off(x);
        int yo = off(y);
        pool.parallelFor(y.intSize() / length, rowGrain(GRAIN, length),
                (p, from, to) -> SequenceLoops.permute(xb, xo, outer, stride, length, yb, yo, from, to));
    }
}
