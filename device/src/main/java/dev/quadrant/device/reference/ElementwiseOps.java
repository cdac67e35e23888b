package dev.quadrant.device.reference;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DropoutHash;

/**
 * Float64 element-wise ops, bias and column sums, activations, dropout masks, reductions and the bf16 rounding.
 *
 * <p>Semantics pinned here (the Backend Javadoc leaves them open): every activation keeps NaN, ReLU included (as
 * PyTorch); {@code columnSums} with {@code beta == 0} does not read the old output; bf16 rounding is to nearest,
 * ties to even, with overflow to infinity and NaN kept. Stateless.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** The largest finite bf16, {@code (2 - 2^-7) 2^127}. */
    static final double BF16_MAX = Math.scalb(255.0, 120);

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

    static double[] columnSums(double[] x, int cols, double beta, double[] old) {
        double[] out = new double[cols];
        for (int j = 0; j < cols; j++) {
            out[j] = beta == 0 ? 0 : beta * old[j];
        }
        for (int i = 0; i < x.length; i++) {
            out[i % cols] += x[i];
        }
        return out;
    }

    static double[] activationForward(Activation f, double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Double.isNaN(x[i]) ? x[i] : f.reference(x[i]);
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

    /** Element {@code i} is 0 when {@code uniform(seed, firstIndex + i) < p}, else {@code 1 / (1 - p)}. */
    static double[] dropoutMask(int n, double p, long seed, long firstIndex) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = DropoutHash.uniform(seed, firstIndex + i) < p ? 0 : 1 / (1 - p);
        }
        return out;
    }

    static double sum(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s;
    }

    static double sumOfSquares(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    static boolean allFinite(double[] x) {
        for (double v : x) {
            if (!Double.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    static double[] abs(double[] x) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.abs(x[i]);
        }
        return out;
    }

    /**
     * The bf16 value nearest to {@code x}, by arithmetic on the value (not the bit trick a backend uses): bf16 keeps
     * 8 significant bits over float32's exponent range, so the spacing at {@code x} is {@code 2^(e - 7)} with
     * {@code e} the exponent of {@code x}, at least -126 (the subnormals share the spacing of the smallest normals);
     * {@link Math#rint} rounds the multiple ties-to-even. Results beyond the largest bf16 are infinite (as IEEE:
     * what rounds to {@code 2^128} overflows); NaN, infinities and signed zeros stay.
     */
    static double roundToBf16(double x) {
        if (!Double.isFinite(x) || x == 0) {
            return x;
        }
        double spacing = Math.scalb(1.0, Math.max(Math.getExponent(x), -126) - 7);
        double r = Math.rint(x / spacing) * spacing;
        return Math.abs(r) > BF16_MAX ? Math.copySign(Double.POSITIVE_INFINITY, x) : r;
    }
}
