// attention.cu -- causal (lower-triangular) softmax over attention scores [batch, T, T], forward and backward.
//
// Parallelisation: one warp per row (8 rows per 256-thread block); row r is query position i = r % T of matrix
// r / T and sees keys j <= i. A row is at most T floats (hundreds to a few thousand): a warp strides over it
// (coalesced), meets with shuffles (no shared memory, no __syncthreads), and leaves as a whole past the last row.
// Only the visible entries j <= i are read; the masked ones are written as 0, so a row of query 0 costs one element.
// The 1/sqrt(headDim) scale is applied by the GEMM that makes the scores. Stable: the row max is subtracted before
// expf (not the fast intrinsic, to stay within a few ulp of the float64 reference). probs may alias scores and
// dscores may alias dprobs: each lane reads its own elements before it writes them, after the reductions.

// probs[r, j] = exp(s[r, j] - max) / sum over k <= i of exp(s[r, k] - max) for j <= i, 0 for j > i
extern "C" __global__ void causal_softmax_forward_f32(const float* scores, float* probs, int rows, int t) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    int i = r % t;
    const float* s = scores + (i64)r * t;
    float m = QD_NEG_INF;
    for (int j = lane; j <= i; j += QD_WARP) m = fmaxf(m, s[j]);
    m = qd_warp_max(m);
    float z = 0.0f;
    for (int j = lane; j <= i; j += QD_WARP) z += expf(s[j] - m);
    float inv = 1.0f / qd_warp_sum(z);
    float* p = probs + (i64)r * t;
    for (int j = lane; j < t; j += QD_WARP) p[j] = j <= i ? expf(s[j] - m) * inv : 0.0f;
}

// dscores[r, j] = p[r, j] * (dp[r, j] - sum over k <= i of p[r, k] * dp[r, k]) for j <= i, 0 for j > i
extern "C" __global__ void causal_softmax_backward_f32(const float* probs, const float* dprobs, float* dscores,
                                                       int rows, int t) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    int i = r % t;
    const float* p = probs + (i64)r * t;
    const float* dp = dprobs + (i64)r * t;
    float s = 0.0f;
    for (int j = lane; j <= i; j += QD_WARP) s += p[j] * dp[j];
    s = qd_warp_sum(s);
    float* ds = dscores + (i64)r * t;
    for (int j = lane; j < t; j += QD_WARP) ds[j] = j <= i ? p[j] * (dp[j] - s) : 0.0f;
}
