// optimizers.cu -- fused SGD (momentum, Nesterov) and Adam/AdamW updates over a flat parameter buffer.
//
// Parallelisation: one thread per parameter in a grid-stride loop. Every parameter, gradient and state element is
// read once and written once per step: the update is memory-bound, and fusing it into one kernel over the whole
// flat buffer (rather than a kernel per tensor or per arithmetic step) is what makes it cheap. Semantics follow
// PyTorch (torch.optim.SGD / Adam / AdamW); the bias corrections are computed by the launcher in double and
// passed as step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t).

extern "C" __global__ void sgd_update_f32(float* param, const float* grad, float* velocity, i64 n, float lr,
                                          float momentum, int nesterov, float weight_decay) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float g = grad[i];
        if (weight_decay != 0.0f) g += weight_decay * param[i];
        if (momentum != 0.0f) {
            float v = momentum * velocity[i] + g;
            velocity[i] = v;
            g = nesterov ? g + momentum * v : v;
        }
        param[i] -= lr * g;
    }
}

extern "C" __global__ void adam_update_f32(float* param, const float* grad, float* m, float* v, i64 n, float lr,
                                           float beta1, float beta2, float eps, float weight_decay, int decoupled,
                                           float step_size, float bc2_sqrt) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float p = param[i];
        float g = grad[i];
        if (weight_decay != 0.0f) {
            if (decoupled) p *= 1.0f - lr * weight_decay;
            else g += weight_decay * p;
        }
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - step_size * mi / (sqrtf(vi) / bc2_sqrt + eps);
    }
}
