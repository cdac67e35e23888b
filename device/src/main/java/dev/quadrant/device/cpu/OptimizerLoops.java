package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

/**
 * Fused optimizer updates of {@link CpuBackend} over elements {@code [from, to)} of flat buffers, in float32 and in
 * the order of operations of PyTorch's {@code torch.optim} for-loop implementations, so that results match PyTorch
 * to rounding. Per-call scalars (bias corrections) are formed once in double by the caller. Stateless.
 *
 * <p>The loops copy {@link Scratch#CHUNK} elements at a time from the direct buffers into small per-thread arrays (bulk
 * {@code get}, a memcpy), update them there and copy them back: HotSpot vectorises loops over arrays but not over
 * direct buffers' absolute {@code get}/{@code put}, and these loops are memory-bound passes over every parameter.
 */
final class OptimizerLoops {
    private OptimizerLoops() {}

    /**
     * The clipping factor of a guarded update ({@code dev.quadrant.device.GradientStats}): {@code g *= factor}, in
     * float, exactly what scaling the gradient buffer before the update did; a factor of 1 is skipped (bit for bit
     * the same). Every loop below applies it to its chunk of gradients first.
     */
    private static void clip(float[] ga, int n, float factor) {
        if (factor != 1f) {
            for (int i = 0; i < n; i++) {
                ga[i] *= factor;
            }
        }
    }

    /** SGD without momentum: {@code p -= lr * (g + wd * p)}. */
    static void sgd(FloatBuffer p, int po, FloatBuffer g, int go, float factor, float lr, float wd, int from, int to) {
        float[] pa = Scratch.floats(0);
        float[] ga = Scratch.floats(1);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            p.get(po + c, pa, 0, n);
            g.get(go + c, ga, 0, n);
            clip(ga, n, factor);
            for (int i = 0; i < n; i++) {
                float pi = pa[i];
                pa[i] = pi - lr * (ga[i] + wd * pi);
            }
            p.put(po + c, pa, 0, n);
        }
    }

    /** SGD with momentum (and Nesterov): {@code v = mu v + g; g = nesterov ? g + mu v : v; p -= lr g}. */
    static void sgdMomentum(FloatBuffer p, int po, FloatBuffer g, int go, float factor, FloatBuffer v, int vo, float lr, float mu,
                            boolean nesterov, float wd, int from, int to) {
        float[] pa = Scratch.floats(0);
        float[] ga = Scratch.floats(1);
        float[] va = Scratch.floats(2);
        float nest = nesterov ? 1f : 0f;
        float keep = nesterov ? 0f : 1f;
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            p.get(po + c, pa, 0, n);
            g.get(go + c, ga, 0, n);
            clip(ga, n, factor);
            v.get(vo + c, va, 0, n);
            for (int i = 0; i < n; i++) {
                float pi = pa[i];
                float gi = ga[i] + wd * pi;
                float vi = mu * va[i] + gi;
                va[i] = vi;
                // nesterov: g + mu v; plain: v (selected arithmetically so the loop has no branch)
                float step = nest * (gi + mu * vi) + keep * vi;
                pa[i] = pi - lr * step;
            }
            v.put(vo + c, va, 0, n);
            p.put(po + c, pa, 0, n);
        }
    }

    /**
     * Adam / AdamW: {@code decay} is {@code 1 - lr * wd} for AdamW and 1 otherwise; {@code wdGrad} is {@code wd}
     * for Adam and 0 for AdamW; {@code stepSize = lr / (1 - beta1^t)}; {@code invBc2Sqrt = 1 / sqrt(1 - beta2^t)}.
     * {@code m += (1 - b1)(g - m)}, {@code v = b2 v + (1 - b2) g^2}, {@code p -= stepSize m / (sqrt(v) invBc2Sqrt + eps)}.
     * PyTorch divides by {@code sqrt(1 - beta2^t)}; multiplying by the reciprocal saves a division per element and
     * differs by at most one rounding.
     */
    static void adam(FloatBuffer p, int po, FloatBuffer g, int go, float factor, FloatBuffer m, int mo, FloatBuffer v, int vo,
                     float decay, float wdGrad, float beta1, float beta2, float eps, float stepSize, float invBc2Sqrt,
                     int from, int to) {
        float oneMinusB1 = 1f - beta1;
        float oneMinusB2 = 1f - beta2;
        float[] pa = Scratch.floats(0);
        float[] ga = Scratch.floats(1);
        float[] ma = Scratch.floats(2);
        float[] va = Scratch.floats(3);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            p.get(po + c, pa, 0, n);
            g.get(go + c, ga, 0, n);
            clip(ga, n, factor);
            m.get(mo + c, ma, 0, n);
            v.get(vo + c, va, 0, n);
            for (int i = 0; i < n; i++) {
                float pi = pa[i] * decay;
                float gi = ga[i] + wdGrad * pi;
                float mi = ma[i];
                mi += oneMinusB1 * (gi - mi);
                float vi = beta2 * va[i] + oneMinusB2 * gi * gi;
                ma[i] = mi;
                va[i] = vi;
                float denom = (float) Math.sqrt(vi) * invBc2Sqrt + eps;
                pa[i] = pi - stepSize * mi / denom;
            }
            m.put(mo + c, ma, 0, n);
            v.put(vo + c, va, 0, n);
            p.put(po + c, pa, 0, n);
        }
    }
}
