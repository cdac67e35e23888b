package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;

import java.util.Arrays;
import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/** gemm, axpy, scale, fill, copy, mul against {@link ReferenceOps}. */
final class BlasChecks {
    private BlasChecks() {}

    /** (m, n, k): ones, non-multiples of 8, and one large enough for a multi-threaded BLAS path. */
    static final int[][] GEMM_SHAPES = {{1, 1, 1}, {7, 10, 17}, {33, 17, 130}, {7, 130, 1}, {1, 17, 33}, {33, 1, 10},
        {65, 130, 257}};

    static void gemm(Backend be) {
        Random r = new Random(21);
        for (int[] s : GEMM_SHAPES) {
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0;
                boolean tb = (t & 2) != 0;
                gemmCase(be, r, s[0], s[1], s[2], ta, tb, 0.75f, -0.5f, false);
                gemmCase(be, r, s[0], s[1], s[2], ta, tb, 1f, 1f, false);
                gemmCase(be, r, s[0], s[1], s[2], ta, tb, -2f, 0f, true);
            }
        }
    }

    /**
     * Tolerance: the classic bound for a length-k dot product in float32, whatever the summation order or FMA
     * use, {@code |error| <= (k + 2) eps (|alpha| (|A||B|)_ij + |beta| |C_ij|)}, computed by running the reference
     * on absolute values. It rules out reduced-precision modes (TF32, bf16 inputs) that a float32 GEMM must not use.
     * With {@code beta == 0} the old C is filled with NaN: BLAS semantics say it is not read.
     */
    private static void gemmCase(Backend be, Random r, int m, int n, int k, boolean ta, boolean tb, float alpha,
                                 float beta, boolean nanC) {
        int[] aShape = ta ? new int[] {k, m} : new int[] {m, k};
        int[] bShape = tb ? new int[] {n, k} : new int[] {k, n};
        float[] a = Data.uniform(r, m * k, -1, 1);
        float[] b = Data.uniform(r, k * n, -1, 1);
        float[] c = nanC ? nans(m * n) : Data.uniform(r, m * n, -1, 1);
        String what = String.format("gemm(transA=%b, transB=%b, alpha=%s, beta=%s) m=%d n=%d k=%d", ta, tb, alpha,
                beta, m, n, k);
        try (Guarded ga = Guarded.floats(be, a, aShape); Guarded gb = Guarded.floats(be, b, bShape);
             Guarded gc = Guarded.floats(be, c, m, n)) {
            be.gemm(ta, tb, alpha, ga.view, gb.view, beta, gc.view);
            double[] ref = ReferenceOps.gemm(ta, tb, alpha, ReferenceOps.widen(a), aShape[1], ReferenceOps.widen(b),
                    bShape[1], beta, ReferenceOps.widen(c), m, n, k);
            double[] mag = ReferenceOps.gemm(ta, tb, Math.abs(alpha), ReferenceOps.abs(ReferenceOps.widen(a)),
                    aShape[1], ReferenceOps.abs(ReferenceOps.widen(b)), bShape[1], Math.abs(beta),
                    nanC ? new double[m * n] : ReferenceOps.abs(ReferenceOps.widen(c)), m, n, k);
            double[] tol = new double[m * n];
            for (int i = 0; i < tol.length; i++) {
                tol[i] = (k + 2) * EPS * mag[i] + Float.MIN_NORMAL;
            }
            Approx.assertClose(what, gc.floats(), ref, tol);
            gc.assertGuardsIntact(what);
            ga.assertGuardsIntact(what);
            gb.assertGuardsIntact(what);
        }
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
                double[] ref = ReferenceOps.axpy(alpha, ReferenceOps.widen(x), ReferenceOps.widen(y));
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
                Approx.assertClose("scale " + Data.shape(s), gx.floats(), ReferenceOps.scale(ReferenceOps.widen(x),
                        0.3f), EPS, 0);
                gx.assertGuardsIntact("scale");
            }
        }
    }

    /** Exact. */
    static void fill(Backend be) {
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            try (Guarded gx = Guarded.floats(be, new float[n], s)) {
                be.fill(gx.view, -2.25f);
                Approx.assertExact("fill " + Data.shape(s), gx.floats(), ReferenceOps.fill(n, -2.25f));
                be.fill(gx.view, Float.NaN);
                Approx.assertExact("fill NaN " + Data.shape(s), gx.floats(), ReferenceOps.fill(n, Double.NaN));
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
            double[] ref = ReferenceOps.mul(ReferenceOps.widen(a), ReferenceOps.widen(b));
            try (Guarded ga = Guarded.floats(be, a, s); Guarded gb = Guarded.floats(be, b, s);
                 Guarded out = Guarded.floats(be, new float[n], s)) {
                be.mul(ga.view, gb.view, out.view);
                Approx.assertClose("mul " + Data.shape(s), out.floats(), ref, EPS, 0);
                out.assertGuardsIntact("mul");
                be.mul(ga.view, gb.view, ga.view);
                Approx.assertClose("mul in place (out = a) " + Data.shape(s), ga.floats(), ref, EPS, 0);
                be.mul(ga.view, gb.view, gb.view);
                double[] ref2 = ReferenceOps.mul(ReferenceOps.widen(ga.floats()), ReferenceOps.widen(b));
                Approx.assertClose("mul in place (out = b) " + Data.shape(s), gb.floats(), ref2, EPS, 0);
                ga.assertGuardsIntact("mul");
            }
        }
    }
}
