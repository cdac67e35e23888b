package dev.quadrant.device.cuda;

import static dev.quadrant.device.cuda.SelfTest.Checker.compare;
import static dev.quadrant.device.cuda.SelfTest.Checker.exactBits;
import static dev.quadrant.device.cuda.SelfTest.Checker.gemmReference;
import static dev.quadrant.device.cuda.SelfTest.Checker.want;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.SelfTest.Checker;
import dev.quadrant.device.cuda.SelfTest.Checker.Mismatch;

/**
 * The self-test's checks of the sequence-model ops (batched GEMM, embedding, LayerNorm, causal softmax, permute) at
 * the sizes of a small attention layer: each runs the op on the backend under test and on the float64 reference
 * with the same inputs and returns its detail line or throws {@link Mismatch}. Stateless.
 */
final class SelfTestSequence {
    private SelfTestSequence() {}

    private static final int BATCH = 7;   // batch * heads
    private static final int T = 17;
    private static final int HEAD = 33;

    /** {@code q k^T} and {@code p v} shapes, all four transpositions, alpha and beta as attention's backward has them. */
    static String gemmBatched(Checker c, double tol) {
        String r = "";
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            int m = T;
            int n = HEAD;
            int k = T;
            float[] a = c.randn(BATCH * m * k, 1);
            float[] b = c.randn(BATCH * k * n, 1);
            float[] c0 = c.randn(BATCH * m * n, 1);
            double[][] want = gemmReference(c.ref, BATCH, ta, tb, m, n, k, 0.125f, a, b, 1f, c0);
            try (Tensor at = c.put(a, BATCH, ta ? k : m, ta ? m : k); Tensor bt = c.put(b, BATCH, tb ? n : k, tb ? k : n);
                 Tensor ct = c.put(c0, BATCH, m, n)) {
                c.be.gemmBatched(ta, tb, 0.125f, at, bt, 1f, ct);
                r = compare((ta ? "T" : "N") + (tb ? "T" : "N"), c.get(ct), want[0], tol, want[1]);
            }
        }
        return r;
    }

    /** Gather exact; scatter-add with repeated ids (more ids than rows) and invalid ones (skipped), in order. */
    static String embedding(Checker c) {
        int vocab = 13;
        int dim = HEAD;
        int n = BATCH * T;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 29 == 5 ? -1 : i % 31 == 7 ? vocab : c.rnd.nextInt(vocab);
        }
        float[] table = c.randn(vocab * dim, 1);
        float[] dOut = c.randn(n * dim, 1);
        float[] dTable = c.randn(vocab * dim, 1);
        Tensor rOut = c.ref.allocate(DType.FLOAT32, n, dim);
        Tensor rdTable = c.refFloats(dTable, vocab, dim);
        c.ref.embeddingForward(c.refFloats(table, vocab, dim), c.refInts(ids, n), rOut);
        c.ref.embeddingBackward(c.refInts(ids, n), c.refFloats(dOut, n, dim), rdTable);
        Tensor mag = c.refAbs(dTable, vocab, dim);
        c.ref.embeddingBackward(c.refInts(ids, n), c.refAbs(dOut, n, dim), mag);
        try (Tensor tt = c.put(table, vocab, dim); Tensor ti = c.puti(ids, n); Tensor to = c.put(c.randn(n * dim, 1), n, dim);
             Tensor td = c.put(dOut, n, dim); Tensor tg = c.put(dTable, vocab, dim)) {
            c.be.embeddingForward(tt, ti, to);
            compare("gather", c.get(to), want(rOut), 0, null);
            c.be.embeddingBackward(ti, td, tg);
            return "gather exact; " + compare("scatter-add", c.get(tg), want(rdTable), n * 0x1p-23, want(mag));
        }
    }

    /** Forward (y, mean, rstd) and backward (dx in place over dy, dGamma and dBeta accumulated) over 7 x 17 rows of 70. */
    static String layerNorm(Checker c) {
        int rows = BATCH * T;
        int d = 70;
        float[] x = c.randn(rows * d, 2);
        float[] gamma = c.randn(d, 1);
        float[] beta = c.randn(d, 1);
        float[] dy = c.randn(rows * d, 1);
        float[] dg = c.randn(d, 1);
        float[] db = c.randn(d, 1);
        Tensor ry = c.ref.allocate(DType.FLOAT32, rows, d);
        Tensor rMean = c.ref.allocate(DType.FLOAT32, rows);
        Tensor rRstd = c.ref.allocate(DType.FLOAT32, rows);
        c.ref.layerNormForward(c.refFloats(x, rows, d), c.refFloats(gamma, d), c.refFloats(beta, d), 1e-5f, ry, rMean,
                rRstd);
        try (Tensor tx = c.put(x, rows, d); Tensor tg = c.put(gamma, d); Tensor tb = c.put(beta, d);
             Tensor ty = c.be.allocate(DType.FLOAT32, rows, d); Tensor tm = c.be.allocate(DType.FLOAT32, rows);
             Tensor tr = c.be.allocate(DType.FLOAT32, rows); Tensor tdy = c.put(dy, rows, d); Tensor tdg = c.put(dg, d);
             Tensor tdb = c.put(db, d)) {
            c.be.layerNormForward(tx, tg, tb, 1e-5f, ty, tm, tr);
            String r = compare("y", c.get(ty), want(ry), 1e-5, null);
            compare("mean", c.get(tm), want(rMean), 1e-5, null);
            compare("rstd", c.get(tr), want(rRstd), 1e-5, null);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, rows, d);
            Tensor rdg = c.refFloats(dg, d);
            Tensor rdb = c.refFloats(db, d);
            // both sides start the backward from the backend's own mean and rstd
            c.ref.layerNormBackward(c.refFloats(x, rows, d), c.refFloats(gamma, d), c.refFloats(c.get(tm), rows),
                    c.refFloats(c.get(tr), rows), c.refFloats(dy, rows, d), rdx, rdg, rdb);
            c.be.layerNormBackward(tx, tg, tm, tr, tdy, tdy, tdg, tdb);
            compare("dx", c.get(tdy), want(rdx), 1e-5, null);
            compare("dGamma", c.get(tdg), want(rdg), 1e-5, null);
            compare("dBeta", c.get(tdb), want(rdb), 1e-5, null);
            return r;
        }
    }

    /** Forward in place over the scores, backward in place over dProbs; above the diagonal exactly 0. */
    static String causalSoftmax(Checker c) {
        float[] s = c.randn(BATCH * T * T, 3);
        float[] dp = c.randn(BATCH * T * T, 1);
        Tensor rp = c.refFloats(s, BATCH, T, T);
        c.ref.causalSoftmaxForward(rp, rp);
        try (Tensor ts = c.put(s, BATCH, T, T); Tensor tdp = c.put(dp, BATCH, T, T)) {
            c.be.causalSoftmaxForward(ts, ts);
            float[] p = c.get(ts);
            String r = compare("probs", p, want(rp), 1e-5, null);
            Tensor rds = c.ref.allocate(DType.FLOAT32, BATCH, T, T);
            c.ref.causalSoftmaxBackward(c.refFloats(p, BATCH, T, T), c.refFloats(dp, BATCH, T, T), rds);
            c.be.causalSoftmaxBackward(ts, tdp, tdp);
            float[] ds = c.get(tdp);
            compare("dScores", ds, want(rds), 1e-5, null);
            for (int i = 0; i < p.length; i++) {
                if (i % T > i / T % T && (p[i] != 0f || ds[i] != 0f)) {
                    throw new Mismatch("element " + i + " is above the diagonal: probs " + p[i] + ", dScores " + ds[i]
                            + " (both must be 0)");
                }
            }
            return r;
        }
    }

    /** Attention's split {2, 0, 3, 1, 4} of [B, T, 3, H, hd] and merge {0, 2, 1, 3}, and back: exact. */
    static String permute(Checker c) {
        int[][][] cases = {{{2, T, 3, 4, HEAD}, {2, 0, 3, 1, 4}}, {{2, 4, T, HEAD}, {0, 2, 1, 3}}, {{T, HEAD}, {1, 0}}};
        for (int[][] cs : cases) {
            int[] shape = cs[0];
            int[] perm = cs[1];
            int[] yShape = new int[shape.length];
            int[] inverse = new int[perm.length];
            int n = 1;
            for (int a = 0; a < perm.length; a++) {
                yShape[a] = shape[perm[a]];
                inverse[perm[a]] = a;
                n *= shape[a];
            }
            float[] x = c.randn(n, 1);
            Tensor ry = c.ref.allocate(DType.FLOAT32, yShape);
            c.ref.permute(c.refFloats(x, shape), perm, ry);
            float[] want = new float[n];
            c.ref.download(ry, want, 0);
            try (Tensor tx = c.put(x, shape); Tensor ty = c.be.allocate(DType.FLOAT32, yShape);
                 Tensor back = c.be.allocate(DType.FLOAT32, shape)) {
                c.be.permute(tx, perm, ty);
                exactBits("permute " + java.util.Arrays.toString(perm), c.get(ty), want);
                c.be.permute(ty, inverse, back);
                exactBits("and back", c.get(back), x);
            }
        }
        return "exact for the attention split and merge, and their inverses";
    }
}
