package dev.quadrant.tests.conformance;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DropoutHash;

/**
 * Float64 reference of every {@link dev.quadrant.device.Backend} op, named like the op, on row-major
 * {@code double[]} copies of the same float32 inputs the backend gets. Written for clarity, not speed: plain
 * loops, the textbook formula, no tricks, so that a reader can check each against the Backend Javadoc.
 *
 * <p>Semantics that the Javadoc leaves open and the suite pins down: ReLU keeps NaN (as PyTorch); argmax takes
 * the first maximum and a NaN beats every number; {@code columnSums} with {@code beta == 0} does not read the old
 * output; bf16 rounding is to nearest, ties to even, with overflow to infinity and NaN kept.
 */
final class ReferenceOps {
    private ReferenceOps() {}

    static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    static double[] abs(double[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = Math.abs(x[i]);
        }
        return d;
    }

    /** {@code c = alpha op(a) op(b) + beta c}; a is stored [aRows, aCols], b [bRows, bCols], c [m, n]. */
    static double[] gemm(boolean transA, boolean transB, double alpha, double[] a, int aCols, double[] b, int bCols,
                         double beta, double[] c, int m, int n, int k) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < k; l++) {
                    double av = transA ? a[l * aCols + i] : a[i * aCols + l];
                    double bv = transB ? b[j * bCols + l] : b[l * bCols + j];
                    s += av * bv;
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        }
        return out;
    }

    static double[] axpy(double alpha, double[] x, double[] y) {
        double[] out = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = y[i] + alpha * x[i];
        }
        return out;
    }

    static double[] scale(double[] x, double alpha) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * alpha;
        }
        return out;
    }

    static double[] fill(int n, double value) {
        double[] out = new double[n];
        java.util.Arrays.fill(out, value);
        return out;
    }

    static double[] copy(double[] src) {
        return src.clone();
    }

    static double[] mul(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * b[i];
        }
        return out;
    }

    static double[] addBias(double[] x, int cols, double[] bias) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] + bias[i % cols];
        }
        return out;
    }

    static double[] columnSums(double[] x, int cols, double beta, double[] out) {
        double[] r = new double[cols];
        for (int j = 0; j < cols; j++) {
            r[j] = beta == 0 ? 0 : beta * out[j];
        }
        for (int i = 0; i < x.length; i++) {
            r[i % cols] += x[i];
        }
        return r;
    }

    static double activationForward(Activation f, double x) {
        if (Double.isNaN(x)) {
            return x;   // PyTorch keeps NaN through every activation, ReLU included
        }
        return f.reference(x);
    }

    static double[] activationForward(Activation f, double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = activationForward(f, x[i]);
        }
        return out;
    }

    static double[] activationBackward(Activation f, double[] x, double[] dy) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = dy[i] * f.referenceDerivative(x[i]);
        }
        return out;
    }

    static double[] dropoutMask(int n, double p, long seed) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = DropoutHash.uniform(seed, i) < p ? 0 : 1 / (1 - p);
        }
        return out;
    }

    static double[] softmaxCrossEntropyForward(double[] logits, int cols, int[] labels) {
        int rows = labels.length;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, logits[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(logits[r * cols + j] - max);
            }
            out[r] = max + Math.log(s) - logits[r * cols + labels[r]];
        }
        return out;
    }

    static double[] softmaxCrossEntropyBackward(double[] logits, int cols, int[] labels, double scale) {
        int rows = labels.length;
        double[] out = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, logits[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(logits[r * cols + j] - max);
            }
            for (int j = 0; j < cols; j++) {
                double p = Math.exp(logits[r * cols + j] - max) / s;
                out[r * cols + j] = scale * (p - (j == labels[r] ? 1 : 0));
            }
        }
        return out;
    }

    static double[] mseForward(double[] pred, double[] target, int cols) {
        int rows = pred.length / cols;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                double d = pred[r * cols + j] - target[r * cols + j];
                s += d * d;
            }
            out[r] = s / cols;
        }
        return out;
    }

    static double[] mseBackward(double[] pred, double[] target, int cols, double scale) {
        double[] out = new double[pred.length];
        for (int i = 0; i < pred.length; i++) {
            out[i] = scale * 2 * (pred[i] - target[i]) / cols;
        }
        return out;
    }

    static int[] argmax(double[] x, int cols) {
        int rows = x.length / cols;
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int j = 1; j < cols; j++) {
                double v = x[r * cols + j];
                double b = x[r * cols + best];
                if (!Double.isNaN(b) && (Double.isNaN(v) || v > b)) {
                    best = j;
                }
            }
            out[r] = best;
        }
        return out;
    }

    static double countCorrect(double[] logits, int cols, int[] labels, double acc) {
        int[] pred = argmax(logits, cols);
        int n = 0;
        for (int r = 0; r < labels.length; r++) {
            if (pred[r] == labels[r]) {
                n++;
            }
        }
        return acc + n;
    }

    static double sumInto(double[] x, double acc) {
        double s = acc;
        for (double v : x) {
            s += v;
        }
        return s;
    }

    static double l2Norm(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    static boolean allFinite(double[] x) {
        for (double v : x) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** Returns {param, velocity}; velocity is null when momentum is 0. */
    static double[][] sgdUpdate(double[] param, double[] grad, double[] velocity, double lr, double momentum,
                                boolean nesterov, double weightDecay) {
        double[] p = param.clone();
        double[] v = velocity == null ? null : velocity.clone();
        for (int i = 0; i < p.length; i++) {
            double g = grad[i] + weightDecay * p[i];
            if (momentum != 0) {
                v[i] = momentum * v[i] + g;
                g = nesterov ? g + momentum * v[i] : v[i];
            }
            p[i] -= lr * g;
        }
        return new double[][] {p, momentum != 0 ? v : null};
    }

    /** Returns {param, m, v}. */
    static double[][] adamUpdate(double[] param, double[] grad, double[] m, double[] v, double lr, double beta1,
                                 double beta2, double eps, double weightDecay, boolean decoupled, int step) {
        double[] p = param.clone();
        double[] mo = m.clone();
        double[] vo = v.clone();
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < p.length; i++) {
            double g = grad[i];
            if (decoupled) {
                p[i] *= 1 - lr * weightDecay;
            } else {
                g += weightDecay * p[i];
            }
            mo[i] = beta1 * mo[i] + (1 - beta1) * g;
            vo[i] = beta2 * vo[i] + (1 - beta2) * g * g;
            double mHat = mo[i] / bc1;
            double vHat = vo[i] / bc2;
            p[i] -= lr * mHat / (Math.sqrt(vHat) + eps);
        }
        return new double[][] {p, mo, vo};
    }

    /**
     * bf16 bits of a float by exact comparison with its two bf16 neighbours (not by the bit trick a backend uses):
     * nearest wins, a tie goes to the even pattern, beyond the largest bf16 the upper neighbour is infinity
     * (treated as 2^128 for the distance, as IEEE rounding does), NaN gives a NaN pattern.
     */
    static short castToBf16(float x) {
        if (Float.isNaN(x)) {
            return (short) 0x7FC0;   // any NaN pattern; compare with isNaN
        }
        int bits = Float.floatToRawIntBits(x);
        int lo = bits >>> 16;                   // toward zero
        if ((bits & 0xFFFF) == 0) {
            return (short) lo;
        }
        int hi = lo + 1;                        // away from zero (may be the infinity pattern)
        double loV = Math.abs((double) Float.intBitsToFloat(lo << 16));
        double hiV = (hi & 0x7FFF) == 0x7F80 ? 0x1p128 : Math.abs((double) Float.intBitsToFloat(hi << 16));
        double ax = Math.abs((double) x);
        double dLo = ax - loV;
        double dHi = hiV - ax;
        if (dLo < dHi || (dLo == dHi && (lo & 1) == 0)) {
            return (short) lo;
        }
        return (short) hi;
    }

    /** The float a bf16 pattern stands for (exact). */
    static float castFromBf16(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
