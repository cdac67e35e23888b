// layernorm.cu -- LayerNorm over the last dimension, forward and backward (dx written, dgamma/dbeta accumulated).
//
// Parallelisation and why:
//  - layernorm_forward_f32, layernorm_backward_dx_f32: one warp per row (8 rows per 256-thread block), as llm.c. A
//    row is one token's features (hundreds to a few thousand floats): a warp strides over it (coalesced) and meets
//    with shuffles, no shared memory and no __syncthreads; the row stays in L1 between passes. Forward is two-pass in
//    float (mean, then the centred sum of squares: no cancellation as with E[x^2] - E[x]^2), biased variance, and
//    rstd = 1 / sqrtf(var + eps) (not rsqrtf, to stay within a few ulp of the float64 reference). Backward:
//    dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * gamma and xhat = (x - mean) * rstd recomputed
//    from the saved mean and rstd. dx may alias dy: each lane reads its own elements of dy before writing them.
//  - dgamma += sum_r dy * xhat and dbeta += sum_r dy are column sums over all rows, made deterministic without
//    atomics in two kernels: layernorm_param_partials_f32 (blocks of 32 x 8 threads own 32 adjacent columns of one
//    chunk of rows: blockIdx.x = chunk * column tiles + tile; the 8 thread rows stride over the chunk and meet in
//    shared memory in a fixed order) writes one partial pair per chunk and column, then layernorm_param_finish_f32
//    (one thread per column) adds the chunks in increasing order and accumulates into dgamma and dbeta. The chunking
//    depends on the shape only (Kernels.layerNormChunks), so results are bitwise reproducible on any GPU. The launcher
//    runs the partials before dx, because dx may overwrite dy. x and dy are read twice (partials, dx): simple, and
//    the column pass is what makes the sums deterministic.

// y = (x - mean) * rstd * gamma + beta per row of x [rows, cols]; mean[r] and rstd[r] are written for the backward
extern "C" __global__ void layernorm_forward_f32(const float* x, const float* gamma, const float* beta, float* y,
                                                 float* mean, float* rstd, int rows, int cols, float eps) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    const float* xr = x + (i64)r * cols;
    float s = 0.0f;
    for (int j = lane; j < cols; j += QD_WARP) s += xr[j];
    float m = qd_warp_sum(s) / (float)cols;
    float q = 0.0f;
    for (int j = lane; j < cols; j += QD_WARP) {
        float e = xr[j] - m;
        q += e * e;
    }
    float rs = 1.0f / sqrtf(qd_warp_sum(q) / (float)cols + eps);
    float* yr = y + (i64)r * cols;
    for (int j = lane; j < cols; j += QD_WARP) yr[j] = (xr[j] - m) * rs * gamma[j] + beta[j];
    if (lane == 0) {
        mean[r] = m;
        rstd[r] = rs;
    }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma; dx may alias dy
extern "C" __global__ void layernorm_backward_dx_f32(const float* x, const float* gamma, const float* mean,
                                                     const float* rstd, const float* dy, float* dx, int rows,
                                                     int cols) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    const float* xr = x + (i64)r * cols;
    const float* dyr = dy + (i64)r * cols;
    float m = mean[r];
    float rs = rstd[r];
    float sg = 0.0f, sgx = 0.0f;
    for (int j = lane; j < cols; j += QD_WARP) {
        float g = dyr[j] * gamma[j];
        sg += g;
        sgx += g * ((xr[j] - m) * rs);
    }
    float mg = qd_warp_sum(sg) / (float)cols;
    float mgx = qd_warp_sum(sgx) / (float)cols;
    float* dxr = dx + (i64)r * cols;
    for (int j = lane; j < cols; j += QD_WARP) {
        float g = dyr[j] * gamma[j];
        float xh = (xr[j] - m) * rs;
        dxr[j] = rs * (g - mg - xh * mgx);
    }
}

// partials[chunk, 0, c] = sum over the chunk's rows of dy * xhat, partials[chunk, 1, c] = sum of dy (both [cols]).
// Blocks of 32 x 8 threads; blockIdx.x = chunk * ceil(cols / 32) + column tile.
extern "C" __global__ void layernorm_param_partials_f32(const float* x, const float* mean, const float* rstd,
                                                        const float* dy, float* partials, int rows, int cols,
                                                        int chunk_rows) {
    __shared__ float part_g[8][33];   // [blockDim.y][32 + 1 against bank conflicts]
    __shared__ float part_b[8][33];
    int tiles = (cols + 31) / 32;
    int chunk = blockIdx.x / tiles;
    int c = (blockIdx.x - chunk * tiles) * 32 + threadIdx.x;
    int r0 = chunk * chunk_rows;
    int r1 = min(rows, r0 + chunk_rows);
    float sg = 0.0f, sb = 0.0f;
    if (c < cols) {
        for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
            i64 e = (i64)r * cols + c;
            float d = dy[e];
            sg += d * ((x[e] - mean[r]) * rstd[r]);
            sb += d;
        }
    }
    part_g[threadIdx.y][threadIdx.x] = sg;
    part_b[threadIdx.y][threadIdx.x] = sb;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        float tg = 0.0f, tb = 0.0f;
        for (int k = 0; k < (int)blockDim.y; k++) {
            tg += part_g[k][threadIdx.x];
            tb += part_b[k][threadIdx.x];
        }
        float* p = partials + (i64)chunk * 2 * cols;
        p[c] = tg;
        p[cols + c] = tb;
    }
}

// dgamma[c] += sum over chunks of partials[k, 0, c], dbeta[c] += sum of partials[k, 1, c], chunks in increasing k
extern "C" __global__ void layernorm_param_finish_f32(const float* partials, float* dgamma, float* dbeta, int chunks,
                                                      int cols) {
    for (i64 c = qd_global_thread(); c < cols; c += qd_grid_stride()) {
        float tg = 0.0f, tb = 0.0f;
        for (int k = 0; k < chunks; k++) {
            const float* p = partials + (i64)k * 2 * cols;
            tg += p[c];
            tb += p[cols + c];
        }
        dgamma[c] += tg;
        dbeta[c] += tb;
    }
}
