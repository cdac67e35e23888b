package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

/**
 * LayerNorm loops of {@link CpuBackend} over rows of {@code x [n, d]}, streamed {@link Scratch#CHUNK} columns at a
 * time through per-thread arrays.
 *
 * <p>Parallelisation: the forward and {@code dx} over rows (independent); {@code dGamma} and {@code dBeta} over
 * columns, each thread summing whole columns over all rows in row order, so the accumulation is race-free and the
 * same for every thread count. Numerics: mean and the (two-pass, biased) variance are summed in double and
 * {@code rstd = 1/sqrt(var + eps)} is formed in double; {@code y = (x - mean) rstd gamma + beta} is evaluated in
 * float so that it vectorises (a few roundings, far inside the conformance bound). The backward's row sums
 * {@code sum dy gamma} and {@code sum dy gamma xhat} and the column sums of the parameter gradients are in double.
 * Stateless.
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
                for (int j = 0; j < w; j++) {
                    sum += a[j];
                }
            }
            double mu = sum / d;
            double squares = 0;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xb + c, a, 0, w);
                for (int j = 0; j < w; j++) {
                    double dev = a[j] - mu;
                    squares += dev * dev;
                }
            }
            double rs = 1 / Math.sqrt(squares / d + eps);
            float muF = (float) mu;
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
        double[] sg = Scratch.doubles(0);
        double[] sb = Scratch.doubles(1);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int w = Math.min(Scratch.CHUNK, to - c);
            java.util.Arrays.fill(sg, 0, w, 0);
            java.util.Arrays.fill(sb, 0, w, 0);
            for (int r = 0; r < n; r++) {
                double mu = mean.get(mo + r);
                double rs = rstd.get(ro + r);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                for (int j = 0; j < w; j++) {
                    sg[j] += e[j] * ((a[j] - mu) * rs);
                    sb[j] += e[j];
                }
            }
            for (int j = 0; j < w; j++) {
                dGamma.put(dgo + c + j, (float) (dGamma.get(dgo + c + j) + sg[j]));
                dBeta.put(dbo + c + j, (float) (dBeta.get(dbo + c + j) + sb[j]));
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
            double mu = mean.get(mo + r);
            double rs = rstd.get(ro + r);
            double sumG = 0;
            double sumGXhat = 0;
            for (int c = 0; c < d; c += Scratch.CHUNK) {
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                gamma.get(go + c, g, 0, w);
                for (int j = 0; j < w; j++) {
                    double gj = (double) e[j] * g[j];
                    sumG += gj;
                    sumGXhat += gj * ((a[j] - mu) * rs);
                }
            }
            double meanG = sumG / d;
            double meanGXhat = sumGXhat / d;
            for (int c = 0; c < d; c += Scratch.CHUNK) {   // reads dy before writing dx: in place is fine
                int w = Math.min(Scratch.CHUNK, d - c);
                x.get(xo + r * d + c, a, 0, w);
                dy.get(dyo + r * d + c, e, 0, w);
                gamma.get(go + c, g, 0, w);
                for (int j = 0; j < w; j++) {
                    double xhat = (a[j] - mu) * rs;
                    e[j] = (float) (rs * ((double) e[j] * g[j] - meanG - xhat * meanGXhat));
                }
                dx.put(dxo + r * d + c, e, 0, w);
            }
        }
    }
}
