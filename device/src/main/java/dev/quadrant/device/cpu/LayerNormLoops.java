package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

/**
 * LayerNorm loops of {@link CpuBackend} over rows of {@code x [n, d]}, streamed {@link Scratch#CHUNK} columns at a
 * time through per-thread arrays.
 *
 * <p>Parallelisation: the forward and {@code dx} over rows (independent); {@code dGamma} and {@code dBeta} over
 * columns, each thread summing whole columns over all rows in row order, so the accumulation is race-free and the
 * same for every thread count. Numerics: mean and the (two-pass, biased) variance are summed in double, each
 * row's sum as four interleaved partial sums in a fixed order (so the adds do not wait on each other), and
 * {@code rstd = 1/sqrt(var + eps)} is formed in double; the element-wise work (the deviations {@code x - mean},
 * {@code y = (x - mean) rstd gamma + beta}, the backward's {@code dy gamma}, {@code xhat} and {@code dx}) is in float
 * so that it vectorises (a few roundings, far inside the conformance bound, which allows float sums in any order).
 * The backward's row sums {@code sum dy gamma} and {@code sum dy gamma xhat} are in double; the column sums of the
 * parameter gradients in float, one accumulator per column over the rows in order (vectorised across columns),
 * within the conformance bound {@code (rows + 4) eps sum |dy xhat|}. Stateless.
 */
final class LayerNormLoops {
    private LayerNormLoops() {}

    /** Rows {@code [from, to)} of the forward; writes y, mean and rstd. */
    static void forward(FloatBuffer x, int xo, int d, FloatBuffer gamma, int go, FloatBuffer beta, int bo, float eps,
                        FloatBuffer y, int yo, FloatBuffer mean, int mo, FloatBuffer rstd, int ro, int from, int to) {
        float[] a = Scratch.floats(0);
        float[] g = Scratch.floats(1);
        float[] b = Scratch.floats(2);
        for (int r = from; r < to; r++) {
            int xb = xo + r * d;
            double sum = 0;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xb + c, a, 0, w);
                sum += sum(a, w);
            }
            double mu = sum / d;
            float muF = (float) mu;
            double squares = 0;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xb + c, a, 0, w);
                for (int j = 0; j < w; j++) {
                    a[j] -= muF;
                }
                squares += dot(a, a, w);
            }
            double rs = 1 / Math.sqrt(squares / d + eps);
            float rsF = (float) rs;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xb + c, a, 0, w);
                gamma.get(go + c, g, 0, w);
                beta.get(bo + c, b, 0, w);
                for (int j = 0; j < w; j++) {
                    a[j] = (a[j] - muF) * rsF * g[j] + b[j];
                }
                y.put(yo + r * d + c, a, 0, w);
            }
            mean.put(mo + r, muF);
            rstd.put(ro + r, rsF);
        }
    }

    /** Columns {@code [from, to)} of {@code dGamma += sum_r dy xhat} and {@code dBeta += sum_r dy}. */
    static void parameterGradients(FloatBuffer x, int xo, int n, int d, FloatBuffer mean, int mo, FloatBuffer rstd,
                                   int ro, FloatBuffer dy, int dyo, FloatBuffer dGamma, int dgo, FloatBuffer dBeta,
                                   int dbo, int from, int to) {
        float[] a = Scratch.floats(0);
        float[] e = Scratch.floats(1);
        float[] sg = Scratch.floats(2);
        float[] sb = Scratch.floats(3);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int w = Math.min(Scratch.CHUNK, to - c);
            java.util.Arrays.fill(sg, 0, w, 0f);
            java.util.Arrays.fill(sb, 0, w, 0f);
            for (int r = 0; r < n; r++) {
                float mu = mean.get(mo + r);
                float rs = rstd.get(ro + r);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                for (int j = 0; j < w; j++) {   // one float accumulator per column, rows in order
                    sg[j] += e[j] * ((a[j] - mu) * rs);
                    sb[j] += e[j];
                }
            }
            for (int j = 0; j < w; j++) {
                dGamma.put(dgo + c + j, dGamma.get(dgo + c + j) + sg[j]);
                dBeta.put(dbo + c + j, dBeta.get(dbo + c + j) + sb[j]);
            }
        }
    }

    /** Rows {@code [from, to)} of {@code dx = rstd (g - mean(g) - xhat mean(g xhat))}, {@code g = dy gamma}; dx may be dy. */
    static void inputGradient(FloatBuffer x, int xo, int d, FloatBuffer gamma, int go, FloatBuffer mean, int mo,
                              FloatBuffer rstd, int ro, FloatBuffer dy, int dyo, FloatBuffer dx, int dxo, int from,
                              int to) {
        float[] a = Scratch.floats(0);
        float[] e = Scratch.floats(1);
        float[] g = Scratch.floats(2);
        for (int r = from; r < to; r++) {
            float mu = mean.get(mo + r);
            float rs = rstd.get(ro + r);
            double sumG = 0;
            double sumGXhat = 0;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                gamma.get(go + c, g, 0, w);
                for (int j = 0; j < w; j++) {
                    e[j] *= g[j];                  // g = dy gamma
                    a[j] = (a[j] - mu) * rs;       // xhat
                }
                sumG += sum(e, w);
                sumGXhat += dot(e, a, w);
            }
            float meanG = (float) (sumG / d);
            float meanGXhat = (float) (sumGXhat / d);
            for (int c = 0; c < d; c += Scratch.CHUNK) {   // reads dy before writing dx: in place is fine
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                gamma.get(go + c, g, 0, w);
                for (int j = 0; j < w; j++) {
                    float xhat = (a[j] - mu) * rs;
                    e[j] = rs * (e[j] * g[j] - meanG - xhat * meanGXhat);
                }
                dx.put(dxo + r * d + c, e, 0, w);
            }
        }
    }

    /** {@code sum a[0..w)} in double, four interleaved partial sums (a fixed order) so the adds do not wait in line. */
    private static double sum(float[] a, int w) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 4 <= w; j += 4) {
            s0 += a[j];
            s1 += a[j + 1];
            s2 += a[j + 2];
            s3 += a[j + 3];
        }
        for (; j < w; j++) {
            s0 += a[j];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** {@code sum a[j] b[j]} over {@code [0, w)}, products and sums in double, as {@link #sum}. */
    private static double dot(float[] a, float[] b, int w) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int j = 0;
        for (; j + 4 <= w; j += 4) {
            s0 += (double) a[j] * b[j];
            s1 += (double) a[j + 1] * b[j + 1];
            s2 += (double) a[j + 2] * b[j + 2];
            s3 += (double) a[j + 3] * b[j + 3];
        }
        for (; j < w; j++) {
            s0 += (double) a[j] * b[j];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
