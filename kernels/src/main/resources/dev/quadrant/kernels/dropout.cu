// dropout.cu -- inverted-dropout masks from a counter-based hash.
//
// Parallelisation: one thread per element in a grid-stride loop. The value of element i depends only on
// (seed, first + i), never on the launch shape, so a mask is the same for any grid, on any GPU, and on the CPU; first
// places the mask in a larger logical tensor (a replica's shard of the global batch draws what one replica would):
// qd_dropout_uniform is dev.quadrant.device.DropoutHash.uniform transcribed bit for bit (MurmurHash3's fmix64 of
// seed ^ (i * golden), upper 24 bits scaled by 2^-24). Unsigned 64-bit arithmetic here matches Java's long
// arithmetic with >>> : multiplication wraps modulo 2^64 in both.

__host__ __device__ __forceinline__ float qd_dropout_uniform(u64 seed, u64 index) {
    u64 z = seed ^ (index * 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDull;
    z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53ull;
    z = z ^ (z >> 33);
    return (float)(z >> 40) * 5.9604644775390625e-8f;   // 2^-24, exact
}

// mask[i] = 0 with probability p (uniform(seed, first + i) < p), else keep (= 1 / (1 - p), computed by the caller)
extern "C" __global__ void dropout_mask_f32(float* mask, i64 n, u64 seed, u64 first, float p, float keep) {
    for (i64 i = qd_global_thread(); i < n; i += qd_grid_stride())
        mask[i] = qd_dropout_uniform(seed, first + (u64)i) < p ? 0.0f : keep;
}
