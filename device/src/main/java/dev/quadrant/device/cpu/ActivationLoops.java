package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Activation;

/**
 * Forward and backward loops of the {@link Activation}s over elements {@code [from, to)}.
 *
 * <p>Numerics: ReLU is {@code max(x, 0)} and keeps NaN (as PyTorch), so a diverged layer cannot hide behind it.
 * tanh and the GELU (tanh approximation) are computed in double from one {@link Math#exp} per element, written so
 * that no formula cancels: {@code tanh(a) = (1 - e) / (1 + e)} with {@code e = exp(-2|a|) <= 1} (a short series
 * below {@code |a| = 0.05} where {@code 1 - e} would lose digits), {@code 1 - tanh^2 = 4e / (1 + e)^2}, and
 * {@code gelu(x) = x * sigmoid(2u)} with the sigmoid and its complement both formed from {@code exp(-2|u|)}.
 * Relative error is below float32 rounding over the whole range; {@code Math.tanh} (not an intrinsic on Java 17)
 * was 3 to 5 times slower. Stateless.
 */
final class ActivationLoops {
    private ActivationLoops() {}

    private static final double GELU_C = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_K = 0.044715;

    static void forward(Activation f, FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        switch (f) {
            case RELU: {
                // chunked through an array so the max vectorises (see OptimizerLoops); max keeps NaN
                float[] a = Scratch.floats(0);
                for (int c = from; c < to; c += Scratch.CHUNK) {
                    int n = Math.min(Scratch.CHUNK, to - c);
                    x.get(xo + c, a, 0, n);
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.max(a[i], 0f);
                    }
                    y.put(yo + c, a, 0, n);
                }
                break;
            }
            case TANH:
                for (int i = from; i < to; i++) {
                    y.put(yo + i, (float) tanh(x.get(xo + i)));
                }
                break;
            case GELU:
                for (int i = from; i < to; i++) {
                    y.put(yo + i, (float) gelu(x.get(xo + i)));
                }
                break;
            default:
                throw new IllegalArgumentException("activation " + f + " has no CPU loop");
        }
    }

    /** TANH and GELU backward; ReLU goes through {@link #reluBackward}. */
    static void backward(Activation f, FloatBuffer x, int xo, FloatBuffer dy, int dyo, FloatBuffer dx, int dxo,
                         int from, int to) {
        switch (f) {
            case TANH:
                for (int i = from; i < to; i++) {
                    dx.put(dxo + i, (float) (dy.get(dyo + i) * tanhDerivative(x.get(xo + i))));
                }
                break;
            case GELU:
                for (int i = from; i < to; i++) {
                    dx.put(dxo + i, (float) (dy.get(dyo + i) * geluDerivative(x.get(xo + i))));
                }
                break;
            default:
                throw new IllegalArgumentException("activation " + f + " has no CPU backward loop here");
        }
    }

    /**
     * {@code dx = x > 0 ? dy : 0} on the raw float bits (int views of the same storages), without a branch: a
     * data-dependent branch here mispredicts half the time on real activations and made this loop ~10x slower.
     * {@code x > 0} holds exactly for bit patterns in {@code [1, 0x7F800000]} (positive, +inf; not +0, NaN or
     * anything negative), i.e. when neither {@code xb - 1} nor {@code 0x7F800000 - xb} is negative.
     */
    static void reluBackward(IntBuffer x, int xo, IntBuffer dy, int dyo, IntBuffer dx, int dxo, int from, int to) {
        int[] xa = Scratch.ints(0);
        int[] da = Scratch.ints(1);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, xa, 0, n);
            dy.get(dyo + c, da, 0, n);
            for (int i = 0; i < n; i++) {
                int xb = xa[i];
                int keep = ~(((xb - 1) | (0x7F80_0000 - xb)) >> 31);
                da[i] &= keep;
            }
            dx.put(dxo + c, da, 0, n);
        }
    }

    /** tanh without cancellation; see the class comment. */
    static double tanh(double a) {
        double abs = Math.abs(a);
        if (abs < 0.05) {
            double a2 = a * a;
            // a - a^3/3 + 2a^5/15 - 17a^7/315: next term ~ 0.02 a^9, below 1e-12 relative here
            return a * (1 + a2 * (-1.0 / 3 + a2 * (2.0 / 15 - a2 * (17.0 / 315))));
        }
        double e = Math.exp(-2 * abs);
        return Math.copySign((1 - e) / (1 + e), a);   // NaN falls through: e and the quotient are NaN
    }

    /** {@code 1 - tanh(a)^2} as {@code 4e / (1 + e)^2}, exact to rounding for every a. */
    static double tanhDerivative(double a) {
        double e = Math.exp(-2 * Math.abs(a));
        double d = 1 + e;
        return 4 * e / (d * d);
    }

    /** {@code 0.5 x (1 + tanh(u)) = x * sigmoid(2u)}, u = c (x + k x^3). */
    static double gelu(double x) {
        double u = GELU_C * (x + GELU_K * x * x * x);
        double e = Math.exp(-2 * Math.abs(u));
        return x * signFactor(u, e) / (1 + e);
    }

    /** d gelu / dx = s + 2 x s (1 - s) du/dx with s = sigmoid(2u). */
    static double geluDerivative(double x) {
        double x2 = x * x;
        double u = GELU_C * (x + GELU_K * x2 * x);
        double du = GELU_C * (1 + 3 * GELU_K * x2);
        double e = Math.exp(-2 * Math.abs(u));
        double inv = 1 / (1 + e);
        // s (1 - s) = e / (1 + e)^2 whatever the sign of u, so only s needs the sign
        return signFactor(u, e) * inv + 2 * x * du * e * inv * inv;
    }

    /**
     * {@code sigmoid(2u) = f / (1 + e)} with {@code e = exp(-2|u|)} and {@code f} this factor: {@code 1} for
     * {@code u >= 0}, {@code e} below. Picked with a bit mask from the sign of {@code u}, not a branch (the sign of
     * an activation is a coin flip for the branch predictor), and not by arithmetic blending, which would cancel.
     */
    private static double signFactor(double u, double e) {
        long negative = Double.doubleToRawLongBits(u) >> 63;   // all ones for u < 0 (and -0: both give 1/2)
        return Double.longBitsToDouble((Double.doubleToRawLongBits(e) & negative) | (ONE_BITS & ~negative));
    }

    private static final long ONE_BITS = Double.doubleToRawLongBits(1.0);
}
