package dev.quadrant.device.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * {@code quadrant selftest}: every {@link Backend} op on a backend, compared with the same op on the float64
 * {@link ReferenceBackend} (exact where the contract is exact: dropout masks, casts, arg-max, counts, gathers and
 * permutes), then a short training run of a small MLP that must learn a separable problem and give the same loss
 * twice. The sequence-model ops (batched GEMM, embedding, LayerNorm, causal softmax, permute) are in
 * {@link SelfTestSequence}. Each check passes or fails on its own; a failure says which element was worst, both
 * values and the tolerance.
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
        SelfTestSequence.addChecks(c, gemmTol);
        c.check("axpy, scale, fill, copy, mul", () -> c.blasLike());
        c.check("addBias", () -> c.addBias());
        c.check("columnSums (beta 0 and 0.5)", () -> c.columnSums());
        for (Activation f : Activation.values()) {
            c.check("activation " + f + " forward/backward", () -> c.activation(f));
        }
        c.check("dropoutMask == DropoutHash", () -> c.dropout());
        c.check("softmax xent fwd/bwd (ignore idx)", () -> c.softmaxXent());
        c.check("mse fwd/bwd", () -> c.mse());
        c.check("argmax, countCorrect (ignore idx)", () -> c.argmax());
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
        /** The same data as reference tensors: each check runs its op on {@code ref.be()} too. */
        final RefTensors ref = new RefTensors();
        final ReferenceBackend rb = ref.be();

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
            return RefTensors.upload(be, v, shape);
        }

        Tensor puti(int[] v, int... shape) {
            return RefTensors.upload(be, v, shape);
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

        /** The reference values of a FLOAT32 reference tensor, rounded to float (what a backend can return). */
        static float[] floatsOf(Tensor refTensor) {
            double[] d = RefTensors.values(refTensor);
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }

        /**
         * {@code c = alpha op(a) op(b) + beta c} on the reference, 2-D or batched by the rank of the shapes; returns
         * the result and the error scale {@code |alpha| |op(a)| |op(b)| + |beta| |c|}.
         */
        double[][] referenceGemm(boolean ta, boolean tb, float alpha, float[] a, int[] as, float[] b, int[] bs, float beta,
                                 float[] c, int[] cs) {
            Tensor ra = ref.floats(a, as);
            Tensor rbt = ref.floats(b, bs);
            Tensor rc = ref.floats(c, cs);
            Tensor mag = ref.floats(c, cs);
            boolean batched = cs.length == 3;
            if (batched) {
                rb.gemmBatched(ta, tb, alpha, ra, rbt, beta, rc);
            } else {
                rb.gemm(ta, tb, alpha, ra, rbt, beta, rc);
            }
            rb.abs(ra, ra);
            rb.abs(rbt, rbt);
            rb.abs(mag, mag);
            if (batched) {
                rb.gemmBatched(ta, tb, Math.abs(alpha), ra, rbt, Math.abs(beta), mag);
            } else {
                rb.gemm(ta, tb, Math.abs(alpha), ra, rbt, Math.abs(beta), mag);
            }
            return new double[][] {RefTensors.values(rc), RefTensors.values(mag)};
        }

        String gemm(boolean ta, boolean tb, int m, int n, int k, double tol) {
            float[] a = randn(m * k, 1);
            float[] b = randn(k * n, 1);
            float[] c0 = randn(m * n, 1);
            int[] as = {ta ? k : m, ta ? m : k};
            int[] bs = {tb ? n : k, tb ? k : n};
            double[][] want = referenceGemm(ta, tb, 1f, a, as, b, bs, 0f, c0, new int[] {m, n});
            try (Tensor ta_ = put(a, as); Tensor tb_ = put(b, bs); Tensor c = put(c0, m, n)) {
                be.gemm(ta, tb, 1f, ta_, tb_, 0f, c);
                return compare("C", get(c), want[0], tol, want[1]);
            }
        }

        String gemmAlphaBeta(double tol) {
            int m = 16;
            int n = 24;
            int k = 8;
            float[] a = randn(m * k, 1);
            float[] b = randn(n * k, 1);
            float[] c0 = randn(m * n, 1);
            double[][] want = referenceGemm(false, true, 0.5f, a, new int[] {m, k}, b, new int[] {n, k}, -2f, c0,
                    new int[] {m, n});
            // a view into a larger buffer, at an offset, exercises the address arithmetic
            try (Tensor flat = be.allocate(DType.FLOAT32, 7 + m * k); Tensor tb_ = put(b, n, k); Tensor c = put(c0, m, n)) {
                Tensor av = flat.view(7, m, k);
                be.upload(a, 0, av);
                be.gemm(false, true, 0.5f, av, tb_, -2f, c);
                return compare("C", get(c), want[0], tol, want[1]);
            }
        }

        String blasLike() {
            float[] x = randn(777, 1);
            float[] y = randn(777, 1);
            Tensor rx = ref.floats(x, 777);
            Tensor ry = ref.floats(y, 777);
            Tensor rz = ref.zeros(777);
            rb.axpy(0.25f, rx, ry);
            rb.scale(ry, -3f);
            rb.copy(ry, rz);
            rb.mul(rz, rx, rz);
            double[] want = RefTensors.values(rz);
            rb.fill(rz, 1.5f);
            try (Tensor tx = put(x, 777); Tensor ty = put(y, 777); Tensor tz = be.allocate(DType.FLOAT32, 777)) {
                be.axpy(0.25f, tx, ty);
                be.scale(ty, -3f);
                be.copy(ty, tz);
                be.mul(tz, tx, tz);
                String r = compare("axpy-scale-copy-mul", get(tz), want, 1e-5, null);
                be.fill(tz, 1.5f);
                compare("fill", get(tz), RefTensors.values(rz), 0, null);
                return r;
            }
        }

        String addBias() {
            int rows = 19;
            int cols = 45;
            float[] x = randn(rows * cols, 1);
            float[] b = randn(cols, 1);
            Tensor rx = ref.floats(x, rows, cols);
            rb.addBias(rx, ref.floats(b, cols));
            try (Tensor tx = put(x, rows, cols); Tensor tb = put(b, cols)) {
                be.addBias(tx, tb);
                return compare("x + bias", get(tx), RefTensors.values(rx), 1e-6, null);
            }
        }

        String columnSums() {
            int rows = 300;
            int cols = 70;
            float[] x = randn(rows * cols, 1);
            float[] o = randn(cols, 1);
            Tensor rx = ref.floats(x, rows, cols);
            Tensor r0 = ref.floats(o, cols);
            Tensor r5 = ref.floats(o, cols);
            rb.columnSums(rx, 0f, r0);
            rb.columnSums(rx, 0.5f, r5);
            double[] want0 = RefTensors.values(r0);
            double[] want5 = RefTensors.values(r5);
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
            Tensor rx = ref.floats(x, 1001);
            Tensor ry = ref.zeros(1001);
            Tensor rdx = ref.floats(dy, 1001);
            rb.activationForward(f, rx, ry);
            rb.activationBackward(f, rx, rdx, rdx);
            try (Tensor tx = put(x, 1001); Tensor ty = be.allocate(DType.FLOAT32, 1001); Tensor tdy = put(dy, 1001)) {
                be.activationForward(f, tx, ty);
                String r = compare("forward", get(ty), RefTensors.values(ry), 1e-5, null);
                be.activationBackward(f, tx, tdy, tdy);   // dx may be dy
                compare("backward", get(tdy), RefTensors.values(rdx), 1e-5, null);
                return r;
            }
        }

        String dropout() {
            try (Tensor m = be.allocate(DType.FLOAT32, 5000)) {
                Tensor rm = ref.zeros(5000);
                for (float p : new float[] {0f, 0.1f, 0.5f}) {
                    long seed = 0x5EEDL * (long) (p * 10 + 1) - 7;
                    for (long first : new long[] {0L, 123_457L}) {   // a shard's mask starts at its first element
                        be.dropoutMask(m, p, seed, first);
                        rb.dropoutMask(rm, p, seed, first);
                        exactBits("p=" + p + " firstIndex " + first, get(m), floatsOf(rm));
                    }
                }
                return "exact for p = 0, 0.1, 0.5, firstIndex 0 and 123457";
            }
        }

        String softmaxXent() {
            int rows = 37;
            int cols = 70;   // more classes than a warp has lanes
            float[] x = randn(rows * cols, 3);
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = r % 5 == 2 ? Backend.IGNORE_INDEX : rnd.nextInt(cols);
            }
            double[][] want = ref.softmaxCrossEntropy(x, y, rows, cols, 1f / rows);
            try (Tensor tx = put(x, rows, cols); Tensor ty = puti(y, rows); Tensor loss = be.allocate(DType.FLOAT32, rows);
                 Tensor d = be.allocate(DType.FLOAT32, rows, cols)) {
                be.fill(loss, 7f);   // ignored rows must be written too
                be.fill(d, 7f);
                be.softmaxCrossEntropyForward(tx, ty, loss);
                String r = compare("loss", get(loss), want[0], 1e-5, null);
                be.softmaxCrossEntropyBackward(tx, ty, 1f / rows, d);
                compare("dLogits", get(d), want[1], 1e-5, null);
                return r;
            }
        }

        String mse() {
            int rows = 21;
            int cols = 40;
            float[] p = randn(rows * cols, 1);
            float[] t = randn(rows * cols, 1);
            Tensor rp = ref.floats(p, rows, cols);
            Tensor rt = ref.floats(t, rows, cols);
            Tensor rl = ref.zeros(rows);
            Tensor rd = ref.zeros(rows, cols);
            rb.mseForward(rp, rt, rl);
            rb.mseBackward(rp, rt, 0.5f, rd);
            double[] loss = RefTensors.values(rl);
            double[] d = RefTensors.values(rd);
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
            x[2 * cols + 30] = Float.NaN;   // row 2: the first NaN wins, as NumPy and PyTorch
            x[2 * cols + 35] = Float.NaN;
            Tensor rx = ref.floats(x, rows, cols);
            Tensor rout = rb.allocate(DType.INT32, rows);
            rb.argmax(rx, rout);
            int[] want = RefTensors.ints(rout);
            int[] labels = new int[rows];
            int correct = 0;
            for (int r = 0; r < rows; r++) {   // every third row right, one in five of the others ignored
                labels[r] = r % 3 == 0 ? want[r] : r % 5 == 1 ? Backend.IGNORE_INDEX : (want[r] + 1) % cols;
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
            Tensor rx = ref.floats(x, 100_003);
            Tensor racc = ref.floats(new float[] {1f}, 1);
            rb.sumInto(rx, racc);
            double wantNorm = rb.l2Norm(rx);
            try (Tensor tx = put(x, 100_003); Tensor acc = put(new float[] {1f}, 1)) {
                be.sumInto(tx, acc);
                String r = compare("sumInto", get(acc), RefTensors.values(racc), 1e-6, new double[] {wantNorm + 1});
                double norm = be.l2Norm(tx);
                if (Math.abs(norm - wantNorm) > 1e-9 * wantNorm) {
                    throw new Mismatch("l2Norm got " + norm + " expected " + wantNorm + " (relative tolerance 1e-9)");
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
                Tensor rp = ref.floats(p, n);
                Tensor rv = ref.floats(v, n);
                rb.sgdUpdate(rp, ref.floats(g, n), rv, 0.1f, 0.9f, nesterov, 0.01f);
                try (Tensor tp = put(p, n); Tensor tg = put(g, n); Tensor tv = put(v, n)) {
                    be.sgdUpdate(tp, tg, tv, 0.1f, 0.9f, nesterov, 0.01f);
                    sb.append(sb.length() == 0 ? "" : "; ")
                            .append(compare("param", get(tp), RefTensors.values(rp), 1e-5, null));
                    compare("velocity", get(tv), RefTensors.values(rv), 1e-5, null);
                }
            }
            float[] p = randn(n, 1);
            float[] g = randn(n, 1);
            Tensor rp = ref.floats(p, n);
            rb.sgdUpdate(rp, ref.floats(g, n), null, 0.05f, 0f, false, 0f);
            try (Tensor tp = put(p, n); Tensor tg = put(g, n)) {
                be.sgdUpdate(tp, tg, null, 0.05f, 0f, false, 0f);
                compare("plain sgd", get(tp), RefTensors.values(rp), 1e-5, null);
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
                Tensor rp = ref.floats(p, n);
                Tensor rm = ref.floats(m, n);
                Tensor rv = ref.floats(v, n);
                rb.adamUpdate(rp, ref.floats(g, n), rm, rv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
                try (Tensor tp = put(p, n); Tensor tg = put(g, n); Tensor tm = put(m, n); Tensor tv = put(v, n)) {
                    be.adamUpdate(tp, tg, tm, tv, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, 7);
                    r = compare("param", get(tp), RefTensors.values(rp), 1e-5, null);
                    compare("m", get(tm), RefTensors.values(rm), 1e-5, null);
                    compare("v", get(tv), RefTensors.values(rv), 1e-5, null);
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
            Tensor rh = rb.allocate(DType.BF16, 1000);
            Tensor rback = ref.zeros(1000);
            rb.castToBf16(ref.floats(x, 1000), rh);
            rb.castFromBf16(rh, rback);
            float[] want = floatsOf(rback);
            try (Tensor tx = put(x, 1000); Tensor h = be.allocate(DType.BF16, 1000); Tensor back = be.allocate(DType.FLOAT32, 1000)) {
                be.castToBf16(tx, h);
                be.castFromBf16(h, back);
                exactBits("round trip", get(back), want);
                return "exact, round to nearest even";
            }
        }
    }
}
