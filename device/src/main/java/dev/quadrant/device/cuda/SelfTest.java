package dev.quadrant.device.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;

/**
 * {@code quadrant selftest}: every {@link Backend} op on a backend, compared with the float64 {@link Reference} (exact
 * where the contract is exact: dropout masks, casts, arg-max, counts), then a short training run of a small MLP that
 * must learn a separable problem and give the same loss twice. Each check passes or fails on its own; a failure
 * says which element was worst, both values and the tolerance.
 *
 * <p>{@link #run(Backend, Precision)} works on any backend (the unit tests run it on a host backend);
 * {@link #runAllGpus(Precision)} runs it on every GPU. Not thread-safe per backend, like the backend.
 *
 * <pre>{@code
 * for (SelfTest.Report r : SelfTest.runAllGpus(Precision.FP32)) r.lines().forEach(System.out::println);
 * }</pre>
 */
public final class SelfTest {
    private SelfTest() {}

    /** One check's outcome. */
    public record Check(String name, boolean passed, String detail) {}

    /** The checks of one device. */
    public record Report(String backend, List<Check> checks) {
        /** True if every check passed. */
        public boolean passed() { return checks.stream().allMatch(Check::passed); }

        /** A header line, then one {@code PASS}/{@code FAIL} line per check. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            long failed = checks.stream().filter(c -> !c.passed()).count();
            out.add(backend + ": " + (checks.size() - failed) + " passed, " + failed + " failed");
            for (Check c : checks) {
                out.add(String.format("  %s %-34s %s", c.passed() ? "PASS" : "FAIL", c.name(), c.detail()));
            }
            return out;
        }
    }

    /** Runs the self-test on every GPU; an empty list when CUDA is not usable (see {@link CudaInfo}). */
    public static List<Report> runAllGpus(Precision precision) {
        List<Report> out = new ArrayList<>();
        CudaBackendProvider p = new CudaBackendProvider();
        for (Device d : p.devices()) {
            try (CudaBackend be = p.create(d, precision)) {
                out.add(run(be, precision));
            } catch (RuntimeException e) {
                out.add(new Report(d.toString(), List.of(new Check("open backend", false, e.toString()))));
            }
        }
        return out;
    }

    /** Every op and a short training run on {@code be}; {@code precision} sets the GEMM tolerance. */
    public static Report run(Backend be, Precision precision) {
        Checker c = new Checker(be);
        double gemmTol = precision == Precision.FP32 ? 1e-5 : precision == Precision.TF32 ? 4e-3 : 2e-2;
        c.check("upload/download float and int", () -> c.roundTrip());
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                c.check("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " 37x29x43", () -> c.gemm(ta, tb, 37, 29, 43, gemmTol));
            }
        }
        c.check("gemm alpha/beta", () -> c.gemmAlphaBeta(gemmTol));
        c.check("axpy, scale, fill, copy, mul", () -> c.blasLike());
        c.check("addBias", () -> c.addBias());
        c.check("columnSums (beta 0 and 0.5)", () -> c.columnSums());
        for (Activation f : Activation.values()) {
            c.check("activation " + f + " forward/backward", () -> c.activation(f));
        }
        c.check("dropoutMask == DropoutHash", () -> c.dropout());
        c.check("softmax cross-entropy fwd/bwd", () -> c.softmaxXent());
        c.check("mse fwd/bwd", () -> c.mse());
        c.check("argmax, countCorrect", () -> c.argmax());
        c.check("sumInto, l2Norm, allFinite", () -> c.reductions());
        c.check("sgdUpdate (momentum, nesterov, wd)", () -> c.sgd());
        c.check("adamUpdate (adam, adamw)", () -> c.adam());
        c.check("castToBf16/castFromBf16", () -> c.casts());
        c.check("training run (MLP, 2x same loss)", () -> SelfTestTraining.run(be));
        return new Report(be.describe(), c.checks);
    }

    /** Runs checks against references; a check's body returns its detail line or throws {@link Mismatch}. */
    static final class Checker {
        interface Body {
            String run();
        }

        /** A comparison failed. */
        static final class Mismatch extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Mismatch(String message) {
                super(message);
            }
        }

        final Backend be;
        final List<Check> checks = new ArrayList<>();
        final Random rnd = new Random(20240601L);

        Checker(Backend be) {
            this.be = be;
        }

        void check(String name, Body body) {
            try {
                checks.add(new Check(name, true, body.run()));
            } catch (Mismatch m) {
                checks.add(new Check(name, false, m.getMessage()));
            } catch (RuntimeException | AssertionError e) {
                checks.add(new Check(name, false, e.toString()));
            }
        }

        float[] randn(int n, double scale) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rnd.nextGaussian() * scale);
            }
            return x;
        }

        Tensor put(float[] v, int... shape) {
            Tensor t = be.allocate(DType.FLOAT32, shape);
            be.upload(v, 0, t);
            return t;
        }

        Tensor puti(int[] v, int... shape) {
            Tensor t = be.allocate(DType.INT32, shape);
            be.upload(v, 0, t);
            return t;
        }

        float[] get(Tensor t) {
            float[] out = new float[t.intSize()];
            be.download(t, out, 0);
            return out;
        }

        int[] geti(Tensor t) {
            int[] out = new int[t.intSize()];
            be.download(t, out, 0);
            return out;
        }

        /** |got - want| <= tol * (|want| + 1) everywhere (or tol * scale[i] when a scale is given). */
        static String compare(String what, float[] got, double[] want, double tol, double[] scale) {
            int worst = -1;
            double worstRatio = 0;
            for (int i = 0; i < got.length; i++) {
                double allowed = tol * (scale != null ? scale[i] + 1e-30 : Math.abs(want[i]) + 1);
                double err = Math.abs(got[i] - want[i]);
                double ratio = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err / allowed;
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worst = i;
                }
            }
            if (worstRatio > 1) {
                double allowed = tol * (scale != null ? scale[worst] : Math.abs(want[worst]) + 1);
                throw new Mismatch(what + ": worst element " + worst + " got " + got[worst] + " expected " + want[worst]
                        + " (tolerance " + String.format("%.3g", allowed) + ")");
            }
            return String.format("%s max err %.2f of tolerance", what, worstRatio);
        }

        static double[] toDouble(float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            return d;
        }

        static void exact(String what, int[] got, int[] want) {
            for (int i = 0; i < want.length; i++) {
                if (got[i] != want[i]) {
                    throw new Mismatch(what + ": element " + i + " got " + got[i] + " expected " + want[i] + " (exact)");
                }
            }
        }

        static void exactBits(String what, float[] got, float[] want) {
            for (int i = 0; i < want.length; i++) {
                if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])
                        && !(Float.isNaN(got[i]) && Float.isNaN(want[i]))) {
                    throw new Mismatch(what + ": element " + i + " got " + got[i] + " expected " + want[i] + " (exact)");
                }
            }
        }

        String roundTrip() {
            float[] v = randn(1000, 1);
            int[] w = new int[333];
            for (int i = 0; i < w.length; i++) {
                w[i] = rnd.nextInt();
            }
            try (Tensor a = be.allocate(DType.FLOAT32, 1000); Tensor b = puti(w, 333)) {
                be.upload(v, 0, a);
                be.synchronize();
                exactBits("float", get(a), v);
                exact("int", geti(b), w);
                float[] part = new float[10];
                be.download(a.slice(990, 10), part, 0);
                exactBits("view at offset 990", part, java.util.Arrays.copyOfRange(v, 990, 1000));
            }
            return "exact";
        }

        String gemm(boolean ta, boolean tb, int m, int n, int k, double tol) {
            float[] a = randn(m * k, 1);
            float[] b = randn(k * n, 1);
            double[] mag = new double[m * n];
            double[] want = Reference.gemm(ta, tb, m, n, k, 1f, a, b, 0f, new float[m * n], mag);
            try (Tensor ta_ = put(a, ta ? k : m, ta ? m : k); Tensor tb_ = put(b, tb ? n : k, tb ? k : n);
                 Tensor c = put(randn(m * n, 1), m, n)) {
                be.gemm(ta, tb, 1f, ta_, tb_, 0f, c);
                return compare("C", get(c), want, tol, mag);
            }
        }

        String gemmAlphaBeta(double tol) {
            int m = 16;
            int n = 24;
            int k = 8;
            float[] a = randn(m * k, 1);
            float[] b = randn(n * k, 1);
            float[] c0 = randn(m * n, 1);
            double[] mag = new double[m * n];
            double[] want = Reference.gemm(false, true, m, n, k, 0.5f, a, b, -2f, c0, mag);
            // a view into a larger buffer, at an offset, exercises the address arithmetic
            try (Tensor flat = be.allocate(DType.FLOAT32, 7 + m * k); Tensor tb_ = put(b, n, k); Tensor c = put(c0, m, n)) {
                Tensor av = flat.view(7, m, k);
                be.upload(a, 0, av);
                be.gemm(false, true, 0.5f, av, tb_, -2f, c);
                return compare("C", get(c), want, tol, mag);
            }
        }

        String blasLike() {
            float[] x = randn(777, 1);
            float[] y = randn(777, 1);
            double[] want = new double[777];
            for (int i = 0; i < 777; i++) {
                want[i] = ((double) y[i] + 0.25 * x[i]) * -3.0 * x[i];
            }
            try (Tensor tx = put(x, 777); Tensor ty = put(y, 777); Tensor tz = be.allocate(DType.FLOAT32, 777)) {
                be.axpy(0.25f, tx, ty);
                be.scale(ty, -3f);
                be.copy(ty, tz);
                be.mul(tz, tx, tz);
                String r = compare("axpy-scale-copy-mul", get(tz), want, 1e-5, null);
                be.fill(tz, 1.5f);
                double[] ones = new double[777];
                java.util.Arrays.fill(ones, 1.5);
                compare("fill", get(tz), ones, 0, null);
                return r;
            }
        }

        String addBias() {
            int rows = 19;
            int cols = 45;
            float[] x = randn(rows * cols, 1);
            float[] b = randn(cols, 1);
            double[] want = new double[rows * cols];
            for (int i = 0; i < want.length; i++) {
                want[i] = (double) x[i] + b[i % cols];
            }
            try (Tensor tx = put(x, rows, cols); Tensor tb = put(b, cols)) {
                be.addBias(tx, tb);
                return compare("x + bias", get(tx), want, 1e-6, null);
            }
        }

        String columnSums() {
            int rows = 300;
            int cols = 70;
            float[] x = randn(rows * cols, 1);
            float[] o = randn(cols, 1);
            double[] want0 = new double[cols];
            double[] want5 = new double[cols];
            for (int j = 0; j < cols; j++) {
                double s = 0;
                for (int r = 0; r < rows; r++) {
                    s += x[r * cols + j];
                }
                want0[j] = s;
                want5[j] = 0.5 * o[j] + s;
            }
            try (Tensor tx = put(x, rows, cols); Tensor t0 = put(o, cols); Tensor t5 = put(o, cols)) {
                be.columnSums(tx, 0f, t0);
                be.columnSums(tx, 0.5f, t5);
                compare("beta 0", get(t0), want0, 1e-5, null);
                return compare("beta 0.5", get(t5), want5, 1e-5, null);
            }
        }

        String activation(Activation f) {
            float[] x = randn(1001, 2);
            x[0] = 0f;
            float[] dy = randn(1001, 1);
            try (Tensor tx = put(x, 1001); Tensor ty = be.allocate(DType.FLOAT32, 1001); Tensor tdy = put(dy, 1001)) {
                be.activationForward(f, tx, ty);
                String r = compare("forward", get(ty), Reference.activation(f, x), 1e-5, null);
                be.activationBackward(f, tx, tdy, tdy);   // dx may be dy
                compare("backward", get(tdy), Reference.activationBackward(f, x, dy), 1e-5, null);
                return r;
            }
        }

        String dropout() {
            try (Tensor m = be.allocate(DType.FLOAT32, 5000)) {
                for (float p : new float[] {0f, 0.1f, 0.5f}) {
                    long seed = 0x5EEDL * (long) (p * 10 + 1) - 7;
                    be.dropoutMask(m, p, seed, 0L);
                    exactBits("p=" + p, get(m), Reference.dropout(5000, p, seed));
                }
                return "exact for p = 0, 0.1, 0.5";
            }
        }

        String softmaxXent() {
            int rows = 37;
            int cols = 70;   // more classes than a warp has lanes
            float[] x = randn(rows * cols, 3);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = rnd.nextInt(cols);
            }
            try (Tensor tx = put(x, rows, cols); Tensor ty = puti(y, rows); Tensor loss = be.allocate(DType.FLOAT32, rows);
                 Tensor d = be.allocate(DType.FLOAT32, rows, cols)) {
                be.softmaxCrossEntropyForward(tx, ty, loss);
                String r = compare("loss", get(loss), Reference.softmaxXent(x, y, rows, cols), 1e-5, null);
                be.softmaxCrossEntropyBackward(tx, ty, 1f / rows, d);
                compare("dLogits", get(d), Reference.softmaxXentBackward(x, y, 1f / rows, rows, cols), 1e-5, null);
                return r;
            }
        }

        String mse() {
            int rows = 21;
            int cols = 40;
            float[] p = randn(rows * cols, 1);
            float[] t = randn(rows * cols, 1);
            double[] loss = new double[rows];
            double[] d = new double[rows * cols];
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int j = 0; j < cols; j++) {
                    double e = (double) p[r * cols + j] - t[r * cols + j];
                    s += e * e;
                    d[r * cols + j] = 0.5 * 2 * e / cols;
                }
                loss[r] = s / cols;
            }
            try (Tensor tp = put(p, rows, cols); Tensor tt = put(t, rows, cols); Tensor tl = be.allocate(DType.FLOAT32, rows);
                 Tensor td = be.allocate(DType.FLOAT32, rows, cols)) {
                be.mseForward(tp, tt, tl);
                String r = compare("loss", get(tl), loss, 1e-5, null);
                be.mseBackward(tp, tt, 0.5f, td);
                compare("dPred", get(td), d, 1e-5, null);
                return r;
            }
        }

        String argmax() {
            int rows = 50;
            int cols = 45;
            float[] x = randn(rows * cols, 1);
            for (int j = 0; j < cols; j++) {   // row 0: all equal -> index 0; row 1: tie between 40 and 7 -> 7
                x[j] = 1f;
            }
            x[cols + 7] = 9f;
            x[cols + 40] = 9f;
            int[] want = Reference.argmax(x, rows, cols);
            int[] labels = new int[rows];
            int correct = 0;
            for (int r = 0; r < rows; r++) {
                labels[r] = r % 3 == 0 ? want[r] : (want[r] + 1) % cols;
                correct += labels[r] == want[r] ? 1 : 0;
            }
            try (Tensor tx = put(x, rows, cols); Tensor out = be.allocate(DType.INT32, rows); Tensor tl = puti(labels, rows);
                 Tensor acc = put(new float[] {2f}, 1)) {
                be.argmax(tx, out);
                exact("argmax", geti(out), want);
                be.countCorrect(tx, tl, acc);
                exactBits("countCorrect", get(acc), new float[] {2f + correct});
                return "exact (" + correct + " correct of " + rows + ")";
            }
        }

        String reductions() {
            float[] x = randn(100_003, 1);
            double sum = 0;
            double sq = 0;
            for (float v : x) {
                sum += v;
                sq += (double) v * v;
            }
            try (Tensor tx = put(x, 100_003); Tensor acc = put(new float[] {1f}, 1)) {
                be.sumInto(tx, acc);
                String r = compare("sumInto", get(acc), new double[] {1 + sum}, 1e-6, new double[] {Math.sqrt(sq) + 1});
                double norm = be.l2Norm(tx);
                if (Math.abs(norm - Math.sqrt(sq)) > 1e-9 * Math.sqrt(sq)) {
                    throw new Mismatch("l2Norm got " + norm + " expected " + Math.sqrt(sq) + " (relative tolerance 1e-9)");
                }
                if (!be.allFinite(tx)) {
                    throw new Mismatch("allFinite false on finite data");
                }
                for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
                    try (Tensor one = put(new float[] {bad}, 1)) {
                        be.copy(one, tx.slice(77_777, 1));
                    }
                    if (be.allFinite(tx)) {
                        throw new Mismatch("allFinite true with " + bad + " at 77777");
                    }
                }
                return r;
            }
        }

        String sgd() {
            int n = 5000;
            StringBuilder sb = new StringBuilder();
            for (boolean nesterov : new boolean[] {false, true}) {
                float[] p = randn(n, 1);
                float[] g = randn(n, 1);
                float[] v = randn(n, 1);
                double[][] want = Reference.sgd(p, g, v, 0.1f, 0.9f, nesterov, 0.01f);
                try (Tensor tp = put(p, n); Tensor tg = put(g, n); Tensor tv = put(v, n)) {
                    be.sgdUpdate(tp, tg, tv, 0.1f, 0.9f, nesterov, 0.01f);
                    sb.append(sb.length() == 0 ? "" : "; ").append(compare("param", get(tp), want[0], 1e-5, null));
                    compare("velocity", get(tv), want[1], 1e-5, null);
                }
            }
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            double[][] want = Reference.sgd(p, g, new float[n], 0.05f, 0f, false, 0f);
            try (Tensor tp = put(p, n); Tensor tg = put(g, n)) {
                be.sgdUpdate(tp, tg, null, 0.05f, 0f, false, 0f);
                compare("plain sgd", get(tp), want[0], 1e-5, null);
            }
            return sb.toString();
        }

        String adam() {
            int n = 5000;
            String r = "";
            for (boolean decoupled : new boolean[] {false, true}) {
                float[] p = randn(n, 1);
                float[] g = randn(n, 1);
                float[] m = randn(n, 0.1);
                float[] v = new float[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (float) Math.abs(rnd.nextGaussian() * 0.01);
                }
                double[][] want = Reference.adam(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
                try (Tensor tp = put(p, n); Tensor tg = put(g, n); Tensor tm = put(m, n); Tensor tv = put(v, n)) {
                    be.adamUpdate(tp, tg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
                    r = compare("param", get(tp), want[0], 1e-5, null);
                    compare("m", get(tm), want[1], 1e-5, null);
                    compare("v", get(tv), want[2], 1e-5, null);
                }
            }
            return r;
        }

        String casts() {
            float[] x = randn(1000, 100);
            x[0] = Float.NaN;
            x[1] = Float.POSITIVE_INFINITY;
            x[2] = -0f;
            x[3] = Float.MAX_VALUE;   // rounds up to infinity
            x[4] = Float.intBitsToFloat(0x3f808000);   // exactly halfway: ties to even
            float[] want = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                want[i] = Float.intBitsToFloat((Reference.toBf16(x[i]) & 0xffff) << 16);
            }
            try (Tensor tx = put(x, 1000); Tensor h = be.allocate(DType.BF16, 1000); Tensor back = be.allocate(DType.FLOAT32, 1000)) {
                be.castToBf16(tx, h);
                be.castFromBf16(h, back);
                exactBits("round trip", get(back), want);
                return "exact, round to nearest even";
            }
        }
    }
}
