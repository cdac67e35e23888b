package dev.quadrant.device.reference;

import dev.quadrant.device.GradientStats;

/** Float64 SGD (momentum, Nesterov, weight decay) and Adam / AdamW steps, PyTorch semantics. Stateless. */
final class OptimizerOps {
    private OptimizerOps() {}

    /** Returns {@code {param, velocity}}; velocity is null (and not read) when {@code momentum == 0}. */
    static double[][] sgdUpdate(double[] param, double[] grad, double[] velocity, double lr, double momentum,
                                boolean nesterov, double weightDecay) {
        double[] p = param.clone();
        double[] v = momentum != 0 ? velocity.clone() : null;
        for (int i = 0; i < p.length; i++) {
            double g = grad[i] + weightDecay * p[i];
            if (momentum != 0) {
                v[i] = momentum * v[i] + g;
                g = nesterov ? g + momentum * v[i] : v[i];
            }
            p[i] -= lr * g;
        }
        return new double[][] {p, v};
    }

    /** Returns {@code {param, m, v}} after step {@code step} (counting from 1). */
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
            p[i] -= lr * (mo[i] / bc1) / (Math.sqrt(vo[i] / bc2) + eps);
        }
        return new double[][] {p, mo, vo};
    }

    /**
     * The {@link dev.quadrant.device.GradientStats} tensor after one call over {@code grad}, from its previous
     * contents {@code before}; the factor is the float64 one, {@code maxNorm / (norm + 1e-6)}.
     */
    static double[] gradientStats(double[] grad, double maxNorm, long step, double[] before) {
        double sq = 0;
        long first = -1;
        for (int i = 0; i < grad.length; i++) {
            if (!Double.isFinite(grad[i]) && first < 0) {
                first = i;
            }
            sq += grad[i] * grad[i];
        }
        double norm = Math.sqrt(sq);
        double[] s = before.clone();
        s[GradientStats.NORM] = maxNorm > 0 ? norm : Double.NaN;   // no clipping: no norm (Backend#gradientStats)
        s[GradientStats.NON_FINITE] = first >= 0 ? 1 : 0;
        s[GradientStats.FACTOR] = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
        if (first >= 0) {
            if (s[GradientStats.SKIPPED] == 0) {
                s[GradientStats.FIRST_STEP] = GradientStats.high(step);
                s[GradientStats.FIRST_STEP + 1] = GradientStats.low(step);
                s[GradientStats.FIRST_INDEX] = GradientStats.high(first);
                s[GradientStats.FIRST_INDEX + 1] = GradientStats.low(first);
            }
            s[GradientStats.SKIPPED] += 1;
        }
        return s;
    }
}
