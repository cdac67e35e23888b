package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.GradientStats;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * gradientStats, sumFiniteInto and the guarded optimizer updates against the float64 {@link Ref} and against the
 * backend's own unguarded updates: the statistics a step keeps on the device, and the clipping and skipping the update
 * kernels do from them without a host read.
 */
final class GradientStatsChecks {
    private GradientStatsChecks() {}

    private static float[] stats(Guarded g) {
        return g.floats();
    }

    /**
     * Norm within 4 eps (relative) of the float64 one (NaN without clipping), flag and skipped count exact, factor
     * within 4 eps (exactly 1 when not clipped), and the first non-finite record (step and index, past 2^24 so both halves count) exact and
     * kept across later non-finite calls.
     */
    static void gradientStats(Backend be) {
        Random r = new Random(71);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] g = Data.gaussian(r, n, 0.5);
            for (float maxNorm : new float[] {0f, 0.01f, 1e9f}) {
                String what = "gradientStats maxNorm=" + maxNorm + " " + Data.shape(s);
                Tensor rs = Ref.zeros(GradientStats.SIZE);
                Ref.BE.gradientStats(Ref.floats(g, s), maxNorm, 5, rs);
                double[] ref = Ref.values(rs);
                try (Guarded gg = Guarded.floats(be, g, s); Guarded st = Guarded.floats(be, new float[GradientStats.SIZE],
                        GradientStats.SIZE)) {
                    be.gradientStats(gg.view, maxNorm, 5, st.view);
                    float[] got = stats(st);
                    if (maxNorm > 0) {
                        Approx.assertClose(what + " norm", new float[] {got[0]}, new double[] {ref[0]},
                                new double[] {4 * EPS * ref[0] + Float.MIN_NORMAL});
                    } else {   // no clipping needs no norm: NaN on every backend (Backend#gradientStats)
                        assertTrue(Float.isNaN(got[0]) && Double.isNaN(ref[0]), what + " norm is NaN, got " + got[0]);
                    }
                    assertEquals(0f, got[GradientStats.NON_FINITE], what + " flag");
                    assertEquals(0f, got[GradientStats.SKIPPED], what + " skipped");
                    if (ref[GradientStats.FACTOR] == 1) {
                        assertEquals(1f, got[GradientStats.FACTOR], what + " factor of an unclipped step is exactly 1");
                    } else {
                        Approx.assertClose(what + " factor", new float[] {got[2]}, new double[] {ref[2]},
                                new double[] {4 * EPS * ref[2]});
                    }
                    Approx.assertExact(what + " grad unchanged", gg.floats(), g);
                    Guarded.assertAllGuardsIntact(what, gg, st);
                }
            }
        }
        int n = 300;
        float[] g = Data.gaussian(r, n, 1);
        g[217] = Float.NaN;
        g[250] = Float.POSITIVE_INFINITY;
        float[] h = g.clone();
        h[217] = 1f;
        h[3] = Float.NEGATIVE_INFINITY;
        long step = (1L << 30) + 12345;
        try (Guarded gg = Guarded.floats(be, g, n); Guarded hh = Guarded.floats(be, h, n);
             Guarded ok = Guarded.floats(be, Data.gaussian(r, n, 1), n);
             Guarded st = Guarded.floats(be, new float[GradientStats.SIZE], GradientStats.SIZE)) {
            be.gradientStats(gg.view, 1f, step, st.view);
            GradientStats.Read first = GradientStats.decode(stats(st));
            assertEquals(1f, stats(st)[GradientStats.NON_FINITE], "flag of a NaN gradient");
            assertEquals(new GradientStats.Read(first.norm(), 1, step, 217), first, "first record");
            be.gradientStats(hh.view, 1f, step + 1, st.view);
            GradientStats.Read second = GradientStats.decode(stats(st));
            assertEquals(2, second.skipped(), "skipped accumulates");
            assertEquals(step, second.firstStep(), "the first record is kept");
            assertEquals(217, second.firstIndex(), "the first record is kept");
            be.gradientStats(ok.view, 1f, step + 2, st.view);
            float[] after = stats(st);
            assertEquals(0f, after[GradientStats.NON_FINITE], "a finite step clears the flag");
            assertEquals(2f, after[GradientStats.SKIPPED], "and keeps the count");
            Tensor rs = Ref.zeros(GradientStats.SIZE);
            Ref.BE.gradientStats(Ref.floats(g, n), 1f, step, rs);
            Ref.BE.gradientStats(Ref.floats(h, n), 1f, step + 1, rs);
            double[] ref = Ref.values(rs);
            for (int i = GradientStats.SKIPPED; i < GradientStats.SIZE; i++) {
                assertEquals(ref[i], stats2(second, i), "reference stats[" + i + "]");
            }
            Guarded.assertAllGuardsIntact("gradientStats non-finite", gg, hh, ok, st);
        }
    }

    private static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static double stats2(GradientStats.Read r, int i) {
        return switch (i) {
            case GradientStats.SKIPPED -> r.skipped();
            case GradientStats.FIRST_STEP -> GradientStats.high(r.firstStep());
            case GradientStats.FIRST_STEP + 1 -> GradientStats.low(r.firstStep());
            case GradientStats.FIRST_INDEX -> GradientStats.high(r.firstIndex());
            default -> GradientStats.low(r.firstIndex());
        };
    }

    /** Finite losses add their sum (4 eps of the sum of magnitudes) and terms; a NaN among them adds nothing. */
    static void sumFiniteInto(Backend be) {
        Random r = new Random(72);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = Data.gaussian(r, n, 1);
            double want = 0.25;
            double mag = 0.25;
            for (float v : x) {
                want += v;
                mag += Math.abs(v);
            }
            String what = "sumFiniteInto " + Data.shape(s);
            float[] bad = x.clone();
            bad[n / 2] = Float.NaN;
            try (Guarded gx = Guarded.floats(be, x, s); Guarded gb = Guarded.floats(be, bad, s);
                 Guarded acc = Guarded.floats(be, new float[] {0.25f, 3f}, 2)) {
                be.sumFiniteInto(gx.view, n, acc.view);
                float[] got = acc.floats();
                Approx.assertClose(what + " sum", new float[] {got[0]}, new double[] {want},
                        new double[] {4 * EPS * mag * Math.max(1, Math.log(n))});
                assertEquals(3f + n, got[1], what + " terms");
                be.sumFiniteInto(gb.view, n, acc.view);
                Approx.assertExact(what + " a NaN adds nothing", acc.floats(), got);
                Guarded.assertAllGuardsIntact(what, gx, gb, acc);
            }
        }
    }

    /**
     * A guarded update equals, bit for bit on the same backend, the unguarded update of the gradients scaled on the
     * host by the guard's factor (float multiply), and changes nothing at all when the guard flags a non-finite
     * gradient; Adam under a guard with k skipped calls equals the unguarded Adam of step - k (bit for bit on
     * backends that form the bias corrections on the host; 8 eps on a GPU, which forms them on the device).
     */
    static void guardedUpdates(Backend be) {
        Random r = new Random(73);
        int[] s = {33, 17};
        int n = s[0] * s[1];
        float[] p = Data.gaussian(r, n, 1);
        float[] g = Data.gaussian(r, n, 1);
        float[] m = Data.gaussian(r, n, 0.1);
        float[] v = Data.gaussian(r, n, 0.1);
        for (int i = 0; i < n; i++) {
            v[i] *= v[i];
        }
        float[] bad = g.clone();
        bad[100] = Float.NaN;
        try (Guarded st = Guarded.floats(be, new float[GradientStats.SIZE], GradientStats.SIZE);
             Guarded gg = Guarded.floats(be, g, s); Guarded gbad = Guarded.floats(be, bad, s)) {
            be.gradientStats(gg.view, 0.5f, 1, st.view);   // clips: the norm is about sqrt(n)
            float factor = stats(st)[GradientStats.FACTOR];
            float[] scaled = g.clone();
            for (int i = 0; i < n; i++) {
                scaled[i] *= factor;
            }
            for (int k = 0; k < 4; k++) {
                boolean adam = k >= 2;
                float mu = k == 1 ? 0.9f : 0f;
                String what = (adam ? "adamUpdate" : "sgdUpdate momentum=" + mu) + " guarded";
                try (Guarded a = Guarded.floats(be, p, s); Guarded am = Guarded.floats(be, m, s);
                     Guarded av = Guarded.floats(be, v, s); Guarded b = Guarded.floats(be, p, s);
                     Guarded bm = Guarded.floats(be, m, s); Guarded bv = Guarded.floats(be, v, s);
                     Guarded gs = Guarded.floats(be, scaled, s)) {
                    if (adam) {
                        be.adamUpdate(a.view, gg.view, am.view, av.view, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, k == 3, 7,
                                st.view);
                        be.adamUpdate(b.view, gs.view, bm.view, bv.view, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, k == 3, 7,
                                null);
                    } else {
                        be.sgdUpdate(a.view, gg.view, mu != 0 ? am.view : null, 0.05f, mu, false, 0.01f, st.view);
                        be.sgdUpdate(b.view, gs.view, mu != 0 ? bm.view : null, 0.05f, mu, false, 0.01f, null);
                    }
                    // the float64 reference applies its float64 factor: equal to rounding there, bit for bit elsewhere
                    double tol = be instanceof ReferenceBackend ? 1e-6 : 0;
                    Approx.assertClose(what + " param = unguarded on pre-clipped gradients", a.floats(),
                            doubles(b.floats()), tol, tol);
                    Approx.assertClose(what + " state", am.floats(), doubles(bm.floats()), tol, tol);
                    Approx.assertExact(what + " gradients unchanged", gg.floats(), g);
                    Guarded.assertAllGuardsIntact(what, a, am, av, gg, st);
                }
            }
            be.gradientStats(gbad.view, 0.5f, 2, st.view);   // flags: skipped = 1 from now on
            try (Guarded a = Guarded.floats(be, p, s); Guarded am = Guarded.floats(be, m, s);
                 Guarded av = Guarded.floats(be, v, s)) {
                be.sgdUpdate(a.view, gbad.view, am.view, 0.05f, 0.9f, true, 0.01f, st.view);
                be.adamUpdate(a.view, gbad.view, am.view, av.view, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, true, 2, st.view);
                Approx.assertExact("guarded updates of a non-finite step: param unchanged", a.floats(), p);
                Approx.assertExact("guarded updates of a non-finite step: state unchanged", am.floats(), m);
                Approx.assertExact("guarded updates of a non-finite step: v unchanged", av.floats(), v);
            }
            be.gradientStats(gg.view, 1e9f, 3, st.view);   // finite again, not clipped; one call skipped so far
            assertEquals(1f, stats(st)[GradientStats.FACTOR], "unclipped factor");
            try (Guarded a = Guarded.floats(be, p, s); Guarded am = Guarded.floats(be, m, s);
                 Guarded av = Guarded.floats(be, v, s); Guarded b = Guarded.floats(be, p, s);
                 Guarded bm = Guarded.floats(be, m, s); Guarded bv = Guarded.floats(be, v, s)) {
                be.adamUpdate(a.view, gg.view, am.view, av.view, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 3, st.view);
                be.adamUpdate(b.view, gg.view, bm.view, bv.view, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, false, 2, null);
                float[] want = b.floats();
                double[] ref = new double[n];
                double[] tol = new double[n];
                for (int i = 0; i < n; i++) {
                    ref[i] = want[i];
                    tol[i] = 8 * EPS * Math.abs(p[i] - want[i]) + 4 * EPS * Math.abs(want[i]);
                }
                Approx.assertClose("guarded adam after a skipped call uses step - skipped", a.floats(), ref, tol);
                Approx.assertExact("guarded adam after a skipped call: m", am.floats(), bm.floats());
                Approx.assertExact("guarded adam after a skipped call: v", av.floats(), bv.floats());
            }
        }
    }
}
