package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;

/** sgdUpdate and adamUpdate against the float64 {@link Ref}: one step from random state, PyTorch semantics. */
final class OptimizerChecks {
    private OptimizerChecks() {}

    /**
     * Cases: plain, weight decay, momentum, Nesterov with weight decay, and momentum 0 with a velocity given (which
     * must then be left alone). Tolerance: 4 eps of the magnitudes of the terms summed in each float expression
     * ({@code |p| + lr |step|} for the parameter, {@code mu |v| + |g|} for the velocity).
     */
    static void sgdUpdate(Backend be) {
        Random r = new Random(61);
        float lr = 0.05f;
        Object[][] cases = {{0f, false, 0f, false}, {0f, false, 0.01f, false}, {0.9f, false, 0f, true},
            {0.9f, true, 0.01f, true}, {0f, false, 0.01f, true}};
        for (Object[] c : cases) {
            float mu = (Float) c[0];
            boolean nesterov = (Boolean) c[1];
            float wd = (Float) c[2];
            boolean withVelocity = (Boolean) c[3];
            for (int[] s : Data.SHAPES) {
                int n = s[0] * s[1];
                float[] p = Data.gaussian(r, n, 1);
                float[] g = Data.gaussian(r, n, 0.1);
                float[] v = Data.gaussian(r, n, 0.1);
                Tensor rp = Ref.floats(p, s);
                Tensor rv = Ref.floats(v, s);
                Ref.BE.sgdUpdate(rp, Ref.floats(g, s), withVelocity ? rv : null, lr, mu, nesterov, wd, null);
                double[][] ref = {Ref.values(rp), Ref.values(rv)};
                double[] pTol = new double[n];
                double[] vTol = new double[n];
                for (int i = 0; i < n; i++) {
                    double gMag = Math.abs(g[i]) + Math.abs(wd * (double) p[i]);
                    double vMag = mu * Math.abs(v[i]) + gMag;
                    double stepMag = mu == 0 ? gMag : nesterov ? gMag + mu * vMag : vMag;
                    pTol[i] = 4 * EPS * (Math.abs(p[i]) + lr * stepMag);
                    vTol[i] = 4 * EPS * vMag;
                }
                String what = "sgdUpdate momentum=" + mu + " nesterov=" + nesterov + " wd=" + wd + " velocity="
                        + withVelocity + " " + Data.shape(s);
                try (Guarded gp = Guarded.floats(be, p, s); Guarded gg = Guarded.floats(be, g, s);
                     Guarded gv = Guarded.floats(be, v, s)) {
                    be.sgdUpdate(gp.view, gg.view, withVelocity ? gv.view : null, lr, mu, nesterov, wd, null);
                    Approx.assertClose(what + " param", gp.floats(), ref[0], pTol);
                    Approx.assertExact(what + " grad unchanged", gg.floats(), g);
                    if (mu != 0) {
                        Approx.assertClose(what + " velocity", gv.floats(), ref[1], vTol);
                    } else {
                        Approx.assertExact(what + " velocity unused", gv.floats(), v);
                    }
                    gp.assertGuardsIntact(what);
                    gv.assertGuardsIntact(what);
                }
            }
        }
    }

    /**
     * Cases: Adam and AdamW, with and without weight decay, at steps 1, 7 and 1000 (bias corrections from large to
     * negligible). Tolerances: m and v 4 eps of their summed terms; the parameter 4 eps of {@code |p|} plus the
     * update's error, {@code lr / bc1 * 8 eps * (b1 |m| + (1 - b1) |g|) / (sqrt(v_hat) + eps)}, i.e. the
     * cancellation error of m carried through the division, plus 8 eps of the update for sqrt and division.
     */
    static void adamUpdate(Backend be) {
        Random r = new Random(62);
        float lr = 1e-3f;
        float b1 = 0.9f;
        float b2 = 0.999f;
        float eps = 1e-8f;
        Object[][] cases = {{false, 0f, 1}, {false, 0.01f, 7}, {true, 0.01f, 1}, {true, 0.1f, 1000}};
        for (Object[] c : cases) {
            boolean decoupled = (Boolean) c[0];
            float wd = (Float) c[1];
            int step = (Integer) c[2];
            for (int[] s : Data.SHAPES) {
                int n = s[0] * s[1];
                float[] p = Data.gaussian(r, n, 1);
                float[] g = Data.gaussian(r, n, 0.1);
                float[] m = Data.gaussian(r, n, 0.1);
                float[] v = Data.gaussian(r, n, 0.1);
                for (int i = 0; i < n; i++) {
                    v[i] = v[i] * v[i];
                }
                Tensor rp = Ref.floats(p, s);
                Tensor rm = Ref.floats(m, s);
                Tensor rv = Ref.floats(v, s);
                Ref.BE.adamUpdate(rp, Ref.floats(g, s), rm, rv, lr, b1, b2, eps, wd, decoupled, step, null);
                double[][] ref = {Ref.values(rp), Ref.values(rm), Ref.values(rv)};
                double bc1 = 1 - Math.pow(b1, step);
                double bc2 = 1 - Math.pow(b2, step);
                double[] pTol = new double[n];
                double[] mTol = new double[n];
                double[] vTol = new double[n];
                for (int i = 0; i < n; i++) {
                    double gMag = Math.abs(g[i]) + (decoupled ? 0 : Math.abs(wd * (double) p[i]));
                    double mMag = b1 * Math.abs(m[i]) + (1 - b1) * gMag;
                    double vMag = b2 * v[i] + (1 - b2) * gMag * gMag;
                    double denom = Math.sqrt(ref[2][i] / bc2) + eps;
                    double update = lr * Math.abs(ref[1][i]) / bc1 / denom;
                    pTol[i] = 4 * EPS * Math.abs(p[i]) + lr / bc1 * 8 * EPS * mMag / denom + 8 * EPS * update;
                    mTol[i] = 4 * EPS * mMag;
                    vTol[i] = 4 * EPS * vMag + Float.MIN_NORMAL;
                }
                String what = "adamUpdate decoupled=" + decoupled + " wd=" + wd + " step=" + step + " " + Data.shape(s);
                try (Guarded gp = Guarded.floats(be, p, s); Guarded gg = Guarded.floats(be, g, s);
                     Guarded gm = Guarded.floats(be, m, s); Guarded gv = Guarded.floats(be, v, s)) {
                    be.adamUpdate(gp.view, gg.view, gm.view, gv.view, lr, b1, b2, eps, wd, decoupled, step, null);
                    Approx.assertClose(what + " param", gp.floats(), ref[0], pTol);
                    Approx.assertClose(what + " m", gm.floats(), ref[1], mTol);
                    Approx.assertClose(what + " v", gv.floats(), ref[2], vTol);
                    Approx.assertExact(what + " grad unchanged", gg.floats(), g);
                    gp.assertGuardsIntact(what);
                    gm.assertGuardsIntact(what);
                    gv.assertGuardsIntact(what);
                }
            }
        }
    }
}
