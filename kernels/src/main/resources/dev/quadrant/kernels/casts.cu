// casts.cu -- float32 <-> bfloat16 (stored as raw 16-bit patterns, so no cuda_bf16.h is needed under NVRTC).
//
// Parallelisation: one thread per element in a grid-stride loop; memory-bound. Rounding is done on the bits,
// round-to-nearest-even, identical to the CPU's Java code: add 0x7FFF plus the lowest kept bit, keep the upper
// half. NaN stays NaN (quiet bit forced, sign kept) instead of rounding into infinity.

// qd_f32_to_bf16 (round to nearest even on the bits) is in common.cuh: the optimizers write bf16 weight copies too.

extern "C" __global__ void f32_to_bf16(const float* src, bf16_bits* dst, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) dst[i] = qd_f32_to_bf16(src[i]);
}

extern "C" __global__ void bf16_to_f32(const bf16_bits* src, float* dst, i64 n) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride()) dst[i] = __uint_as_float(((unsigned int)src[i]) << 16);
}
