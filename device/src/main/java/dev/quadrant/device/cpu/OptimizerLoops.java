package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

/**
 * Fused optimizer updates of {@link CpuBackend} over elements {@code [from, to)} of flat buffers, in float32 and in
 * the order of operations of PyTorch's {@code torch.optim} for-loop implementations, so that results match PyTorch
 * to rounding. Per-call scalars (bias corrections) are formed once in double by the caller. Stateless.
 */
final class OptimizerLoops {
    private OptimizerLoops() {}

    /** SGD without momentum: {@code p -= lr * (g + wd * p)}. */
    static void sgd(FloatBuffer p, int po, FloatBuffer g, int go, float lr, float wd, int from, int to) {
        for (int i = from; i < to; i++) {
            float pi = p.get(po + i);
            float gi = g.get(go + i) + wd * pi;
            p.put(po + i, pi - lr * gi);
        }
    }

    /** SGD with momentum (and Nesterov): {@code v = mu v + g; g = nesterov ? g + mu v : v; p -= lr g}. */
    static void sgdMomentum(FloatBuffer p, int po, FloatBuffer g, int go, FloatBuffer v, int vo, float lr, float mu,
                            boolean nesterov, float wd, int from, int to) {
        for (int i = from; i < to; i++) {
            float pi = p.get(po + i);
            float gi = g.get(go + i) + wd * pi;
            float vi = mu * v.get(vo + i) + gi;
            v.put(vo + i, vi);
            float step = nesterov ? gi + mu * vi : vi;
            p.put(po + i, pi - lr * step);
        }
    }

    /**
     * Adam / AdamW: {@code decay} is {@code 1 - lr * wd} for AdamW and 1 otherwise; {@code wdGrad} is {@code wd}
     * for Adam and 0 for AdamW; {@code stepSize = lr / (1 - beta1^t)}; {@code invBc2Sqrt = 1 / sqrt(1 - beta2^t)}.
     * {@code m += (1 - b1)(g - m)}, {@code v = b2 v + (1 - b2) g^2}, {@code p -= stepSize m / (sqrt(v) invBc2Sqrt + eps)}.
     * PyTorch divides by {@code sqrt(1 - beta2^t)}; multiplying by the reciprocal saves a division per element and
     * differs by at most one rounding.
     */
    static void adam(FloatBuffer p, int po, FloatBuffer g, int go, FloatBuffer m, int mo, FloatBuffer v, int vo,
                     float decay, float wdGrad, float beta1, float beta2, float eps, float stepSize, float invBc2Sqrt,
                     int from, int to) {
        float oneMinusB1 = 1f - beta1;
        float oneMinusB2 = 1f - beta2;
        for (int i = from; i < to; i++) {
            float pi = p.get(po + i) * decay;
            float gi = g.get(go + i) + wdGrad * pi;
            float mi = m.get(mo + i);
            mi += oneMinusB1 * (gi - mi);
            float vi = beta2 * v.get(vo + i) + oneMinusB2 * gi * gi;
            m.put(mo + i, mi);
            v.put(vo + i, vi);
            float denom = (float) Math.sqrt(vi) * invBc2Sqrt + eps;
            p.put(po + i, pi - stepSize * mi / denom);
        }
    }
}
