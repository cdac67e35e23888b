package dev.quadrant.device.reference;

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
}
