// embedding.cu -- token embedding: row gather (forward) and its deterministic scatter-add (backward).
//
// Parallelisation and why:
//  - embedding_forward_f32: one thread per element of out [n, dim] in a grid-stride loop. Consecutive threads copy
//    consecutive columns of one table row, so reads and writes are coalesced; the op is a pure copy, memory-bound.
//    An id outside [0, vocab) gives a zero row.
//  - embedding_backward_f32: dtable[ids[i], :] += dout[i, :] must add, for each table row, its contributions in
//    increasing i (the Backend contract: bit-reproducible runs), so no float atomics, whose order varies. One
//    256-thread block per position i. The block of the FIRST position holding an id (its "leader") owns that table
//    row: it scans the later positions in tiles of 256, compacts the matching positions of a tile into shared memory
//    in increasing order (warp ballots and a prefix over the 8 warps), then every thread adds those dout rows into
//    its columns of the table row, one column per thread, coalesced. Every other block finds an earlier position with
//    its id and leaves at once. Only the leader writes a table row, so there is no race, and each element sees
//    t = ((t + c_i1) + c_i2) + ... with i1 < i2 < ...: bitwise the result of a sequential loop over i.
//    Trade-off: correctness and determinism first. Work is O(n * dim) float adds plus O(n^2) id comparisons (the
//    leader checks and scans read ids, 4 bytes each, mostly from L1/L2): negligible for the n = batch * T of one
//    step's tokens up to tens of thousands, and independent of the vocabulary size (an untouched table row costs
//    nothing). A sort of the ids (by a stable radix sort) would make it O(n log n), at the price of scratch memory
//    and a multi-kernel pipeline; not needed at these sizes.

// out[i, d] = table[ids[i], d], or 0 when ids[i] is outside [0, vocab)
extern "C" __global__ void embedding_forward_f32(const float* table, const int* ids, float* out, i64 n, int vocab,
                                                 int dim) {
    i64 total = n * dim;
    for (i64 e = qd_global_thread(); e < total; e += qd_grid_stride()) {
        i64 i = e / dim;
        int d = (int)(e - i * dim);
        int v = ids[i];
        out[e] = (v >= 0 && v < vocab) ? table[(i64)v * dim + d] : 0.0f;
    }
}

// dtable[ids[i], :] += dout[i, :] for every i with a valid id, in increasing i per table row. Grid: n blocks of
// 256 threads (blockDim.x must be 256: the shared tile below).
extern "C" __global__ void embedding_backward_f32(const int* ids, const float* dout, float* dtable, int n, int vocab,
                                                  int dim) {
    __shared__ int earlier;          // 1 once some j < i is seen to hold the same id
    __shared__ int warp_hits[8];     // matches per warp in the current tile
    __shared__ int hits[256];        // the matching positions of the current tile, increasing
    int i = blockIdx.x;
    if (i >= n) return;   // block-uniform
    int v = ids[i];
    if (v < 0 || v >= vocab) return;   // block-uniform: an invalid id contributes nothing
    if (threadIdx.x == 0) earlier = 0;
    __syncthreads();
    for (int j = threadIdx.x; j < i; j += blockDim.x) {
        if (ids[j] == v) {
            earlier = 1;   // every writer stores the same value
            break;
        }
    }
    __syncthreads();
    if (earlier) return;   // block-uniform: the leader of id v adds position i
    float* row = dtable + (i64)v * dim;
    int lane = threadIdx.x & (QD_WARP - 1), w = threadIdx.x / QD_WARP, nw = blockDim.x / QD_WARP;
    for (int base = i; base < n; base += blockDim.x) {
        int j = base + threadIdx.x;
        bool hit = j < n && ids[j] == v;
        unsigned int ballot = __ballot_sync(QD_FULL_MASK, hit);
        if (lane == 0) warp_hits[w] = __popc(ballot);
        __syncthreads();
        int before = 0, count = 0;
        for (int k = 0; k < nw; k++) {
            int c = warp_hits[k];
            before += k < w ? c : 0;
            count += c;
        }
        if (hit) hits[before + __popc(ballot & ((1u << lane) - 1u))] = j;
        __syncthreads();
        if (count > 0) {   // block-uniform
            for (int d = threadIdx.x; d < dim; d += blockDim.x) {
                float t = row[d];
                for (int k = 0; k < count; k++) t += dout[(i64)hits[k] * dim + d];
                row[d] = t;
            }
        }
        __syncthreads();   // warp_hits and hits are rewritten by the next tile
    }
}
