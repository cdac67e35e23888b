package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;

import java.util.Arrays;
import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** gemm, gemmBatched, axpy, scale, fill, copy, mul against the float64 {@link Ref}. */
final class BlasChecks {
    private BlasChecks() {}

    /** (m, n, k): ones, non-multiples of 8, and one large enough for a multi-threaded BLAS path. */
    static final int[][] GEMM_SHAPES = {{1, 1, 1}, {7, 10, 17}, {33, 17, 130}, {7, 130, 1}, {1, 17, 33}, {33, 1, 10},
        {65, 130, 257}};

    /**
     * (batch, m, n, k) as attention has them ({@code T x hd x T} and {@code T x T x hd}): batch 1, 3, 7, sizes 1,
     * 5, 17, 33 and an empty k; then 64^3 per matrix (where a CPU backend splits the batch over its threads) and a
     * larger one (where it leaves the threading to the BLAS).
     */
    static final int[][] BATCHED_SHAPES = {{1, 1, 1, 1}, {3, 5, 5, 7}, {7, 17, 17, 33}, {3, 17, 33, 5},
        {7, 1, 13, 1}, {1, 33, 7, 17}, {3, 2, 5, 0}, {4, 64, 64, 64}, {2, 65, 130, 33}};

    /** A GEMM-shaped op of Backend: {@code Backend::gemm} or {@code Backend::gemmBatched}. */
    @FunctionalInterface
    private interface GemmOp {
        void run(Backend be, boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c);
    }

    static void gemm(Backend be) {
        Random r = new Random(21);
        for (int[] s : GEMM_SHAPES) {
            allCases(be, r, Backend::gemm, 0, s[0], s[1], s[2]);
        }
    }

    static void gemmBatched(Backend be) {
        Random r = new Random(26);
        for (int[] s : BATCHED_SHAPES) {
            allCases(be, r, Backend::gemmBatched, s[0], s[1], s[2], s[3]);
        }
    }

    /** The four transpositions, each with (alpha, beta) = (0.75, -0.5), (1, 1) and (-2, 0) over a NaN C. */
    private static void allCases(Backend be, Random r, GemmOp op, int batch, int m, int n, int k) {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0;
            boolean tb = (t & 2) != 0;
            gemmCase(be, r, op, batch, m, n, k, ta, tb, 0.75f, -0.5f, false);
            gemmCase(be, r, op, batch, m, n, k, ta, tb, 1f, 1f, false);
            gemmCase(be, r, op, batch, m, n, k, ta, tb, -2f, 0f, true);
        }
    }

    /** {@code [rows, cols]}, or {@code [batch, rows, cols]} for a batched op ({@code batch > 0}). */
    private static int[] shape(int batch, int rows, int cols) {
        return batch > 0 ? new int[] {batch, rows, cols} : new int[] {rows, cols};
    }

    /**
     * Tolerance: the classic bound for a length-k dot product in float32, whatever the summation order or FMA
     * use, {@code |error| <= (k + 2) eps (|alpha| (|A||B|)_ij + |beta| |C_ij|)}, computed by running the reference
     * on absolute values. It rules out reduced-precision modes (TF32, bf16 inputs) that a float32 GEMM must not use.
     * With {@code beta == 0} the old C is filled with NaN: BLAS semantics say it is not read.
     */
    private static void gemmCase(Backend be, Random r, GemmOp op, int batch, int m, int n, int k, boolean ta,
                                 boolean tb, float alpha, float beta, boolean nanC) {
        int count = Math.max(batch, 1);
        int[] aShape = shape(batch, ta ? k : m, ta ? m : k);
        int[] bShape = shape(batch, tb ? n : k, tb ? k : n);
        int[] cShape = shape(batch, m, n);
        float[] a = Data.uniform(r, count * m * k, -1, 1);
        float[] b = Data.uniform(r, count * k * n, -1, 1);
        float[] c = nanC ? nans(count * m * n) : Data.uniform(r, count * m * n, -1, 1);
        String what = String.format("%s(transA=%b, transB=%b, alpha=%s, beta=%s) batch=%d m=%d n=%d k=%d",
                batch > 0 ? "gemmBatched" : "gemm", ta, tb, alpha, beta, batch, m, n, k);
        try (Guarded ga = Guarded.floats(be, a, aShape); Guarded gb = Guarded.floats(be, b, bShape);
             Guarded gc = Guarded.floats(be, c, cShape)) {
            op.run(be, ta, tb, alpha, ga.view, gb.view, beta, gc.view);
            Tensor rc = Ref.floats(c, cShape);
            op.run(Ref.BE, ta, tb, alpha, Ref.floats(a, aShape), Ref.floats(b, bShape), beta, rc);
            Tensor mag = nanC ? Ref.zeros(cShape) : Ref.absFloats(c, cShape);
            op.run(Ref.BE, ta, tb, Math.abs(alpha), Ref.absFloats(a, aShape), Ref.absFloats(b, bShape),
                    Math.abs(beta), mag);
            double[] magnitude = Ref.values(mag);
            double[] tol = new double[magnitude.length];
            for (int i = 0; i < tol.length; i++) {
                tol[i] = (k + 2) * EPS * magnitude[i] + Float.MIN_NORMAL;
            }
            Approx.assertClose(what, gc.floats(), Ref.values(rc), tol);
            gc.assertGuardsIntact(what);
            ga.assertGuardsIntact(what);
            gb.assertGuardsIntact(what);
        }
    }

    /**
     * gemm with BF16 operands (a trainer's bf16 weight copy): {@code a}, {@code b} or both BF16, holding values that
     * bf16 represents exactly, give the same bits as the same call with FLOAT32 operands of those values (which
     * {@link #gemm} checks against the float64 reference), in every transposition.
     */
    static void gemmWithBf16Operands(Backend be) {
        Random r = new Random(27);
        for (int[] s : new int[][] {{7, 10, 17}, {33, 17, 130}, {1, 17, 33}}) {
            int m = s[0];
            int n = s[1];
            int k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                int[] aShape = ta ? new int[] {k, m} : new int[] {m, k};
                int[] bShape = tb ? new int[] {n, k} : new int[] {k, n};
                float[] a = bf16Values(Data.uniform(r, m * k, -1, 1));
                float[] b = bf16Values(Data.uniform(r, k * n, -1, 1));
                float[] c = Data.uniform(r, m * n, -1, 1);
                for (int which = 1; which <= 3; which++) {   // 1: a BF16, 2: b BF16, 3: both
                    String what = String.format("gemm(transA=%b, transB=%b) m=%d n=%d k=%d with %s BF16", ta, tb, m,
                            n, k, which == 1 ? "a" : which == 2 ? "b" : "a and b");
                    try (Guarded ga = Guarded.floats(be, a, aShape); Guarded gb = Guarded.floats(be, b, bShape);
                         Guarded want = Guarded.floats(be, c, m, n); Guarded got = Guarded.floats(be, c, m, n);
                         Tensor a16 = be.allocate(dev.quadrant.device.DType.BF16, aShape);
                         Tensor b16 = be.allocate(dev.quadrant.device.DType.BF16, bShape)) {
                        be.castToBf16(ga.view, a16);
                        be.castToBf16(gb.view, b16);
                        be.gemm(ta, tb, 0.75f, ga.view, gb.view, -0.5f, want.view);
                        be.gemm(ta, tb, 0.75f, (which & 1) != 0 ? a16 : ga.view, (which & 2) != 0 ? b16 : gb.view,
                                -0.5f, got.view);
                        float[] w = want.floats();
                        float[] g = got.floats();
                        for (int i = 0; i < w.length; i++) {
                            if (Float.floatToRawIntBits(w[i]) != Float.floatToRawIntBits(g[i])) {
                                throw new AssertionError(what + ": element " + i + " is " + g[i] + ", with FLOAT32 "
                                        + "operands of the same values " + w[i]);
                            }
                        }
                        got.assertGuardsIntact(what);
                    }
                }
            }
        }
    }

    /** {@code x} rounded to values bf16 holds exactly (its top 16 bits, truncated). */
    private static float[] bf16Values(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xffff0000);
        }
        return y;
    }

    private static float[] nans(int n) {
        float[] x = new float[n];
        Arrays.fill(x, Float.NaN);
        return x;
    }

    /** Tolerance: one product and one sum, each rounded once (or one FMA): 2 eps of the terms' magnitudes. */
    static void axpy(Backend be) {
        Random r = new Random(22);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            float[] y = Data.gaussian(r, n, 2);
            float alpha = -1.5f;
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gy = Guarded.floats(be, y, s)) {
                be.axpy(alpha, gx.view, gy.view);
                Tensor ry = Ref.floats(y, s);
                Ref.BE.axpy(alpha, Ref.floats(x, s), ry);
                double[] ref = Ref.values(ry);
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    tol[i] = 2 * EPS * (Math.abs(y[i]) + Math.abs(alpha * (double) x[i]));
                }
                Approx.assertClose("axpy " + Data.shape(s), gy.floats(), ref, tol);
                gy.assertGuardsIntact("axpy");
                gx.assertGuardsIntact("axpy");
            }
        }
    }

    /** Tolerance: one rounded product, half an ulp; eps relative allows any correctly rounded result. */
    static void scale(Backend be) {
        Random r = new Random(23);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            try (Guarded gx = Guarded.floats(be, x, s)) {
                be.scale(gx.view, 0.3f);
                Tensor rx = Ref.floats(x, s);
                Ref.BE.scale(rx, 0.3f);
                Approx.assertClose("scale " + Data.shape(s), gx.floats(), Ref.values(rx), EPS, 0);
                gx.assertGuardsIntact("scale");
            }
        }
    }

    /** Exact. */
    static void fill(Backend be) {
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            try (Guarded gx = Guarded.floats(be, new float[n], s)) {
                Tensor rx = Ref.zeros(s);
                be.fill(gx.view, -2.25f);
                Ref.BE.fill(rx, -2.25f);
                Approx.assertExact("fill " + Data.shape(s), gx.floats(), Ref.values(rx));
                be.fill(gx.view, Float.NaN);
                Ref.BE.fill(rx, Float.NaN);
                Approx.assertExact("fill NaN " + Data.shape(s), gx.floats(), Ref.values(rx));
                gx.assertGuardsIntact("fill");
            }
        }
    }

    /** Exact, bit for bit, for every dtype (bf16 patterns are made by casting floats that bf16 holds exactly). */
    static void copy(Backend be) {
        Random r = new Random(24);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 2);
            x[0] = -0f;
            try (Guarded src = Guarded.floats(be, x, s); Guarded dst = Guarded.floats(be, new float[n], s)) {
                be.copy(src.view, dst.view);
                float[] got = dst.floats();
                for (int i = 0; i < n; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(x[i])) {
                        throw new AssertionError("copy FLOAT32 " + Data.shape(s) + ": element " + i + " is " + got[i]
                                + ", expected " + x[i]);
                    }
                }
                dst.assertGuardsIntact("copy FLOAT32");
            }
            int[] y = Data.labels(r, n, 1_000_000);
            try (Guarded src = Guarded.ints(be, y, s); Guarded dst = Guarded.ints(be, new int[n], s)) {
                be.copy(src.view, dst.view);
                org.junit.jupiter.api.Assertions.assertArrayEquals(y, dst.ints(), "copy INT32 " + Data.shape(s));
                dst.assertGuardsIntact("copy INT32");
            }
            float[] bfExact = new float[n];
            for (int i = 0; i < n; i++) {
                bfExact[i] = Float.intBitsToFloat(Float.floatToRawIntBits(x[i]) & 0xFFFF_0000);
            }
            try (Guarded f = Guarded.floats(be, bfExact, s); Guarded src = Guarded.bf16(be, s);
                 Guarded dst = Guarded.bf16(be, s)) {
                be.castToBf16(f.view, src.view);
                be.copy(src.view, dst.view);
                short[] got = dst.bf16Bits();
                for (int i = 0; i < n; i++) {
                    if ((got[i] & 0xFFFF) != Float.floatToRawIntBits(bfExact[i]) >>> 16) {
                        throw new AssertionError("copy BF16 " + Data.shape(s) + ": element " + i + " is 0x"
                                + Integer.toHexString(got[i] & 0xFFFF) + ", expected 0x"
                                + Integer.toHexString(Float.floatToRawIntBits(bfExact[i]) >>> 16));
                    }
                }
                dst.assertGuardsIntact("copy BF16");
            }
        }
        try (Tensor a = be.allocate(DType.FLOAT32, 0); Tensor b = be.allocate(DType.FLOAT32, 0)) {
            be.copy(a, b);   // empty copy is fine
        }
    }

    /** Tolerance: one rounded product. Also in place ({@code out == a}), which the Javadoc allows. */
    static void mul(Backend be) {
        Random r = new Random(25);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] a = Data.gaussian(r, n, 2);
            float[] b = Data.gaussian(r, n, 2);
            Tensor rOut = Ref.zeros(s);
            Ref.BE.mul(Ref.floats(a, s), Ref.floats(b, s), rOut);
            double[] ref = Ref.values(rOut);
            try (Guarded ga = Guarded.floats(be, a, s); Guarded gb = Guarded.floats(be, b, s);
                 Guarded out = Guarded.floats(be, new float[n], s)) {
                be.mul(ga.view, gb.view, out.view);
                Approx.assertClose("mul " + Data.shape(s), out.floats(), ref, EPS, 0);
                out.assertGuardsIntact("mul");
                be.mul(ga.view, gb.view, ga.view);
                Approx.assertClose("mul in place (out = a) " + Data.shape(s), ga.floats(), ref, EPS, 0);
                be.mul(ga.view, gb.view, gb.view);
                Ref.BE.mul(Ref.floats(ga.floats(), s), Ref.floats(b, s), rOut);
                double[] ref2 = Ref.values(rOut);
                Approx.assertClose("mul in place (out = b) " + Data.shape(s), gb.floats(), ref2, EPS, 0);
                ga.assertGuardsIntact("mul");
            }
        }
    }
}
