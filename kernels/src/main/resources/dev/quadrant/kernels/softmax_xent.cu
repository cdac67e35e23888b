// softmax_xent.cu -- per-sample softmax cross-entropy and mean squared error, forward and backward.
//
// Parallelisation: one warp per row (8 rows per 256-thread block). A row is a sample's logits: tens to a few
// thousand classes, too short to share across blocks and too long for one thread to stream efficiently. Each lane
// strides over the row (coalesced), then the row max and the sum of exponentials are combined with warp shuffles:
// no shared memory, no __syncthreads, and a warp leaves as a whole when its row is past the end. Numerically
// stable: the row max is subtracted before exp. expf/logf (not the fast intrinsics) keep the loss within a few
// ulp of the float64 reference. mse_backward is purely element-wise (one thread per element).
//
// Labels are not checked on the device (that would need a host synchronisation); a label outside [0, cols) gives
// a NaN loss and a gradient without the one-hot term, so it shows up in the loss instead of reading out of bounds.

__device__ __forceinline__ void qd_row_max_sumexp(const float* x, int cols, int lane, float& m, float& s) {
    m = QD_NEG_INF;
    for (int j = lane; j < cols; j += QD_WARP) m = fmaxf(m, x[j]);
    m = qd_warp_max(m);
    s = 0.0f;
    for (int j = lane; j < cols; j += QD_WARP) s += expf(x[j] - m);
    s = qd_warp_sum(s);
}

// losses[r] = logsumexp(logits[r, :]) - logits[r, labels[r]]
extern "C" __global__ void softmax_xent_forward_f32(const float* logits, const int* labels, float* losses,
                                                    int rows, int cols) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    const float* x = logits + (i64)r * cols;
    float m, s;
    qd_row_max_sumexp(x, cols, lane, m, s);
    if (lane == 0) {
        int y = labels[r];
        losses[r] = (y >= 0 && y < cols) ? logf(s) + m - x[y] : QD_NAN;
    }
}

// dlogits[r, j] = scale * (softmax(logits[r, :])[j] - (j == labels[r]))
extern "C" __global__ void softmax_xent_backward_f32(const float* logits, const int* labels, float scale,
                                                     float* dlogits, int rows, int cols) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;
    const float* x = logits + (i64)r * cols;
    float* d = dlogits + (i64)r * cols;
    float m, s;
    qd_row_max_sumexp(x, cols, lane, m, s);
    int y = labels[r];
    float inv = 1.0f / s;
    for (int j = lane; j < cols; j += QD_WARP) {
        float p = expf(x[j] - m) * inv;
        d[j] = scale * (j == y ? p - 1.0f : p);
    }
}

// losses[r] = mean over j of (pred[r, j] - target[r, j])^2
extern "C" __global__ void mse_forward_f32(const float* pred, const float* target, float* losses, int rows, int cols) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;
    const float* p = pred + (i64)r * cols;
    const float* t = target + (i64)r * cols;
    float s = 0.0f;
    for (int j = lane; j < cols; j += QD_WARP) {
        float e = p[j] - t[j];
        s += e * e;
    }
    s = qd_warp_sum(s);
    if (lane == 0) losses[r] = s / (float)cols;
}

// dpred = scale * 2 * (pred - target) / cols, element-wise over n = rows * cols
extern "C" __global__ void mse_backward_f32(const float* pred, const float* target, float scale, float* dpred,
                                            i64 n, int cols) {
    float k = 2.0f * scale / (float)cols;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) dpred[i] = k * (pred[i] - target[i]);
}
