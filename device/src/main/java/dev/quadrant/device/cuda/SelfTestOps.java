package dev.quadrant.device.cuda;

import static dev.quadrant.device.cuda.SelfTest.Checker.compare;
import static dev.quadrant.device.cuda.SelfTest.Checker.exact;
import static dev.quadrant.device.cuda.SelfTest.Checker.exactBits;
import static dev.quadrant.device.cuda.SelfTest.Checker.gemmReference;
import static dev.quadrant.device.cuda.SelfTest.Checker.want;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.GradientStats;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cuda.SelfTest.Checker;
import dev.quadrant.device.cuda.SelfTest.Checker.Mismatch;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The self-test's checks of the memory, BLAS-like, layer, loss, reduction, optimizer and cast ops: each runs one op
 * on the backend under test and the same op with the same inputs on the float64 reference, and returns its detail
 * line or throws {@link Mismatch}. Stateless; the backends are the {@link Checker}'s.
 */
final class SelfTestOps {
    private SelfTestOps() {}

    static String roundTrip(Checker c) {
        float[] v = c.randn(1000, 1);
        int[] w = new int[333];
        for (int i = 0; i < w.length; i++) {
            w[i] = c.rnd.nextInt();
        }
        try (Tensor a = c.be.allocate(DType.FLOAT32, 1000); Tensor b = c.puti(w, 333)) {
            c.be.upload(v, 0, a);
            c.be.synchronize();
            exactBits("float", c.get(a), v);
            exact("int", c.geti(b), w);
            float[] part = new float[10];
            c.be.download(a.slice(990, 10), part, 0);
            exactBits("view at offset 990", part, java.util.Arrays.copyOfRange(v, 990, 1000));
        }
        return "exact";
    }

    static String gemm(Checker c, boolean ta, boolean tb, int m, int n, int k, double tol) {
        float[] a = c.randn(m * k, 1);
        float[] b = c.randn(k * n, 1);
        float[] c0 = c.randn(m * n, 1);
        double[][] want = gemmReference(c.ref, 0, ta, tb, m, n, k, 1f, a, b, 0f, c0);
        try (Tensor ta_ = c.put(a, ta ? k : m, ta ? m : k); Tensor tb_ = c.put(b, tb ? n : k, tb ? k : n);
             Tensor tc = c.put(c0, m, n)) {
            c.be.gemm(ta, tb, 1f, ta_, tb_, 0f, tc);
            return compare("C", c.get(tc), want[0], tol, want[1]);
        }
    }

    static String gemmAlphaBeta(Checker c, double tol) {
        int m = 16;
        int n = 24;
        int k = 8;
        float[] a = c.randn(m * k, 1);
        float[] b = c.randn(n * k, 1);
        float[] c0 = c.randn(m * n, 1);
        double[][] want = gemmReference(c.ref, 0, false, true, m, n, k, 0.5f, a, b, -2f, c0);
        // a view into a larger buffer, at an offset, exercises the address arithmetic
        try (Tensor flat = c.be.allocate(DType.FLOAT32, 7 + m * k); Tensor tb_ = c.put(b, n, k); Tensor tc = c.put(c0, m, n)) {
            Tensor av = flat.view(7, m, k);
            c.be.upload(a, 0, av);
            c.be.gemm(false, true, 0.5f, av, tb_, -2f, tc);
            return compare("C", c.get(tc), want[0], tol, want[1]);
        }
    }

    static String blasLike(Checker c) {
        float[] x = c.randn(777, 1);
        float[] y = c.randn(777, 1);
        try (Tensor tx = c.put(x, 777); Tensor ty = c.put(y, 777); Tensor tz = c.be.allocate(DType.FLOAT32, 777)) {
            c.be.axpy(0.25f, tx, ty);
            c.be.scale(ty, -3f);
            c.be.copy(ty, tz);
            c.be.mul(tz, tx, tz);
            Tensor rx = c.refFloats(x, 777);
            Tensor ry = c.refFloats(y, 777);
            Tensor rz = c.ref.allocate(DType.FLOAT32, 777);
            c.ref.axpy(0.25f, rx, ry);
            c.ref.scale(ry, -3f);
            c.ref.copy(ry, rz);
            c.ref.mul(rz, rx, rz);
            String r = compare("axpy-scale-copy-mul", c.get(tz), want(rz), 1e-5, null);
            c.be.fill(tz, 1.5f);
            c.ref.fill(rz, 1.5f);
            compare("fill", c.get(tz), want(rz), 0, null);
            return r;
        }
    }

    static String addBias(Checker c) {
        int rows = 19;
        int cols = 45;
        float[] x = c.randn(rows * cols, 1);
        float[] b = c.randn(cols, 1);
        Tensor rx = c.refFloats(x, rows, cols);
        c.ref.addBias(rx, c.refFloats(b, cols));
        try (Tensor tx = c.put(x, rows, cols); Tensor tb = c.put(b, cols)) {
            c.be.addBias(tx, tb);
            return compare("x + bias", c.get(tx), want(rx), 1e-6, null);
        }
    }

    static String columnSums(Checker c) {
        int rows = 300;
        int cols = 70;
        float[] x = c.randn(rows * cols, 1);
        float[] o = c.randn(cols, 1);
        Tensor r0 = c.refFloats(o, cols);
        Tensor r5 = c.refFloats(o, cols);
        c.ref.columnSums(c.refFloats(x, rows, cols), 0f, r0);
        c.ref.columnSums(c.refFloats(x, rows, cols), 0.5f, r5);
        try (Tensor tx = c.put(x, rows, cols); Tensor t0 = c.put(o, cols); Tensor t5 = c.put(o, cols)) {
            c.be.columnSums(tx, 0f, t0);
            c.be.columnSums(tx, 0.5f, t5);
            compare("beta 0", c.get(t0), want(r0), 1e-5, null);
            return compare("beta 0.5", c.get(t5), want(r5), 1e-5, null);
        }
    }

    static String activation(Checker c, Activation f) {
        float[] x = c.randn(1001, 2);
        x[0] = 0f;
        float[] dy = c.randn(1001, 1);
        Tensor ry = c.ref.allocate(DType.FLOAT32, 1001);
        Tensor rdx = c.ref.allocate(DType.FLOAT32, 1001);
        c.ref.activationForward(f, c.refFloats(x, 1001), ry);
        c.ref.activationBackward(f, c.refFloats(x, 1001), c.refFloats(dy, 1001), rdx);
        try (Tensor tx = c.put(x, 1001); Tensor ty = c.be.allocate(DType.FLOAT32, 1001); Tensor tdy = c.put(dy, 1001)) {
            c.be.activationForward(f, tx, ty);
            String r = compare("forward", c.get(ty), want(ry), 1e-5, null);
            c.be.activationBackward(f, tx, tdy, tdy);   // dx may be dy
            compare("backward", c.get(tdy), want(rdx), 1e-5, null);
            return r;
        }
    }

    /** Which elements drop is exact; the kept value 1/(1-p) may differ by one float rounding. */
    static String dropout(Checker c) {
        try (Tensor m = c.be.allocate(DType.FLOAT32, 5000)) {
            Tensor rm = c.ref.allocate(DType.FLOAT32, 5000);
            for (long first : new long[] {0L, (1L << 32) + 5}) {
                for (float p : new float[] {0f, 0.1f, 0.5f}) {
                    long seed = 0x5EEDL * (long) (p * 10 + 1) - 7;
                    c.be.dropoutMask(m, p, seed, first);
                    c.ref.dropoutMask(rm, p, seed, first);
                    float[] got = c.get(m);
                    double[] w = want(rm);
                    for (int i = 0; i < got.length; i++) {
                        if ((got[i] == 0) != (w[i] == 0)) {
                            throw new Mismatch("p=" + p + " firstIndex=" + first + ": element " + i + " got "
                                    + got[i] + " expected " + w[i] + " (another element dropped)");
                        }
                    }
                    compare("p=" + p + " firstIndex=" + first, got, w, 0x1p-23, w);
                }
            }
            return "exact pattern for p = 0, 0.1, 0.5 at firstIndex 0 and 2^32 + 5";
        }
    }

    static String softmaxXent(Checker c) {
        int rows = 37;
        int cols = 70;   // more classes than a warp has lanes
        float[] x = c.randn(rows * cols, 3);
        int[] y = c.labelsWithIgnored(rows, cols);
        Tensor rLoss = c.ref.allocate(DType.FLOAT32, rows);
        Tensor rd = c.ref.allocate(DType.FLOAT32, rows, cols);
        c.ref.softmaxCrossEntropyForward(c.refFloats(x, rows, cols), c.refInts(y, rows), rLoss);
        c.ref.softmaxCrossEntropyBackward(c.refFloats(x, rows, cols), c.refInts(y, rows), 1f / rows, rd);
        try (Tensor tx = c.put(x, rows, cols); Tensor ty = c.puti(y, rows); Tensor loss = c.be.allocate(DType.FLOAT32, rows);
             Tensor d = c.put(c.randn(rows * cols, 1), rows, cols)) {
            c.be.softmaxCrossEntropyForward(tx, ty, loss);
            String r = compare("loss", c.get(loss), want(rLoss), 1e-5, null);
            c.be.softmaxCrossEntropyBackward(tx, ty, 1f / rows, d);
            compare("dLogits", c.get(d), want(rd), 1e-5, null);
            float[] l = c.get(loss);
            float[] g = c.get(d);
            for (int row = 3; row < rows; row += 4) {
                for (int j = 0; j < cols; j++) {
                    if (g[row * cols + j] != 0f || l[row] != 0f) {
                        throw new Mismatch("row " + row + " is IGNORE_INDEX: loss " + l[row] + ", dLogits["
                                + j + "] " + g[row * cols + j] + " (both must be 0)");
                    }
                }
            }
            return r + ", ignored rows 0";
        }
    }

    static String mse(Checker c) {
        int rows = 21;
        int cols = 40;
        float[] p = c.randn(rows * cols, 1);
        float[] t = c.randn(rows * cols, 1);
        Tensor rl = c.ref.allocate(DType.FLOAT32, rows);
        Tensor rd = c.ref.allocate(DType.FLOAT32, rows, cols);
        c.ref.mseForward(c.refFloats(p, rows, cols), c.refFloats(t, rows, cols), rl);
        c.ref.mseBackward(c.refFloats(p, rows, cols), c.refFloats(t, rows, cols), 0.5f, rd);
        try (Tensor tp = c.put(p, rows, cols); Tensor tt = c.put(t, rows, cols); Tensor tl = c.be.allocate(DType.FLOAT32, rows);
             Tensor td = c.be.allocate(DType.FLOAT32, rows, cols)) {
            c.be.mseForward(tp, tt, tl);
            String r = compare("loss", c.get(tl), want(rl), 1e-5, null);
            c.be.mseBackward(tp, tt, 0.5f, td);
            compare("dPred", c.get(td), want(rd), 1e-5, null);
            return r;
        }
    }

    static String argmax(Checker c) {
        int rows = 50;
        int cols = 45;
        float[] x = c.randn(rows * cols, 1);
        for (int j = 0; j < cols; j++) {   // row 0: all equal -> index 0; row 1: tie between 40 and 7 -> 7
            x[j] = 1f;
        }
        x[cols + 7] = 9f;
        x[cols + 40] = 9f;
        Tensor rOut = c.ref.allocate(DType.INT32, rows);
        c.ref.argmax(c.refFloats(x, rows, cols), rOut);
        int[] want = ReferenceBackend.ints(rOut);
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = r % 5 == 4 ? Backend.IGNORE_INDEX : r % 3 == 0 ? want[r] : (want[r] + 1) % cols;
        }
        Tensor rAcc = c.refFloats(new float[] {2f}, 1);
        c.ref.countCorrect(c.refFloats(x, rows, cols), c.refInts(labels, rows), rAcc);
        try (Tensor tx = c.put(x, rows, cols); Tensor out = c.be.allocate(DType.INT32, rows); Tensor tl = c.puti(labels, rows);
             Tensor acc = c.put(new float[] {2f}, 1)) {
            c.be.argmax(tx, out);
            exact("argmax", c.geti(out), want);
            c.be.countCorrect(tx, tl, acc);
            exactBits("countCorrect", c.get(acc), new float[] {(float) want(rAcc)[0]});
            return "exact (" + (int) (want(rAcc)[0] - 2) + " correct of " + rows + ", ignored rows not counted)";
        }
    }

    static String reductions(Checker c) {
        float[] x = c.randn(100_003, 1);
        Tensor rx = c.refFloats(x, 100_003);
        Tensor rAcc = c.refFloats(new float[] {1f}, 1);
        c.ref.sumInto(rx, rAcc);
        double norm = c.ref.l2Norm(rx);
        try (Tensor tx = c.put(x, 100_003); Tensor acc = c.put(new float[] {1f}, 1)) {
            c.be.sumInto(tx, acc);
            String r = compare("sumInto", c.get(acc), want(rAcc), 1e-6, new double[] {norm + 1});
            double got = c.be.l2Norm(tx);
            if (Math.abs(got - norm) > 1e-9 * norm) {
                throw new Mismatch("l2Norm got " + got + " expected " + norm + " (relative tolerance 1e-9)");
            }
            if (!c.be.allFinite(tx)) {
                throw new Mismatch("allFinite false on finite data");
            }
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                try (Tensor one = c.put(new float[] {bad}, 1)) {
                    c.be.copy(one, tx.slice(77_777, 1));
                }
                if (c.be.allFinite(tx)) {
                    throw new Mismatch("allFinite true with " + bad + " at 77777");
                }
            }
            return r;
        }
    }

    static String sgd(Checker c) {
        int n = 5000;
        StringBuilder sb = new StringBuilder();
        for (boolean nesterov : new boolean[] {false, true}) {
            float[] p = c.randn(n, 1);
            float[] g = c.randn(n, 1);
            float[] v = c.randn(n, 1);
            Tensor rp = c.refFloats(p, n);
            Tensor rv = c.refFloats(v, n);
            c.ref.sgdUpdate(rp, c.refFloats(g, n), rv, 0.1f, 0.9f, nesterov, 0.01f, null);
            try (Tensor tp = c.put(p, n); Tensor tg = c.put(g, n); Tensor tv = c.put(v, n)) {
                c.be.sgdUpdate(tp, tg, tv, 0.1f, 0.9f, nesterov, 0.01f, null);
                sb.append(sb.length() == 0 ? "" : "; ").append(compare("param", c.get(tp), want(rp), 1e-5, null));
                compare("velocity", c.get(tv), want(rv), 1e-5, null);
            }
        }
        float[] p = c.randn(n, 1);
        float[] g = c.randn(n, 1);
        Tensor rp = c.refFloats(p, n);
        c.ref.sgdUpdate(rp, c.refFloats(g, n), null, 0.05f, 0f, false, 0f, null);
        try (Tensor tp = c.put(p, n); Tensor tg = c.put(g, n)) {
            c.be.sgdUpdate(tp, tg, null, 0.05f, 0f, false, 0f, null);
            compare("plain sgd", c.get(tp), want(rp), 1e-5, null);
        }
        return sb.toString();
    }

    static String adam(Checker c) {
        int n = 5000;
        String r = "";
        for (boolean decoupled : new boolean[] {false, true}) {
            float[] p = c.randn(n, 1);
            float[] g = c.randn(n, 1);
            float[] m = c.randn(n, 0.1);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) Math.abs(c.rnd.nextGaussian() * 0.01);
            }
            Tensor rp = c.refFloats(p, n);
            Tensor rm = c.refFloats(m, n);
            Tensor rv = c.refFloats(v, n);
            c.ref.adamUpdate(rp, c.refFloats(g, n), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7, null);
            try (Tensor tp = c.put(p, n); Tensor tg = c.put(g, n); Tensor tm = c.put(m, n); Tensor tv = c.put(v, n)) {
                c.be.adamUpdate(tp, tg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7, null);
                r = compare("param", c.get(tp), want(rp), 1e-5, null);
                compare("m", c.get(tm), want(rm), 1e-5, null);
                compare("v", c.get(tv), want(rv), 1e-5, null);
            }
        }
        return r;
    }

    /**
     * gradientStats over 300k elements (many blocks) against the reference: norm and clip factor within 1e-5, flag,
     * count and the first non-finite record (the minimum index over blocks) exact; then guarded Adam and SGD (clipped,
     * then a flagged step that must change nothing) against the reference's guarded updates, within 1e-5; and
     * sumFiniteInto (a NaN batch adds nothing).
     */
    static String guarded(Checker c) {
        int n = 300_000;
        float[] g = c.randn(n, 1);
        float[] p = c.randn(n, 1);
        float[] m = c.randn(n, 0.1);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.abs(c.rnd.nextGaussian() * 0.01);
        }
        float[] bad = g.clone();
        bad[200_000] = Float.POSITIVE_INFINITY;
        bad[123_457] = Float.NaN;
        Tensor rs = c.refFloats(new float[GradientStats.SIZE], GradientStats.SIZE);
        Tensor rp = c.refFloats(p, n);
        Tensor rm = c.refFloats(m, n);
        Tensor rv = c.refFloats(v, n);
        c.ref.gradientStats(c.refFloats(g, n), 1f, 1, rs);
        double[] clipped = want(rs);
        c.ref.adamUpdate(rp, c.refFloats(g, n), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 1, rs);
        c.ref.gradientStats(c.refFloats(bad, n), 1f, 2, rs);
        try (Tensor ts = c.put(new float[GradientStats.SIZE], GradientStats.SIZE); Tensor tg = c.put(g, n);
             Tensor tb = c.put(bad, n); Tensor tp = c.put(p, n); Tensor tm = c.put(m, n); Tensor tv = c.put(v, n)) {
            c.be.gradientStats(tg, 1f, 1, ts);
            float[] st = c.get(ts);
            compare("norm", new float[] {st[0]}, new double[] {clipped[0]}, 1e-5, null);
            compare("clip factor", new float[] {st[2]}, new double[] {clipped[2]}, 1e-5, null);
            c.be.adamUpdate(tp, tg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 1, ts);
            String r = compare("clipped adam param", c.get(tp), want(rp), 1e-5, null);
            compare("clipped adam m", c.get(tm), want(rm), 1e-5, null);
            float[] before = c.get(tp);
            c.be.gradientStats(tb, 1f, 2, ts);
            c.be.adamUpdate(tp, tb, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 2, ts);
            c.be.sgdUpdate(tp, tb, tm, 0.1f, 0.9f, false, 0f, ts);
            if (!java.util.Arrays.equals(before, c.get(tp))) {
                throw new Mismatch("a guarded update flagged non-finite changed the parameters");
            }
            float[] got = c.get(ts);
            double[] ref = want(rs);
            for (int i = GradientStats.NON_FINITE; i < GradientStats.SIZE; i++) {
                if (i != GradientStats.FACTOR && got[i] != ref[i]) {
                    throw new Mismatch("gradientStats[" + i + "] = " + got[i] + ", the reference has " + ref[i]
                            + " (first non-finite index " + GradientStats.decode(got).firstIndex() + ", want 123457)");
                }
            }
            try (Tensor acc = c.put(new float[] {0.5f, 1f}, 2)) {   // sumFiniteInto: a finite sum, then a NaN one
                c.be.sumFiniteInto(tg, 3f, acc);
                c.be.sumFiniteInto(tb, 3f, acc);
                Tensor ra = c.refFloats(new float[] {0.5f, 1f}, 2);
                c.ref.sumFiniteInto(c.refFloats(g, n), 3f, ra);
                c.ref.sumFiniteInto(c.refFloats(bad, n), 3f, ra);
                compare("sumFiniteInto", c.get(acc), want(ra), 1e-5, new double[] {Math.sqrt(n), 1});
            }
            return r + "; first non-finite index " + GradientStats.decode(got).firstIndex();
        }
    }

    static String casts(Checker c) {
        float[] x = c.randn(1000, 100);
        x[0] = Float.NaN;
        x[1] = Float.POSITIVE_INFINITY;
        x[2] = -0f;
        x[3] = Float.MAX_VALUE;   // rounds up to infinity
        x[4] = Float.intBitsToFloat(0x3f808000);   // exactly halfway: ties to even
        Tensor rh = c.ref.allocate(DType.BF16, 1000);
        Tensor rBack = c.ref.allocate(DType.FLOAT32, 1000);
        c.ref.castToBf16(c.refFloats(x, 1000), rh);
        c.ref.castFromBf16(rh, rBack);
        float[] want = new float[x.length];
        c.ref.download(rBack, want, 0);
        try (Tensor tx = c.put(x, 1000); Tensor h = c.be.allocate(DType.BF16, 1000); Tensor back = c.be.allocate(DType.FLOAT32, 1000)) {
            c.be.castToBf16(tx, h);
            c.be.castFromBf16(h, back);
            exactBits("round trip", c.get(back), want);
            return "exact, round to nearest even";
        }
    }
}
