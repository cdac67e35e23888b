package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;
import dev.quadrant.trainer.parallel.Replica;

/**
 * Every layer's and loss's backward against central finite differences of a float64 reference of the same function.
 *
 * <p>The analytic gradients come from the float32 backend; the finite differences are taken in float64 (step 1e-6)
 * on a float64 re-implementation of the forward pass that starts from the very same float32 parameters and inputs.
 * The tolerance (2e-4 relative to the largest gradient, plus 1e-6 absolute) covers float32 rounding in the
 * backend's forward and backward; a wrong backward is off by O(1) of the gradient's scale.
 */
class GradientCheckTest {
    private static final double EPS = 1e-6;
    private Backend be;

    @BeforeEach
    void open() {
        be = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 2);
    }

    @AfterEach
    void close() {
        be.close();
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void mlpWithCrossEntropyMatchesFiniteDifferences(Activation act) {
        int features = 6;
        int classes = 3;
        int rows = 7;
        ModelSpec spec = ModelSpec.parse("mlp:5-4");
        SplittableRandom rng = new SplittableRandom(42 + act.ordinal());
        float[] x = randoms(rng, rows * features, 1.0);
        int[] y = new int[rows];
        for (int i = 0; i < rows; i++) {
            y[i] = rng.nextInt(classes);
        }
        Backend own = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
        try (Replica r = new Replica(0, own, spec, features, classes, act, 0f, rows,
                OptimizerConfig.of(OptimizerKind.SGD, 0.1f, 0f))) {
            float[] params = r.model().initialValues(7, Initializer.XAVIER);
            for (int i = 0; i < params.length; i++) {
                params[i] += (float) (rng.nextDouble() * 0.2 - 0.1); // biases non-zero too
            }
            r.setParameters(params);
            r.computeGradients(x, y, 0, rows, 1f / rows, 0);
            float[] grad = new float[params.length];
            own.download(r.parameters().gradients(), grad, 0);

            double[] p = toDouble(params);
            double[] fd = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double keep = p[i];
                p[i] = keep + EPS;
                double plus = referenceMlpLoss(p, r.model().layout(), x, y, rows, features, act);
                p[i] = keep - EPS;
                double minus = referenceMlpLoss(p, r.model().layout(), x, y, rows, features, act);
                p[i] = keep;
                fd[i] = (plus - minus) / (2 * EPS);
            }
            assertClose("MLP " + act + " parameter gradient", fd, grad, 2e-4);
        }
    }

    /** Mean cross-entropy of a Linear-act-Linear-act-Linear model in float64. */
    private static double referenceMlpLoss(double[] p, ParamLayout layout, float[] x, int[] y, int rows, int features,
                                           Activation act) {
        double total = 0;
        int linears = (int) layout.entries().stream().filter(e -> e.name().endsWith(".weight")).count();
        for (int r = 0; r < rows; r++) {
            double[] h = new double[features];
            for (int j = 0; j < features; j++) {
                h[j] = x[r * features + j];
            }
            int li = 0;
            for (ParamLayout.Entry e : layout.entries()) {
                if (!e.name().endsWith(".weight")) {
                    continue;
                }
                String prefix = e.name().substring(0, e.name().length() - "weight".length());
                ParamLayout.Entry b = layout.entry(prefix + "bias");
                int out = e.shape()[0];
                int in = e.shape()[1];
                double[] o = new double[out];
                for (int k = 0; k < out; k++) {
                    double s = p[(int) b.offset() + k];
                    for (int j = 0; j < in; j++) {
                        s += p[(int) e.offset() + k * in + j] * h[j];
                    }
                    o[k] = li < linears - 1 ? act.reference(s) : s;
                }
                h = o;
                li++;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (double v : h) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : h) {
                sum += Math.exp(v - max);
            }
            total += Math.log(sum) + max - h[y[r]];
        }
        return total / rows;
    }

    @Test
    void mseMatchesFiniteDifferences() {
        int rows = 5;
        int cols = 3;
        SplittableRandom rng = new SplittableRandom(3);
        float[] pred = randoms(rng, rows * cols, 1.0);
        float[] target = randoms(rng, rows * cols, 1.0);
        float scale = 1f / rows;
        try (Tensor tp = be.allocate(DType.FLOAT32, rows, cols); Tensor tt = be.allocate(DType.FLOAT32, rows, cols);
             Tensor dp = be.allocate(DType.FLOAT32, rows, cols)) {
            be.upload(pred, 0, tp);
            be.upload(target, 0, tt);
            Loss.MSE.backward(be, tp, tt, scale, dp);
            float[] grad = new float[rows * cols];
            be.download(dp, grad, 0);
            double[] p = toDouble(pred);
            double[] fd = new double[p.length];
            for (int i = 0; i < p.length; i++) {
                double keep = p[i];
                p[i] = keep + EPS;
                double plus = mse(p, target, rows, cols) * scale;
                p[i] = keep - EPS;
                double minus = mse(p, target, rows, cols) * scale;
                p[i] = keep;
                fd[i] = (plus - minus) / (2 * EPS);
            }
            assertClose("MSE gradient", fd, grad, 1e-5);
        }
    }

    private static double mse(double[] p, float[] t, int rows, int cols) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                double d = p[r * cols + j] - t[r * cols + j];
                s += d * d;
            }
            total += s / cols;
        }
        return total;
    }

    @Test
    void dropoutBackwardMatchesFiniteDifferences() {
        int rows = 4;
        int cols = 9;
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = randoms(rng, rows * cols, 1.0);
        float[] w = randoms(rng, rows * cols, 1.0); // objective: sum of w * dropout(x)
        try (Dropout d = new Dropout(0.3f); Tensor tx = be.allocate(DType.FLOAT32, rows, cols);
             Tensor dy = be.allocate(DType.FLOAT32, rows, cols)) {
            d.bind(be, null, "", rows, cols);
            be.upload(x, 0, tx);
            Tensor out = d.forward(tx, new ForwardContext(true, 99));
            float[] y = new float[rows * cols];
            be.download(out, y, 0);
            be.upload(w, 0, dy);
            Tensor dx = d.backward(dy, true);
            float[] grad = new float[rows * cols];
            be.download(dx, grad, 0);
            // float64 reference: y_i = x_i * m_i with m_i recovered from the forward (0 or 1/(1-p))
            double[] fd = new double[rows * cols];
            int zeros = 0;
            for (int i = 0; i < fd.length; i++) {
                double m = x[i] == 0 ? 0 : y[i] / (double) x[i];
                zeros += m == 0 ? 1 : 0;
                assertTrue(m == 0 || Math.abs(m - 1 / 0.7) < 1e-5, "mask value " + m + " at " + i);
                fd[i] = ((x[i] + EPS) * m - (x[i] - EPS) * m) / (2 * EPS) * w[i];
            }
            assertTrue(zeros > 0 && zeros < fd.length, "dropout zeroed " + zeros + " of " + fd.length);
            assertClose("Dropout input gradient", fd, grad, 1e-5);
        }
    }

    static float[] randoms(SplittableRandom rng, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** Fails with the worst index, both values and the tolerance. */
    static void assertClose(String what, double[] expected, float[] actual, double relTol) {
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double tol = relTol * scale + 1e-6;
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            if (err > worstErr) {
                worstErr = err;
                worst = i;
            }
        }
        if (worstErr > tol) {
            fail(what + ": worst index " + worst + ": finite difference " + expected[worst] + ", backward "
                    + actual[worst] + ", error " + worstErr + " > tolerance " + tol);
        }
    }
}
