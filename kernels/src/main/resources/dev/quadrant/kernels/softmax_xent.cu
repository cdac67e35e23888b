// softmax_xent.cu -- per-sample softmax cross-entropy and mean squared error, forward and backward.
//
// Parallelisation:
//  - softmax_xent_*: one 256-thread block per row. A row is a sample's (or a token's) logits: from ten classes to a
//    language model's vocabulary of 50k and more. A block strides over the row (coalesced), then the row max and the
//    sum of exponentials are combined with a block reduction (qd_block_max / qd_block_sum in common.cuh): a warp per
//    row would leave a 50k-class row to 32 threads, and the grid of one block per row fills the GPU for any batch of
//    tokens. The block leaves as a whole for an ignored row (labels[r] == IGNORE_INDEX, -1): loss 0, gradient row 0.
//    Numerically stable: the row max is subtracted before exp. expf/logf (not the fast intrinsics) keep the loss
//    within a few ulp of the float64 reference. Two passes over the row (max, then sum); the backward makes a third
//    to write the gradient.
//  - mse_forward: one warp per row (8 rows per 256-thread block): regression targets are short rows; a warp leaves as
//    a whole when its row is past the end. mse_backward is purely element-wise (one thread per element).
//
// Labels are not checked on the device (that would need a host synchronisation); a label outside [0, cols) other
// than IGNORE_INDEX gives a NaN loss and a gradient without the one-hot term, so it shows up in the loss instead of
// reading out of bounds.

// m = max of x[0, cols), s = sum of exp(x[j] - m), both returned to every thread of the block
__device__ __forceinline__ void qd_block_row_max_sumexp(const float* x, int cols, float& m, float& s) {
    float lm = QD_NEG_INF;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) lm = fmaxf(lm, x[j]);
    m = qd_block_max(lm);
    float ls = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) ls += expf(x[j] - m);
    s = qd_block_sum(ls);
}

// losses[r] = logsumexp(logits[r, :]) - logits[r, labels[r]]; 0 where labels[r] == IGNORE_INDEX. Grid: rows blocks.
extern "C" __global__ void softmax_xent_forward_f32(const float* logits, const int* labels, float* losses,
                                                    int rows, int cols) {
    int r = blockIdx.x;
    if (r >= rows) return;   // block-uniform
    int y = labels[r];
    if (y == QD_IGNORE_INDEX) {   // block-uniform: the whole block leaves before any barrier
        if (threadIdx.x == 0) losses[r] = 0.0f;
        return;
    }
    const float* x = logits + (i64)r * cols;
    float m, s;
    qd_block_row_max_sumexp(x, cols, m, s);
    if (threadIdx.x == 0) losses[r] = (y >= 0 && y < cols) ? logf(s) + m - x[y] : QD_NAN;
}

// dlogits[r, j] = scale * (softmax(logits[r, :])[j] - (j == labels[r])); a zero row where labels[r] == IGNORE_INDEX.
// Grid: rows blocks.
extern "C" __global__ void softmax_xent_backward_f32(const float* logits, const int* labels, float scale,
                                                     float* dlogits, int rows, int cols) {
    int r = blockIdx.x;
    if (r >= rows) return;   // block-uniform
    const float* x = logits + (i64)r * cols;
    float* d = dlogits + (i64)r * cols;
    int y = labels[r];
    if (y == QD_IGNORE_INDEX) {   // block-uniform
        for (int j = threadIdx.x; j < cols; j += blockDim.x) d[j] = 0.0f;
        return;
    }
    float m, s;
    qd_block_row_max_sumexp(x, cols, m, s);
    float inv = 1.0f / s;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) {
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
