// batchnorm.cu -- batch normalisation over channels-last x [rows, cols] (rows = N * H * W positions, cols = C
// channels): per-channel statistics as raw sums, the normalisation, the running statistics and the backward.
//
// Parallelisation and why:
//  - The per-channel reductions over the positions (batchnorm_centered_partials_f32: sum (x - mean)^2;
//    batchnorm_grad_partials_f32: sum dy and sum dy * xhat) are column sums, made deterministic without atomics as
//    the LayerNorm parameter gradients are (layernorm.cu): blocks of 32 x 8 threads own 32 adjacent channels of one
//    chunk of rows (blockIdx.x = chunk * column tiles + tile); the 8 thread rows stride over the chunk and meet in
//    shared memory in a fixed order, writing one partial per chunk, plane and channel; then batchnorm_finish_f32 (one
//    thread per output) adds the chunks in increasing order and WRITES the result. The chunking depends on the shape
//    only (Kernels.batchNormChunks), so results are bitwise reproducible on any GPU. Adjacent threads read adjacent
//    channels of one row (coalesced); with C < 32 part of each warp idles, which costs little: these kernels are
//    bound by the latency of one pass over x, a few MB at the ResNet sizes.
//  - The element-wise passes (batchnorm_forward_f32, batchnorm_backward_f32) are grid-stride loops over all
//    rows * cols elements, the channel j = i % cols; each thread forms its channel's mean = sum / count and
//    rstd = 1 / sqrtf(sqSum / count + eps) (not rsqrtf, to stay within a few ulp of the float64 reference) from the
//    [cols] inputs, which stay in L1. y may alias x and dx may alias dy: each element is read before it is written,
//    by the same thread.
//  - batchnorm_running_update_f32: one thread per channel.
// Numerics: float throughout; the two-pass variance (the caller passes the sum, the kernel sums the squares about its
// mean: no cancellation as with E[x^2] - E[x]^2). NaN propagates: a NaN in a channel's column makes its sums NaN.

// partials[chunk, c] = sum over the chunk's rows of (x[r, c] - sum[c] / count)^2. Blocks of 32 x 8 threads.
extern "C" __global__ void batchnorm_centered_partials_f32(const float* x, const float* sum, float* partials,
                                                           int rows, int cols, int chunk_rows, float count) {
    __shared__ float part[8][33];   // [blockDim.y][32 + 1 against bank conflicts]
    int tiles = (cols + 31) / 32;
    int chunk = blockIdx.x / tiles;
    int c = (blockIdx.x - chunk * tiles) * 32 + threadIdx.x;
    int r0 = chunk * chunk_rows;
    int r1 = min(rows, r0 + chunk_rows);
    float s = 0.0f;
    if (c < cols) {
        float m = sum[c] / count;
        for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
            float d = x[(i64)r * cols + c] - m;
            s += d * d;
        }
    }
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float t = 0.0f;
        for (int k = 0; k < (int)blockDim.y; k++) t += part[k][threadIdx.x];
        partials[(i64)chunk * cols + c] = t;
    }
}

// partials[chunk, 0, c] = sum over the chunk's rows of dy, partials[chunk, 1, c] = sum of dy * xhat, with
// xhat = (x - mean) * rstd from sum, sqSum, count and eps. Blocks of 32 x 8 threads.
extern "C" __global__ void batchnorm_grad_partials_f32(const float* x, const float* sum, const float* sq_sum,
                                                       const float* dy, float* partials, int rows, int cols,
                                                       int chunk_rows, float count, float eps) {
    __shared__ float part_b[8][33];
    __shared__ float part_g[8][33];
    int tiles = (cols + 31) / 32;
    int chunk = blockIdx.x / tiles;
    int c = (blockIdx.x - chunk * tiles) * 32 + threadIdx.x;
    int r0 = chunk * chunk_rows;
    int r1 = min(rows, r0 + chunk_rows);
    float sb = 0.0f, sg = 0.0f;
    if (c < cols) {
        float m = sum[c] / count;
        float rs = 1.0f / sqrtf(sq_sum[c] / count + eps);
        for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
            i64 e = (i64)r * cols + c;
            float d = dy[e];
            sb += d;
            sg += d * ((x[e] - m) * rs);
        }
    }
    part_b[threadIdx.y][threadIdx.x] = sb;
    part_g[threadIdx.y][threadIdx.x] = sg;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float tb = 0.0f, tg = 0.0f;
        for (int k = 0; k < (int)blockDim.y; k++) {
            tb += part_b[k][threadIdx.x];
            tg += part_g[k][threadIdx.x];
        }
        float* p = partials + (i64)chunk * 2 * cols;
        p[c] = tb;
        p[cols + c] = tg;
    }
}

// out[p, c] = sum over chunks k of partials[k, p, c], k increasing, for planes p < planes (1 or 2); WRITES out.
extern "C" __global__ void batchnorm_finish_f32(const float* partials, float* out, int chunks, int cols,
                                                int planes) {
    i64 n = (i64)planes * cols;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float t = 0.0f;
        for (int k = 0; k < chunks; k++) t += partials[(i64)k * n + i];
        out[i] = t;
    }
}

// y = (x - mean) * rstd * gamma + beta over n = rows * cols elements, channel i % cols; y may alias x
extern "C" __global__ void batchnorm_forward_f32(const float* x, const float* sum, const float* sq_sum,
                                                 const float* gamma, const float* beta, float* y, i64 n, int cols,
                                                 float count, float eps) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        int j = (int)(i % cols);
        float m = sum[j] / count;
        float rs = 1.0f / sqrtf(sq_sum[j] / count + eps);
        y[i] = (x[i] - m) * rs * gamma[j] + beta[j];
    }
}

// running_mean = (1 - momentum) running_mean + momentum sum / count,
// running_var = (1 - momentum) running_var + momentum sq_sum / (count - 1), one thread per channel
extern "C" __global__ void batchnorm_running_update_f32(const float* sum, const float* sq_sum, float* running_mean,
                                                        float* running_var, int cols, float count, float momentum) {
    for (i64 j = qd_global_thread(); j < cols; j += qd_grid_stride()) {
        float keep = 1.0f - momentum;
        running_mean[j] = keep * running_mean[j] + momentum * (sum[j] / count);
        running_var[j] = keep * running_var[j] + momentum * (sq_sum[j] / (count - 1.0f));
    }
}

// dx = gamma * rstd * (dy - sums[0, j] / count - xhat * sums[1, j] / count), channel j = i % cols; dx may alias dy
extern "C" __global__ void batchnorm_backward_f32(const float* x, const float* sum, const float* sq_sum,
                                                  const float* gamma, const float* sums, const float* dy, float* dx,
                                                  i64 n, int cols, float count, float eps) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        int j = (int)(i % cols);
        float m = sum[j] / count;
        float rs = 1.0f / sqrtf(sq_sum[j] / count + eps);
        float xh = (x[i] - m) * rs;
        dx[i] = gamma[j] * rs * (dy[i] - sums[j] / count - xh * (sums[cols + j] / count));
    }
}
