// reductions.cu -- column sums (bias gradients), sums into a metric accumulator, squared-norm partials, the
// all-finite check, row arg-max and the count of correct predictions.
//
// Parallelisation and why:
//  - column_sums_f32: blocks of 32 x 8 threads own 32 adjacent columns; the 8 thread rows split the matrix rows
//    between them (stride 8) and their partial sums meet in shared memory. Reads are coalesced (a warp reads 32
//    adjacent floats of one row), each column is summed in a fixed order (deterministic, no atomics), and the grid
//    is ceil(cols / 32) blocks. Partial sums are doubles (a BatchNorm mean over 1e5 rows keeps its digits).
//  - sum_partials_f64 / sumsq_partials_f64: a grid-stride loop per thread, accumulated in double, then a block
//    reduction writes one double per block; finish_sum_into_f32 (one block) adds the partials in a fixed order, so
//    sums are deterministic run to run (no floating-point atomics). l2Norm reads the partials back and finishes on
//    the host in double.
//  - count_nonfinite: one thread per element; any thread that sees Inf or NaN stores 1 into a flag the launcher
//    cleared (all writers store the same value, so the race is benign).
//  - grad_stats_partials / grad_stats_finish: the gradient statistics of one optimizer step (the layout is
//    dev.quadrant.device.GradientStats): per-block double sums of squares as sumsq_partials_f64, plus each block's
//    first non-finite index (a shared atomicMin: a minimum does not depend on the order); one block then adds the
//    partials in a fixed order, takes the minimum index and writes norm, flag, clipping factor and the first
//    non-finite record, so the optimizer kernels can clip and skip without the host reading anything.
//  - finish_sum_finite_into_f32: as finish_sum_into_f32, but adds only when count_nonfinite left its flag 0, and
//    adds the step's loss terms beside the sum (the running loss of --on-nan skip).
//  - argmax_rows_i32 / count_correct_f32: one warp per row (see softmax_xent.cu); count_correct adds integer counts
//    into a float accumulator with atomicAdd, which is exact (and so order-independent) below 2^24. A row labelled
//    IGNORE_INDEX is skipped (its warp does not even look for the arg-max) and never counts.

extern "C" __global__ void column_sums_f32(const float* x, float* out, int rows, int cols, float beta) {
    __shared__ double part[8][33];  // [blockDim.y][32 + 1 to avoid bank conflicts]
    int c = blockIdx.x * 32 + threadIdx.x;
    double s = 0.0;                 // double: a BatchNorm mean over 1e5 rows keeps its digits
    if (c < cols)
        for (int r = threadIdx.y; r < rows; r += blockDim.y) s += (double)x[(i64)r * cols + c];
    part[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < cols) {
        double t = 0.0;
        for (int k = 0; k < (int)blockDim.y; k++) t += part[k][threadIdx.x];
        out[c] = beta == 0.0f ? (float)t : (float)((double)beta * out[c] + t);   // beta == 0: out is not read
    }
}

extern "C" __global__ void sum_partials_f64(const float* x, i64 n, double* partials) {
    double s = 0.0;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) s += (double)x[i];
    s = qd_block_sum_d(s);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

extern "C" __global__ void sumsq_partials_f64(const float* x, i64 n, double* partials) {
    double s = 0.0;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        double v = (double)x[i];
        s += v * v;
    }
    s = qd_block_sum_d(s);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

// acc[0] += sum of partials[0, count); launched as one block
extern "C" __global__ void finish_sum_into_f32(const double* partials, int count, float* acc) {
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    s = qd_block_sum_d(s);
    if (threadIdx.x == 0) acc[0] = (float)((double)acc[0] + s);
}

extern "C" __global__ void count_nonfinite(const float* x, i64 n, int* flag) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride())
        if ((__float_as_uint(x[i]) & 0x7f800000u) == 0x7f800000u) flag[0] = 1;
}

// acc[0] += sum of partials and acc[1] += terms, when flag[0] == 0; launched as one block
extern "C" __global__ void finish_sum_finite_into_f32(const double* partials, int count, const int* flag, float terms,
                                                      float* acc) {
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    s = qd_block_sum_d(s);
    if (threadIdx.x == 0 && flag[0] == 0) {
        acc[0] = (float)((double)acc[0] + s);
        acc[1] += terms;
    }
}

extern "C" __global__ void grad_stats_partials(const float* x, i64 n, double* partials, i64* first_bad) {
    __shared__ u64 bad_min;
    if (threadIdx.x == 0) bad_min = (u64)n;
    __syncthreads();
    double s = 0.0;
    i64 bad = n;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) {
        float v = x[i];
        if ((__float_as_uint(v) & 0x7f800000u) == 0x7f800000u && i < bad) bad = i;
        double d = (double)v;
        s += d * d;
    }
    if (bad < n) atomicMin(&bad_min, (u64)bad);
    s = qd_block_sum_d(s);   // synchronises the block: bad_min is final below
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = s;
        first_bad[blockIdx.x] = (i64)bad_min;
    }
}

// stats: see dev.quadrant.device.GradientStats; launched as one block
extern "C" __global__ void grad_stats_finish(const double* partials, const i64* first_bad, int count, i64 n,
                                             float max_norm, i64 step, float* stats) {
    __shared__ u64 bad_min;
    if (threadIdx.x == 0) bad_min = (u64)n;
    __syncthreads();
    double s = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        s += partials[i];
        if (first_bad[i] < n) atomicMin(&bad_min, (u64)first_bad[i]);
    }
    s = qd_block_sum_d(s);
    if (threadIdx.x != 0) return;
    double norm = sqrt(s);
    i64 first = (i64)bad_min;
    int bad = first < n;
    stats[0] = max_norm > 0.0f ? (float)norm : QD_NAN;   // no clipping: no norm (Backend#gradientStats)
    stats[1] = bad ? 1.0f : 0.0f;
    stats[2] = max_norm > 0.0f && norm > (double)max_norm ? (float)((double)max_norm / (norm + 1e-6)) : 1.0f;
    if (bad) {
        if (stats[3] == 0.0f) {
            const i64 half = 16777216LL;   // 2^24: each half is exact in a float
            stats[4] = (float)(step / half);
            stats[5] = (float)(step % half);
            stats[6] = (float)(first / half);
            stats[7] = (float)(first % half);
        }
        stats[3] += 1.0f;
    }
}

extern "C" __global__ void argmax_rows_i32(const float* x, int* out, int rows, int cols) {
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    if (r >= rows) return;   // warp-uniform
    int best = qd_row_argmax(x + (i64)r * cols, cols, lane);
    if (lane == 0) out[r] = best;
}

// acc[0] += number of rows whose arg-max equals the label (rows labelled IGNORE_INDEX never count)
extern "C" __global__ void count_correct_f32(const float* logits, const int* labels, float* acc, int rows, int cols) {
    __shared__ int block_count;
    if (threadIdx.x == 0) block_count = 0;
    __syncthreads();
    int lane = threadIdx.x & (QD_WARP - 1);
    int r = blockIdx.x * (blockDim.x / QD_WARP) + threadIdx.x / QD_WARP;
    int y = r < rows ? labels[r] : QD_IGNORE_INDEX;
    if (y != QD_IGNORE_INDEX) {   // warp-uniform; no early return, the block synchronises below
        int best = qd_row_argmax(logits + (i64)r * cols, cols, lane);
        if (lane == 0 && best == y) atomicAdd(&block_count, 1);
    }
    __syncthreads();
    if (threadIdx.x == 0 && block_count > 0) atomicAdd(acc, (float)block_count);
}
