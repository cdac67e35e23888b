// permute.cu -- axis permutation (numpy transpose) of a tensor of rank 1 to 6, for 4-byte elements.
//
// Parallelisation: one thread per OUTPUT element in a grid-stride loop. The launcher pads the rank to 6 with leading
// axes of size 1 and passes the output's dims d1..d5 (d0 is implied) and, for each output axis a, the input stride
// of the axis it comes from (s_a = input stride of perm[a]); a thread splits its output index into coordinates and
// gathers x[sum c_a * s_a]. Writes are coalesced; reads are coalesced whenever the innermost axis stays innermost,
// as in every permute attention makes ([B, T, 3, H, hd] -> [3, B, H, T, hd] and back: runs of hd contiguous floats).
// A permute that moves the innermost axis reads with a stride; a shared-memory tiled transpose would fix that and is
// not needed yet. Indices use 32-bit arithmetic when the tensor has fewer than 2^31 elements (integer division is
// the cost here), 64-bit otherwise. The words are copied as bits, so FLOAT32 and INT32 tensors both work.

template <typename I>
__device__ __forceinline__ I qd_permute_source(I e, I d1, I d2, I d3, I d4, I d5, I s0, I s1, I s2, I s3, I s4,
                                               I s5) {
    I c5 = e % d5;
    e /= d5;
    I c4 = e % d4;
    e /= d4;
    I c3 = e % d3;
    e /= d3;
    I c2 = e % d2;
    e /= d2;
    I c1 = e % d1;
    e /= d1;
    return e * s0 + c1 * s1 + c2 * s2 + c3 * s3 + c4 * s4 + c5 * s5;
}

// y[e] = x[source(e)] over the n elements of y (output dims d0..d5, input strides s0..s5 in output axis order)
extern "C" __global__ void permute_b32(const unsigned int* x, unsigned int* y, i64 n, int d1, int d2, int d3, int d4,
                                       int d5, i64 s0, i64 s1, i64 s2, i64 s3, i64 s4, i64 s5) {
    if (n <= QD_INT_MAX) {   // uniform over the grid
        typedef unsigned int u32;
        for (i64 e = qd_global_thread(); e < n; e += qd_grid_stride())
            y[e] = x[qd_permute_source<u32>((u32)e, (u32)d1, (u32)d2, (u32)d3, (u32)d4, (u32)d5, (u32)s0, (u32)s1,
                                            (u32)s2, (u32)s3, (u32)s4, (u32)s5)];
    } else {
        for (i64 e = qd_global_thread(); e < n; e += qd_grid_stride())
            y[e] = x[qd_permute_source<i64>(e, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5)];
    }
}
