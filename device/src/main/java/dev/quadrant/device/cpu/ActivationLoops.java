package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Activation;

/**
 * Forward and backward loops of the {@link Activation}s over elements {@code [from, to)}.
 *
 * <p>Numerics: ReLU is {@code max(x, 0)} and keeps NaN (as PyTorch), so a diverged layer cannot hide behind it.
 * The GELU (tanh approximation) is computed in float, vectorised, from {@link FloatExp} (see {@link #geluForward});
 * against the float64 reference its worst error is 0.20 of the conformance tolerance forward and 0.22 backward
 * (a sweep of x over [-30, 30] in 1e-6-relative steps; 1.5e-7 relative error where x > 0). tanh is computed in
 * double from one {@link Math#exp} per element, written so that no formula cancels: {@code tanh(a) = (1 - e) / (1 + e)}
 * with {@code e = exp(-2|a|) <= 1} (a short series below {@code |a| = 0.05} where {@code 1 - e} would lose digits)
 * and {@code 1 - tanh^2 = 4e / (1 + e)^2}; its relative error is below float32 rounding over the whole range;
 * {@code Math.tanh} (not an intrinsic on Java 17)
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
                geluForward(x, xo, y, yo, from, to);
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
                geluBackward(x, xo, dy, dyo, dx, dxo, from, to);
                break;
            default:
                throw new IllegalArgumentException("activation " + f + " has no CPU backward loop here");
        }
    }

    /**
     * GELU forward in float over {@link Scratch#CHUNK}-element chunks, in short loops that HotSpot vectorises:
     * {@code z = 2|u|}, {@code e = exp(-z)} ({@link FloatExp}), then {@code y = x f / (1 + e)}: {@code x sigmoid(2u)}
     * with {@code f = 1} for {@code x > 0} and {@code e} otherwise (u has the sign of x), so nothing cancels. f is
     * blended from {@code s = clamp(x 2^100, 0, 1)}, which is exactly 0 or 1 except for |x| below 2^-100, where
     * {@code e = 1} to rounding and f is 1 either way. NaN stays NaN (min and max keep it).
     */
    private static void geluForward(FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        float[] a = Scratch.floats(0);
        float[] e = Scratch.floats(1);
        float[] tmp = Scratch.floats(2);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, a, 0, n);
            geluExponent(a, e, n);
            FloatExp.expNegInPlace(e, tmp, n);
            for (int i = 0; i < n; i++) {
                float xi = a[i];
                float ei = e[i];
                float s = Math.min(Math.max(xi * 0x1p100f, 0f), 1f);
                a[i] = xi * (s + (1 - s) * ei) / (1 + ei);
            }
            y.put(yo + c, a, 0, n);
        }
    }

    /**
     * GELU backward as {@link #geluForward}: {@code dx = dy (sig + 2 x du e / (1 + e)^2)} with {@code sig} the
     * sigmoid above and {@code du = c (1 + 3k x^2)} ({@code sig (1 - sig) = e / (1 + e)^2} for either sign).
     */
    private static void geluBackward(FloatBuffer x, int xo, FloatBuffer dy, int dyo, FloatBuffer dx, int dxo,
                                     int from, int to) {
        float[] a = Scratch.floats(0);
        float[] e = Scratch.floats(1);
        float[] tmp = Scratch.floats(2);
        float[] d = Scratch.floats(3);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, a, 0, n);
            dy.get(dyo + c, d, 0, n);
            geluExponent(a, e, n);
            FloatExp.expNegInPlace(e, tmp, n);
            for (int i = 0; i < n; i++) {   // two loops: one would be too long for C2 to vectorise
                float inv = 1 / (1 + e[i]);
                tmp[i] = inv;
                e[i] *= inv;
            }
            for (int i = 0; i < n; i++) {
                float xi = a[i];
                float inv = tmp[i];
                float eInv = e[i];   // e / (1 + e)
                float s = Math.min(Math.max(xi * 0x1p100f, 0f), 1f);
                float du = GELU_CF * (1 + GELU_3KF * (xi * xi));
                d[i] *= s * inv + (1 - s) * eInv + 2 * xi * du * eInv * inv;
            }
            dx.put(dxo + c, d, 0, n);
        }
    }

    /** {@code z[i] = 2 |u(x[i])|}, {@code u = c (x + k x^3)}, in float. */
    private static void geluExponent(float[] x, float[] z, int n) {
        for (int i = 0; i < n; i++) {
            float xi = x[i];
            z[i] = 2 * Math.abs(GELU_CF * (xi + GELU_KF * xi * xi * xi));
        }
    }

    private static final float GELU_CF = (float) GELU_C;
    private static final float GELU_KF = (float) GELU_K;
    private static final float GELU_3KF = (float) (3 * GELU_K);

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
}
