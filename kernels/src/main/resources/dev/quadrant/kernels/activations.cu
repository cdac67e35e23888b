// activations.cu -- ReLU, GELU (tanh approximation), tanh: forward y = f(x) and backward dx = dy * f'(x).
//
// Parallelisation: one thread per element in a grid-stride loop, as in elementwise.cu: memory-bound, so the aim
// is coalesced access. y may alias x and dx may alias dy (each element is read then written by one thread), so
// no __restrict__. GELU uses tanhf (not the fast intrinsic) so that it stays within a few ulp of the float64
// reference in dev.quadrant.device.Activation.

#define QD_GELU_C 0.7978845608028654f   // sqrt(2 / pi)
#define QD_GELU_K 0.044715f

extern "C" __global__ void relu_forward_f32(const float* x, float* y, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float v = x[i];
        y[i] = (v > 0.0f || v != v) ? v : 0.0f;   // NaN stays NaN (as PyTorch): a diverged layer cannot hide
    }
}

extern "C" __global__ void relu_backward_f32(const float* x, const float* dy, float* dx, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) dx[i] = x[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" __global__ void gelu_forward_f32(const float* x, float* y, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float v = x[i];
        float t = tanhf(QD_GELU_C * (v + QD_GELU_K * v * v * v));
        y[i] = 0.5f * v * (1.0f + t);
    }
}

extern "C" __global__ void gelu_backward_f32(const float* x, const float* dy, float* dx, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float v = x[i];
        float t = tanhf(QD_GELU_C * (v + QD_GELU_K * v * v * v));
        float du = QD_GELU_C * (1.0f + 3.0f * QD_GELU_K * v * v);
        float d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * du;
        dx[i] = dy[i] * d;
    }
}

extern "C" __global__ void tanh_forward_f32(const float* x, float* y, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) y[i] = tanhf(x[i]);
}

extern "C" __global__ void tanh_backward_f32(const float* x, const float* dy, float* dx, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float t = tanhf(x[i]);
        dx[i] = dy[i] * (1.0f - t * t);
    }
}
