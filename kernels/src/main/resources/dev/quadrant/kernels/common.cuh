// common.cuh -- helpers shared by every kernel family. Not compiled alone: KernelCompiler pastes it in front of
// each family's source (NVRTC has no include path here), and .ci/compile-kernels.sh passes -include.
//
// Parallelisation helpers:
//  - grid-stride loops: launchers cap the grid at a few blocks per multiprocessor, so one kernel covers any n
//    without a huge grid, and consecutive threads touch consecutive elements (coalesced).
//  - warp reductions with __shfl_xor_sync over the full warp (all 32 lanes must be active: kernels that use them
//    keep every lane alive until after the reduction and mask work, never return early).
#ifndef QUADRANT_COMMON_CUH
#define QUADRANT_COMMON_CUH

#define QD_FULL_MASK 0xffffffffu
#define QD_WARP 32

#define QD_NEG_INF __int_as_float(0xff800000)
#define QD_NAN __int_as_float(0x7fffffff)
#define QD_INT_MAX 2147483647
#define QD_IGNORE_INDEX (-1)   // dev.quadrant.device.Backend.IGNORE_INDEX: a label that losses and metrics skip

typedef long long i64;
typedef unsigned long long u64;
typedef unsigned short bf16_bits;

__device__ __forceinline__ i64 qd_global_thread() {
    return (i64)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ i64 qd_grid_stride() {
    return (i64)gridDim.x * blockDim.x;
}

// float32 -> bfloat16 bits, round to nearest even (identical to the CPU's Java code): add 0x7FFF plus the lowest kept
// bit, keep the upper half; NaN stays NaN (quiet bit forced, sign kept) instead of rounding into infinity.
__device__ __forceinline__ bf16_bits qd_f32_to_bf16(float f) {
    unsigned int b = __float_as_uint(f);
    if ((b & 0x7fffffffu) > 0x7f800000u) return (bf16_bits)((b >> 16) | 0x0040u);
    b += 0x7fffu + ((b >> 16) & 1u);
    return (bf16_bits)(b >> 16);
}

__device__ __forceinline__ float qd_warp_sum(float v) {
    for (int o = QD_WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(QD_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ double qd_warp_sum_d(double v) {
    for (int o = QD_WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(QD_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ float qd_warp_max(float v) {
    for (int o = QD_WARP / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(QD_FULL_MASK, v, o));
    return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); the result is valid in thread 0.
// Every thread of the block must call it (it synchronises).
__device__ __forceinline__ double qd_block_sum_d(double v) {
    __shared__ double warp_sums[32];
    int lane = threadIdx.x & (QD_WARP - 1), w = threadIdx.x / QD_WARP;
    v = qd_warp_sum_d(v);
    if (lane == 0) warp_sums[w] = v;
    __syncthreads();
    int nw = blockDim.x / QD_WARP;
    v = (int)threadIdx.x < nw ? warp_sums[threadIdx.x] : 0.0;
    if (w == 0) v = qd_warp_sum_d(v);
    return v;
}

// Sum and max over the block (blockDim.x a multiple of 32, at most 1024, blockDim.y 1), returned to EVERY thread:
// each warp reduces with xor shuffles, then every warp reads the per-warp partials and reduces them again, in the
// same order, so all threads hold the bitwise identical result (an xor butterfly gives every lane the same value).
// Every thread of the block must call them; they synchronise (the first barrier also protects the partials of a
// previous call, so they may be called back to back). One shared array per operation (per template instance).
struct QdSum {
    __device__ __forceinline__ float operator()(float a, float b) const { return a + b; }
};

struct QdMax {
    __device__ __forceinline__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

template <typename Op>
__device__ __forceinline__ float qd_warp_reduce(float v, Op op) {
    for (int o = QD_WARP / 2; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(QD_FULL_MASK, v, o));
    return v;
}

template <typename Op>
__device__ __forceinline__ float qd_block_reduce(float v, float identity, Op op) {
    __shared__ float parts[32];
    int lane = threadIdx.x & (QD_WARP - 1), w = threadIdx.x / QD_WARP;
    v = qd_warp_reduce(v, op);
    __syncthreads();
    if (lane == 0) parts[w] = v;
    __syncthreads();
    v = lane < (int)(blockDim.x / QD_WARP) ? parts[lane] : identity;
    return qd_warp_reduce(v, op);
}

__device__ __forceinline__ float qd_block_sum(float v) { return qd_block_reduce(v, 0.0f, QdSum()); }

__device__ __forceinline__ float qd_block_max(float v) { return qd_block_reduce(v, QD_NEG_INF, QdMax()); }

// Arg-max of row x[0, cols) by one warp, with the semantics of the sequential loop
//   best = x[0]; for j in 1..cols-1: if (x[j] > best || (x[j] is NaN && best is not)) best = x[j], idx = j
// i.e. the first NaN if there is one (a NaN beats every number, as NumPy and PyTorch), else the first index of the
// largest value. Each lane keeps the best of its strided elements (none yet: bi == QD_INT_MAX), then the lanes meet
// with shuffles, lower index first on ties. The result is valid in every lane.
__device__ __forceinline__ bool qd_argmax_beats(float v, int i, float bv, int bi) {
    if (i == QD_INT_MAX) return false;
    if (bi == QD_INT_MAX) return true;
    bool vn = v != v, bn = bv != bv;
    if (vn != bn) return vn;
    return (!vn && v > bv) || ((vn || v == bv) && i < bi);
}

__device__ __forceinline__ int qd_row_argmax(const float* x, int cols, int lane) {
    float bv = 0.0f;
    int bi = QD_INT_MAX;
    for (int j = lane; j < cols; j += QD_WARP) {
        float v = x[j];
        if (qd_argmax_beats(v, j, bv, bi)) { bv = v; bi = j; }
        if (v != v) break;   // nothing later in this lane beats its first NaN
    }
    for (int o = QD_WARP / 2; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(QD_FULL_MASK, bv, o);
        int oi = __shfl_xor_sync(QD_FULL_MASK, bi, o);
        if (qd_argmax_beats(ov, oi, bv, bi)) { bv = ov; bi = oi; }
    }
    return bi == QD_INT_MAX ? 0 : bi;
}

#endif
