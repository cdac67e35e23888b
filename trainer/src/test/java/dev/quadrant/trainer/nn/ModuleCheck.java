package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.function.LongConsumer;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * A module bound as a {@link Model} on one backend, with a fixed input and a fixed objective, for gradient checks and
 * backend comparisons. On a {@link ReferenceBackend} everything is float64, so central finite differences of the
 * objective (step {@link #EPS}) agree with a correct backward to about 1e-9 relative; a wrong backward is off by O(1).
 *
 * <p>Parameters, inputs and objective weights are float32 values (uploaded), so the same check can be set up
 * identically on a float32 backend. Test code: one thread.
 */
final class ModuleCheck implements AutoCloseable {
    static final double EPS = 1e-6;

    /** What is minimised: {@code sum(out * r)} for fixed random {@code r}, or softmax cross-entropy. */
    enum Objective { WEIGHTED_SUM, CROSS_ENTROPY }

    final Backend be;
    final Model model;
    final Parameters params;
    final int rows;
    final Tensor x;          // [rows, ...in]
    private final Objective objective;
    private final Tensor r;        // [rows, ...out], WEIGHTED_SUM
    private final Tensor labels;   // [rows * T] INT32, CROSS_ENTROPY
    private final Tensor losses;   // [rows * T], CROSS_ENTROPY
    private final Tensor dOut;     // [rows, ...out]
    private final int classes;
    ForwardContext context = ForwardContext.eval();

    /**
     * {@code module} for per-sample input {@code in} of {@code dtype} (INT32: ids below {@code vocab}), {@code rows}
     * samples, parameters from the model's initial values plus noise (so biases and gains are not trivially 0 and 1).
     */
    ModuleCheck(Backend be, Module module, int[] in, DType dtype, int vocab, int rows, Objective objective, long seed) {
        this.be = be;
        this.rows = rows;
        this.objective = objective;
        this.model = new Model(module, in, dtype);
        this.params = new Parameters(be, model.layout());
        model.bind(be, params, rows);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] p = model.initialValues(seed, Initializer.HE);
        for (int i = 0; i < p.length; i++) {
            p[i] += (float) ((rng.nextDouble() * 2 - 1) * 0.3);
        }
        be.upload(p, 0, params.values());
        x = be.allocate(dtype, Shapes.batch(rows, in));
        if (dtype == DType.INT32) {
            int[] ids = new int[x.intSize()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = rng.nextInt(vocab);
            }
            be.upload(ids, 0, x);
        } else {
            be.upload(randoms(rng, x.intSize(), 1.0), 0, x);
        }
        int[] out = Shapes.batch(rows, model.outputShape());
        dOut = be.allocate(DType.FLOAT32, out);
        classes = out[out.length - 1];
        int terms = Math.toIntExact(dOut.size() / classes);
        if (objective == Objective.WEIGHTED_SUM) {
            r = be.allocate(DType.FLOAT32, out);
            be.upload(randoms(rng, r.intSize(), 1.0), 0, r);
            labels = null;
            losses = null;
        } else {
            r = null;
            labels = be.allocate(DType.INT32, terms);
            int[] y = new int[terms];
            for (int i = 0; i < terms; i++) {
                y[i] = i == terms - 1 && terms > 1 ? Backend.IGNORE_INDEX : rng.nextInt(classes);
            }
            be.upload(y, 0, labels);
            losses = be.allocate(DType.FLOAT32, terms);
        }
    }

    /** The objective at the current parameters and input (reference backend: float64). */
    double loss() {
        Tensor out = model.forward(x, context);
        if (objective == Objective.WEIGHTED_SUM) {
            double[] o = ReferenceBackend.values(out);
            double[] w = ReferenceBackend.values(r);
            double s = 0;
            for (int i = 0; i < o.length; i++) {
                s += o[i] * w[i];
            }
            return s;
        }
        be.softmaxCrossEntropyForward(Shapes.asMatrix(out), labels, losses);
        double s = 0;
        for (double v : ReferenceBackend.values(losses)) {
            s += v;
        }
        return s;
    }

    /**
     * Forward and backward once, gradients ACCUMULATED into the flat buffer (not zeroed here); returns the input
     * gradient when {@code inputGradient}, else null. {@code ready} is told what backward reports.
     */
    Tensor forwardBackward(boolean inputGradient, LongConsumer ready) {
        Tensor out = model.forward(x, context);
        if (objective == Objective.WEIGHTED_SUM) {
            be.copy(r, dOut);
        } else {
            be.softmaxCrossEntropyBackward(Shapes.asMatrix(out), labels, 1f, Shapes.asMatrix(dOut));
        }
        if (inputGradient) {
            return model.root().backward(dOut, new Backward(true, ready));
        }
        model.backward(dOut, ready);
        return null;
    }

    /** Zeroed gradients, then one forward and backward. */
    Tensor gradients(boolean inputGradient) {
        be.fill(params.gradients(), 0f);
        return forwardBackward(inputGradient, Backward.IGNORE);
    }

    /** The same input and objective as {@code other} (same shapes), e.g. to compare two models on one batch. */
    void copyInputsFrom(ModuleCheck other) {
        be.copy(other.x, x);
        if (r != null) {
            be.copy(other.r, r);
        }
        if (labels != null) {
            be.copy(other.labels, labels);
        }
    }

    /** Central differences of the objective in every parameter (reference backend). */
    double[] finiteDifferenceParameters() {
        return finiteDifferences(params.values());
    }

    /** Central differences of the objective in every element of a FLOAT32 tensor (reference backend). */
    double[] finiteDifferences(Tensor t) {
        double[] fd = new double[t.intSize()];
        for (int i = 0; i < fd.length; i++) {
            double keep = ReferenceBackend.value(t, i);
            ReferenceBackend.setValue(t, i, keep + EPS);
            double plus = loss();
            ReferenceBackend.setValue(t, i, keep - EPS);
            double minus = loss();
            ReferenceBackend.setValue(t, i, keep);
            fd[i] = (plus - minus) / (2 * EPS);
        }
        return fd;
    }

    /**
     * Checks every parameter's analytic gradient (and the input gradient when the input is FLOAT32 and
     * {@code inputGradient}) against finite differences; per tensor, the tolerance is {@code relTol} times its largest
     * finite difference plus 1e-9. Returns how many parameter tensors were checked.
     */
    int checkAll(String what, boolean inputGradient, double relTol) {
        Tensor dx = gradients(inputGradient);
        double[] grad = ReferenceBackend.values(params.gradients());
        double[] dxv = dx == null ? null : ReferenceBackend.values(dx);
        double[] fd = finiteDifferenceParameters();
        int checked = 0;
        for (ParamLayout.Entry e : model.layout().entries()) {
            int from = Math.toIntExact(e.offset());
            int to = from + Math.toIntExact(e.size());
            if (!e.trainable()) {   // state (running statistics): never a gradient, whatever the loss does with it
                assertClose(what + " d" + e.name() + " (state: zero)", new double[to - from],
                        java.util.Arrays.copyOfRange(grad, from, to), 0);
                checked++;
                continue;
            }
            assertClose(what + " d" + e.name(), java.util.Arrays.copyOfRange(fd, from, to),
                    java.util.Arrays.copyOfRange(grad, from, to), relTol);
            checked++;
        }
        if (inputGradient) {
            assertClose(what + " dx", finiteDifferences(x), dxv, relTol);
        }
        return checked;
    }

    /** Fails with the worst index, both values and the tolerance. */
    static void assertClose(String what, double[] expected, double[] actual, double relTol) {
        if (expected.length != actual.length) {
            fail(what + ": " + expected.length + " expected values, " + actual.length + " actual");
        }
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tol = relTol * scale + 1e-9;
        int worst = -1;
        double worstErr = -1;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (!(err <= worstErr)) {   // NaN counts as worst
                worstErr = err;
                worst = i;
            }
        }
        if (worst >= 0 && !(worstErr <= tol)) {
            fail(what + ": worst index " + worst + " of " + expected.length + ": expected " + expected[worst]
                    + ", got " + actual[worst] + ", error " + worstErr + " > tolerance " + tol);
        }
    }

    /** Every parameter gradient of {@code got} (any backend) against {@code want} (reference), per tensor. */
    static void assertSameGradients(String what, ModuleCheck want, ModuleCheck got, double relTol) {
        double[] g = ReferenceBackend.values(want.params.gradients());
        double[] h = floats(got.be, got.params.gradients());
        for (ParamLayout.Entry e : want.model.layout().entries()) {
            int from = Math.toIntExact(e.offset());
            int to = from + Math.toIntExact(e.size());
            assertClose(what + ": d" + e.name(), java.util.Arrays.copyOfRange(g, from, to),
                    java.util.Arrays.copyOfRange(h, from, to), relTol);
        }
    }

    /** A FLOAT32 tensor of any backend, downloaded, as doubles. */
    static double[] floats(Backend be, Tensor t) {
        float[] f = new float[t.intSize()];
        be.download(t, f, 0);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    static float[] randoms(SplittableRandom rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {x, r, labels, losses, dOut}) {
            if (t != null) {
                t.close();
            }
        }
        model.close();
        params.close();
    }
}
