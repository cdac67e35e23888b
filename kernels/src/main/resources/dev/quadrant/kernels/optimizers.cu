// optimizers.cu -- fused SGD (momentum, Nesterov) and Adam/AdamW updates over a flat parameter buffer.
//
// Parallelisation: one thread per parameter in a grid-stride loop. Every parameter, gradient and state element is
// read once and written once per step: the update is memory-bound, and fusing it into one kernel over the whole
// flat buffer (rather than a kernel per tensor or per arithmetic step) is what makes it cheap. Semantics follow
// PyTorch (torch.optim.SGD / Adam / AdamW); the bias corrections are computed by the launcher in double and
// passed as step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t).
//
// guard (may be null): the gradient statistics of the step (dev.quadrant.device.GradientStats, written by
// grad_stats_finish on the same stream). A flagged non-finite gradient makes the whole update a no-op; otherwise
// each gradient is multiplied by the clipping factor (skipped when it is exactly 1, so an unclipped guarded update is
// bit for bit an unguarded one). Adam's bias corrections use the updates applied, calls - skipped: when updates were
// skipped every thread recomputes them in double from that count (the same value in every thread), else the
// launcher's are used. No host read anywhere: this is how a step avoids synchronising.
//
// param16 (may be null): the bf16 copy of the parameters that GEMMs at bf16 precision read; each updated parameter is
// written there too, rounded to nearest even (qd_f32_to_bf16), in the same pass: 2 bytes more per parameter instead of
// a separate cast kernel's 6. A skipped update leaves both alone, so they stay consistent.

extern "C" __global__ void sgd_update_f32(float* param, const float* grad, float* velocity, i64 n, float lr,
                                          float momentum, int nesterov, float weight_decay, const float* guard,
                                          bf16_bits* param16) {
    float factor = 1.0f;
    if (guard != nullptr) {
        if (guard[1] != 0.0f) return;
        factor = guard[2];
    }
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float g = grad[i];
        if (factor != 1.0f) g *= factor;
        if (weight_decay != 0.0f) g += weight_decay * param[i];
        if (momentum != 0.0f) {
            float v = momentum * velocity[i] + g;
            velocity[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        float p = param[i] - lr * g;
        param[i] = p;
        if (param16 != nullptr) param16[i] = qd_f32_to_bf16(p);
    }
}

extern "C" __global__ void adam_update_f32(float* param, const float* grad, float* m, float* v, i64 n, float lr,
                                           float beta1, float beta2, float eps, float weight_decay, int decoupled,
                                           float step_size, float bc2_sqrt, const float* guard, int calls,
                                           bf16_bits* param16) {
    float factor = 1.0f;
    if (guard != nullptr) {
        if (guard[1] != 0.0f) return;
        factor = guard[2];
        int t = calls - (int)guard[3];
        if (t != calls) {
            step_size = (float)((double)lr / (1.0 - pow((double)beta1, (double)t)));
            bc2_sqrt = (float)sqrt(1.0 - pow((double)beta2, (double)t));
        }
    }
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float p = param[i];
        float g = grad[i];
        if (factor != 1.0f) g *= factor;
        if (weight_decay != 0.0f) {
            if (decoupled) p *= 1.0f - lr * weight_decay;
            else g += weight_decay * p;
        }
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float np = p - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
        param[i] = np;
        if (param16 != nullptr) param16[i] = qd_f32_to_bf16(np);
    }
}
