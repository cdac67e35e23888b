package dev.quadrant.device.cuda;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DropoutHash;

/**
 * Float64 references of the backend ops over Java arrays (row-major), left for {@code EmulatedKernelsTest} until it
 * compares with {@link dev.quadrant.device.reference.ReferenceBackend} like {@link SelfTest} does; then this class
 * goes. Each method is the {@link dev.quadrant.device.Backend} contract written as plainly as possible. Stateless and
 * thread-safe.
 */
final class Reference {
    private Reference() {}

    /** {@code c = alpha op(a) op(b) + beta c}; also returns in {@code mag} the sums of |products| (error scale). */
    static double[] gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta,
                         float[] c, double[] mag) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double g = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[p * m + i] : a[i * k + p];
                    double bv = tb ? b[j * k + p] : b[p * n + j];
                    s += av * bv;
                    g += Math.abs(av * bv);
                }
                out[i * n + j] = alpha * s + (beta == 0 ? 0 : (double) beta * c[i * n + j]);
                mag[i * n + j] = Math.abs(alpha) * g + Math.abs(beta * c[i * n + j]);
            }
        }
        return out;
    }

    static double[] activation(Activation f, float[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = f.reference(x[i]);
        }
        return y;
    }

    static double[] activationBackward(Activation f, float[] x, float[] dy) {
        double[] dx = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            dx[i] = dy[i] * f.referenceDerivative(x[i]);
        }
        return dx;
    }

    static float[] dropout(int n, float p, long seed) {
        float keep = p < 1f ? 1f / (1f - p) : 0f;
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = DropoutHash.uniform(seed, i) < p ? 0f : keep;
        }
        return m;
    }

    static double[] softmaxXent(float[] logits, int[] labels, int rows, int cols) {
        double[] loss = new double[rows];
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                mx = Math.max(mx, logits[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(logits[r * cols + j] - mx);
            }
            loss[r] = Math.log(s) + mx - logits[r * cols + labels[r]];
        }
        return loss;
    }

    static double[] softmaxXentBackward(float[] logits, int[] labels, float scale, int rows, int cols) {
        double[] d = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                mx = Math.max(mx, logits[r * cols + j]);
            }
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += Math.exp(logits[r * cols + j] - mx);
            }
            for (int j = 0; j < cols; j++) {
                double p = Math.exp(logits[r * cols + j] - mx) / s;
                d[r * cols + j] = scale * (p - (j == labels[r] ? 1 : 0));
            }
        }
        return d;
    }

    static int[] argmax(float[] x, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int j = 1; j < cols; j++) {
                if (x[r * cols + j] > x[r * cols + best]) {
                    best = j;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** PyTorch SGD on copies; returns {param, velocity}. */
    static double[][] sgd(float[] p, float[] g, float[] v, float lr, float mom, boolean nesterov, float wd) {
        double[] np = new double[p.length];
        double[] nv = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + (double) wd * p[i];
            double vi = v[i];
            if (mom != 0) {
                vi = mom * vi + gi;
                gi = nesterov ? gi + mom * vi : vi;
            }
            np[i] = p[i] - lr * gi;
            nv[i] = vi;
        }
        return new double[][] {np, nv};
    }

    /** PyTorch Adam/AdamW on copies; returns {param, m, v}. */
    static double[][] adam(float[] p, float[] g, float[] m, float[] v, float lr, float b1, float b2, float eps, float wd,
                           boolean decoupled, int step) {
        double[] np = new double[p.length];
        double[] nm = new double[p.length];
        double[] nv = new double[p.length];
        double bc1 = 1 - Math.pow(b1, step);
        double bc2 = 1 - Math.pow(b2, step);
        for (int i = 0; i < p.length; i++) {
            double pi = p[i];
            double gi = g[i];
            if (decoupled) {
                pi *= 1 - (double) lr * wd;
            } else {
                gi += (double) wd * pi;
            }
            nm[i] = b1 * (double) m[i] + (1 - (double) b1) * gi;
            nv[i] = b2 * (double) v[i] + (1 - (double) b2) * gi * gi;
            np[i] = pi - lr / bc1 * nm[i] / (Math.sqrt(nv[i]) / Math.sqrt(bc2) + eps);
        }
        return new double[][] {np, nm, nv};
    }

    /** float32 -> bf16 bits, round to nearest even, NaN kept. */
    static short toBf16(float f) {
        int b = Float.floatToRawIntBits(f);
        if ((b & 0x7fffffff) > 0x7f800000) {
            return (short) ((b >>> 16) | 0x0040);
        }
        b += 0x7fff + ((b >>> 16) & 1);
        return (short) (b >>> 16);
    }
}
