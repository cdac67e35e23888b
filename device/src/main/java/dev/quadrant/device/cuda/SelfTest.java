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
 * {@link ReferenceBackend} (exact where the contract is exact: dropout patterns, casts, arg-max, counts, gathers and
 * permutes, im2col, max pooling), then a short training run of a small MLP that must learn a separable problem and give the same loss
 * twice. Each check passes or fails on its own; a failure says which element was worst, both values and the
 * tolerance. The sequence-model ops' checks are in {@link SelfTestSequence}, the image ops' in {@link SelfTestImage},
 * the batch-normalisation ops' in {@link SelfTestBatchNorm}.
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
        try (ReferenceBackend ref = new ReferenceBackend()) {
            return run(be, ref, precision);
        }
    }

    private static Report run(Backend be, ReferenceBackend ref, Precision precision) {
        Checker c = new Checker(be, ref);
        double gemmTol = precision == Precision.FP32 ? 1e-5 : precision == Precision.TF32 ? 4e-3 : 2e-2;
        c.check("upload/download float and int", () -> SelfTestOps.roundTrip(c));
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                c.check("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N") + " 37x29x43",
                        () -> SelfTestOps.gemm(c, ta, tb, 37, 29, 43, gemmTol));
            }
        }
        c.check("gemm alpha/beta", () -> SelfTestOps.gemmAlphaBeta(c, gemmTol));
        c.check("axpy, scale, fill, copy, mul", () -> SelfTestOps.blasLike(c));
        c.check("addBias", () -> SelfTestOps.addBias(c));
        c.check("columnSums (beta 0 and 0.5)", () -> SelfTestOps.columnSums(c));
        for (Activation f : Activation.values()) {
            c.check("activation " + f + " forward/backward", () -> SelfTestOps.activation(c, f));
        }
        c.check("dropoutMask (firstIndex 0 and 2^32+5)", () -> SelfTestOps.dropout(c));
        c.check("softmax cross-entropy fwd/bwd, ignored", () -> SelfTestOps.softmaxXent(c));
        c.check("mse fwd/bwd", () -> SelfTestOps.mse(c));
        c.check("argmax, countCorrect, ignored", () -> SelfTestOps.argmax(c));
        c.check("sumInto, l2Norm, allFinite", () -> SelfTestOps.reductions(c));
        c.check("sgdUpdate (momentum, nesterov, wd)", () -> SelfTestOps.sgd(c));
        c.check("adamUpdate (adam, adamw)", () -> SelfTestOps.adam(c));
        c.check("gradientStats, guarded updates (clip, skip), sumFiniteInto", () -> SelfTestOps.guarded(c));
        c.check("castToBf16/castFromBf16", () -> SelfTestOps.casts(c));
        c.check("gemmBatched NN/NT/TN/TT 7x(17x33x17)", () -> SelfTestSequence.gemmBatched(c, gemmTol));
        c.check("embedding fwd/bwd (repeats, invalid)", () -> SelfTestSequence.embedding(c));
        c.check("layerNorm fwd/bwd", () -> SelfTestSequence.layerNorm(c));
        c.check("causal softmax fwd/bwd", () -> SelfTestSequence.causalSoftmax(c));
        c.check("permute (attention split, merge)", () -> SelfTestSequence.permute(c));
        c.check("im2col/col2im 5x3 s2x1 p2x1", () -> SelfTestImage.im2col(c));
        c.check("conv2d fwd/bwd 3x3 s1 p1 5->4", () -> SelfTestImage.conv2d(c, gemmTol));
        c.check("maxPool2d fwd/bwd (ties, NaN)", () -> SelfTestImage.maxPool(c));
        c.check("avgPool2d fwd/bwd (3x3 p1, global)", () -> SelfTestImage.avgPool(c));
        c.check("batchNorm stats/fwd/running/bwd 189x24", () -> SelfTestBatchNorm.run(c));
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
        /** The float64 reference every check runs the same op on. */
        final ReferenceBackend ref;
        final List<Check> checks = new ArrayList<>();
        final Random rnd = new Random(20240601L);

        Checker(Backend be, ReferenceBackend ref) {
            this.be = be;
            this.ref = ref;
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

        /** A FLOAT32 tensor on {@code b} holding {@code v}. */
        static Tensor floatsOn(Backend b, float[] v, int... shape) {
            Tensor t = b.allocate(DType.FLOAT32, shape);
            b.upload(v, 0, t);
            return t;
        }

        /** An INT32 tensor on {@code b} holding {@code v}. */
        static Tensor intsOn(Backend b, int[] v, int... shape) {
            Tensor t = b.allocate(DType.INT32, shape);
            b.upload(v, 0, t);
            return t;
        }

        Tensor put(float[] v, int... shape) {
            return floatsOn(be, v, shape);
        }

        Tensor puti(int[] v, int... shape) {
            return intsOn(be, v, shape);
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

        /** A FLOAT32 tensor on the reference holding {@code v}. */
        Tensor refFloats(float[] v, int... shape) {
            return floatsOn(ref, v, shape);
        }

        /** An INT32 tensor on the reference holding {@code v}. */
        Tensor refInts(int[] v, int... shape) {
            return intsOn(ref, v, shape);
        }

        /** A FLOAT32 tensor on the reference holding {@code |v|}, for error scales. */
        Tensor refAbs(float[] v, int... shape) {
            Tensor t = refFloats(v, shape);
            ref.abs(t, t);
            return t;
        }

        /** The reference's result, in double. */
        static double[] want(Tensor t) {
            return ReferenceBackend.values(t);
        }

        /**
         * {@code {want, mag}} of {@code alpha op(a) op(b) + beta c} on the reference, {@code mag} the same on absolute
         * values ({@code |alpha| |A||B| + |beta| |C|}, the error scale of a float GEMM). {@code batch} 0 is a plain
         * GEMM, otherwise a batched one of that many matrices.
         */
        static double[][] gemmReference(ReferenceBackend ref, int batch, boolean ta, boolean tb, int m, int n, int k,
                                        float alpha, float[] a, float[] b, float beta, float[] c) {
            int[] aShape = batch > 0 ? new int[] {batch, ta ? k : m, ta ? m : k} : new int[] {ta ? k : m, ta ? m : k};
            int[] bShape = batch > 0 ? new int[] {batch, tb ? n : k, tb ? k : n} : new int[] {tb ? n : k, tb ? k : n};
            int[] cShape = batch > 0 ? new int[] {batch, m, n} : new int[] {m, n};
            double[][] out = new double[2][];
            for (int pass = 0; pass < 2; pass++) {
                boolean abs = pass == 1;
                Tensor[] t = {floatsOn(ref, a, aShape), floatsOn(ref, b, bShape), floatsOn(ref, c, cShape)};
                for (int i = 0; i < 3 && abs; i++) {
                    ref.abs(t[i], t[i]);
                }
                float al = abs ? Math.abs(alpha) : alpha;
                float bt = abs ? Math.abs(beta) : beta;
                if (batch > 0) {
                    ref.gemmBatched(ta, tb, al, t[0], t[1], bt, t[2]);
                } else {
                    ref.gemm(ta, tb, al, t[0], t[1], bt, t[2]);
                }
                out[pass] = want(t[2]);
            }
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

        /** Labels with every fourth row {@link Backend#IGNORE_INDEX} (loss 0, gradient row 0, never counted). */
        int[] labelsWithIgnored(int rows, int cols) {
            int[] y = new int[rows];
            for (int r = 0; r < rows; r++) {
                y[r] = r % 4 == 3 ? Backend.IGNORE_INDEX : rnd.nextInt(cols);
            }
            return y;
        }
    }
}
