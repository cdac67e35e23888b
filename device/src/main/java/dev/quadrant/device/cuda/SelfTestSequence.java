package dev.quadrant.device.cuda;

import static dev.quadrant.device.cuda.SelfTest.Checker.compare;
import static dev.quadrant.device.cuda.SelfTest.Checker.exactBits;
import static dev.quadrant.device.cuda.SelfTest.Checker.floatsOf;

import java.util.Arrays;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * The self-test's checks of the sequence-model ops (batched GEMM, embedding, LayerNorm, causal softmax, permute),
 * each against the same op on the float64 reference, on shapes that are no multiple of 8 or of a warp. Exact where
 * the contract is exact (gathers, permutes); the backwards that must be deterministic (embedding, LayerNorm) run twice
 * and must agree to the bit.
 */
final class SelfTestSequence {
    private SelfTestSequence() {}

    static void addChecks(SelfTest.Checker c, double gemmTol) {
        c.check("gemmBatched 3x17x9x13 NN NT TN TT", () -> gemmBatched(c, gemmTol));
        c.check("embedding fwd/bwd (deterministic)", () -> embedding(c));
        c.check("layerNorm fwd/bwd (deterministic)", () -> layerNorm(c));
        c.check("causal softmax fwd/bwd", () -> causalSoftmax(c));
        c.check("permute (attention layouts)", () -> permute(c));
    }

    static String gemmBatched(SelfTest.Checker c, double tol) {
        int batch = 3;
        int m = 17;
        int n = 9;
        int k = 13;
        String r = "";
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int[] as = ta ? new int[] {batch, k, m} : new int[] {batch, m, k};
                int[] bs = tb ? new int[] {batch, n, k} : new int[] {batch, k, n};
                float[] a = c.randn(batch * m * k, 1);
                float[] b = c.randn(batch * k * n, 1);
                float[] c0 = c.randn(batch * m * n, 1);
                double[][] want = c.referenceGemm(ta, tb, 0.5f, a, as, b, bs, -2f, c0, new int[] {batch, m, n});
                // a view at an offset into a larger buffer exercises the address arithmetic
                try (Tensor flat = c.be.allocate(DType.FLOAT32, 5 + a.length); Tensor tb_ = c.put(b, bs);
                     Tensor tc = c.put(c0, batch, m, n)) {
                    Tensor av = flat.view(5, as);
                    c.be.upload(a, 0, av);
                    c.be.gemmBatched(ta, tb, 0.5f, av, tb_, -2f, tc);
                    r = compare((ta ? "T" : "N") + (tb ? "T" : "N"), c.get(tc), want[0], tol, want[1]);
                }
            }
        }
        return r;
    }

    static String embedding(SelfTest.Checker c) {
        int vocab = 70;
        int dim = 33;
        int n = 300;   // more positions than one tile of the CUDA kernel
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = i % 7 == 3 ? -1 : c.rnd.nextInt(vocab / 5);   // few distinct ids: many repeats; some invalid
        }
        float[] table = c.randn(vocab * dim, 1);
        float[] dOut = c.randn(n * dim, 1);
        Tensor rt = c.ref.floats(table, vocab, dim);
        Tensor rids = c.ref.ints(ids, n);
        Tensor rout = c.ref.zeros(n, dim);
        c.rb.embeddingForward(rt, rids, rout);
        c.rb.embeddingBackward(rids, c.ref.floats(dOut, n, dim), rt);
        try (Tensor tt = c.put(table, vocab, dim); Tensor tt2 = c.put(table, vocab, dim); Tensor ti = c.puti(ids, n);
             Tensor out = c.be.allocate(DType.FLOAT32, n, dim); Tensor td = c.put(dOut, n, dim)) {
            c.be.embeddingForward(tt, ti, out);
            exactBits("forward", c.get(out), floatsOf(rout));
            c.be.embeddingBackward(ti, td, tt);
            c.be.embeddingBackward(ti, td, tt2);
            float[] got = c.get(tt);
            exactBits("backward run twice", c.get(tt2), got);
            return compare("backward", got, RefTensors.values(rt), 1e-5, null);
        }
    }

    static String layerNorm(SelfTest.Checker c) {
        int rows = 150;
        int d = 33;
        float[] x = c.randn(rows * d, 2);
        for (int i = 0; i < x.length; i++) {
            x[i] += 3f;
        }
        float[] gamma = c.randn(d, 1);
        float[] beta = c.randn(d, 1);
        float[] dy = c.randn(rows * d, 1);
        float[] dg0 = c.randn(d, 1);
        float[] db0 = c.randn(d, 1);
        Tensor rx = c.ref.floats(x, rows, d);
        Tensor rg = c.ref.floats(gamma, d);
        Tensor ry = c.ref.zeros(rows, d);
        Tensor rm = c.ref.zeros(rows);
        Tensor rs = c.ref.zeros(rows);
        c.rb.layerNormForward(rx, rg, c.ref.floats(beta, d), 1e-5f, ry, rm, rs);
        try (Tensor tx = c.put(x, rows, d); Tensor tg = c.put(gamma, d); Tensor tb = c.put(beta, d);
             Tensor ty = c.be.allocate(DType.FLOAT32, rows, d); Tensor tm = c.be.allocate(DType.FLOAT32, rows);
             Tensor ts = c.be.allocate(DType.FLOAT32, rows)) {
            c.be.layerNormForward(tx, tg, tb, 1e-5f, ty, tm, ts);
            String r = compare("y", c.get(ty), RefTensors.values(ry), 1e-5, null);
            compare("mean", c.get(tm), RefTensors.values(rm), 1e-5, null);
            compare("rstd", c.get(ts), RefTensors.values(rs), 1e-5, null);
            // the backward from the backend's own mean and rstd, given to the reference too
            Tensor rdy = c.ref.floats(dy, rows, d);
            Tensor rdg = c.ref.floats(dg0, d);
            Tensor rdb = c.ref.floats(db0, d);
            c.rb.layerNormBackward(rx, rg, c.ref.floats(c.get(tm), rows), c.ref.floats(c.get(ts), rows), rdy, rdy, rdg,
                    rdb);
            float[][] first = null;
            for (int run = 0; run < 2; run++) {
                try (Tensor tdy = c.put(dy, rows, d); Tensor tdg = c.put(dg0, d); Tensor tdb = c.put(db0, d)) {
                    c.be.layerNormBackward(tx, tg, tm, ts, tdy, tdy, tdg, tdb);   // dx may be dy
                    float[][] got = {c.get(tdy), c.get(tdg), c.get(tdb)};
                    if (first == null) {
                        first = got;
                        compare("dx", got[0], RefTensors.values(rdy), 1e-5, null);
                        compare("dGamma (accumulated)", got[1], RefTensors.values(rdg), 1e-5, null);
                        compare("dBeta (accumulated)", got[2], RefTensors.values(rdb), 1e-5, null);
                    } else {
                        exactBits("dx run twice", got[0], first[0]);
                        exactBits("dGamma run twice", got[1], first[1]);
                        exactBits("dBeta run twice", got[2], first[2]);
                    }
                }
            }
            return r;
        }
    }

    static String causalSoftmax(SelfTest.Checker c) {
        int batch = 3;
        int t = 40;   // rows longer than a warp
        int n = batch * t * t;
        float[] s = c.randn(n, 3);
        float[] dp = c.randn(n, 1);
        Tensor rsc = c.ref.floats(s, batch, t, t);
        Tensor rdp = c.ref.floats(dp, batch, t, t);
        c.rb.causalSoftmaxForward(rsc, rsc);
        c.rb.causalSoftmaxBackward(rsc, rdp, rdp);
        try (Tensor ts = c.put(s, batch, t, t); Tensor tp = c.be.allocate(DType.FLOAT32, batch, t, t);
             Tensor tdp = c.put(dp, batch, t, t)) {
            c.be.causalSoftmaxForward(ts, tp);
            String r = compare("probs", c.get(tp), RefTensors.values(rsc), 1e-5, null);
            c.be.causalSoftmaxForward(ts, ts);   // probs may be scores
            exactBits("probs in place", c.get(ts), c.get(tp));
            c.be.causalSoftmaxBackward(tp, tdp, tdp);   // dScores may be dProbs
            compare("dScores", c.get(tdp), RefTensors.values(rdp), 1e-5, null);
            return r;
        }
    }

    static String permute(SelfTest.Checker c) {
        int[][][] cases = {{{2, 5, 3, 3, 7}, {2, 0, 3, 1, 4}}, {{2, 3, 5, 7}, {0, 2, 1, 3}}, {{3, 1, 2, 2, 5, 3}, {5, 3, 1, 0, 2, 4}}};
        for (int[][] cs : cases) {
            int[] shape = cs[0];
            int[] perm = cs[1];
            int[] yShape = new int[shape.length];
            for (int a = 0; a < shape.length; a++) {
                yShape[a] = shape[perm[a]];
            }
            float[] x = c.randn(Arrays.stream(shape).reduce(1, (p, q) -> p * q), 1);
            Tensor ry = c.ref.zeros(yShape);
            c.rb.permute(c.ref.floats(x, shape), perm, ry);
            try (Tensor tx = c.put(x, shape); Tensor ty = c.be.allocate(DType.FLOAT32, yShape)) {
                c.be.permute(tx, perm, ty);
                exactBits(Arrays.toString(shape) + " by " + Arrays.toString(perm), c.get(ty), floatsOf(ry));
            }
        }
        return "exact for " + cases.length + " permutations of rank 4 to 6";
    }
}
