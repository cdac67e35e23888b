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
