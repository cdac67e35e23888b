// elementwise.cu -- fill, axpy, scale, mul, bias add, and the add and divide of the device-local communicator.
//
// Parallelisation: one thread per element in a grid-stride loop (bias add: one thread per element of the
// [rows, cols] matrix, the column found by a modulo). These ops are memory-bound: the only goal is full,
// coalesced bandwidth, which consecutive threads on consecutive elements give. The launcher caps the grid at a
// few blocks per multiprocessor; the stride loop covers the rest, so n may exceed 2^31.
// No __restrict__ where the Backend contract allows aliasing (mul's out may be a or b).

extern "C" __global__ void fill_f32(float* x, i64 n, float value) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) x[i] = value;
}

// y += alpha * x
extern "C" __global__ void axpy_f32(const float* x, float* y, i64 n, float alpha) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) y[i] += alpha * x[i];
}

// x *= alpha
extern "C" __global__ void scale_f32(float* x, i64 n, float alpha) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) x[i] *= alpha;
}

// out = a * b (out may alias a or b: each element is read before it is written, by the same thread)
extern "C" __global__ void mul_f32(const float* a, const float* b, float* out, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) out[i] = a[i] * b[i];
}

// x[r, c] += bias[c] for a row-major [rows, cols] matrix
extern "C" __global__ void add_bias_f32(float* x, const float* bias, i64 rows, int cols) {
    i64 n = rows * cols;
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) x[i] += bias[i % cols];
}

// out = a + b (out may alias a or b). The device-local communicator sums the buffers of the replicas that share
// one GPU pairwise in rank order with it (acc = x0 + x1, acc = acc + x2, ...): a left-to-right float32 sum, the
// same order as the host communicator's.
extern "C" __global__ void add_f32(const float* a, const float* b, float* out, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) out[i] = a[i] + b[i];
}

// x /= d: one float32 division per element (ReduceOp.AVERAGE is the sum divided by the number of ranks, not
// multiplied by its reciprocal)
extern "C" __global__ void div_f32(float* x, i64 n, float d) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) x[i] = x[i] / d;
}
