// cuda_host_emu.hpp -- runs Quadrant's CUDA kernels on the host, for tests on machines without a GPU.
//
// Every CUDA thread of a block is a std::thread; blocks run one after another. __syncthreads is a barrier over the
// block, __shfl_xor_sync and __ballot_sync two-phase exchanges over the warp (32 consecutive threads), __shared__
// variables are statics (one copy, which is right because only one block runs at a time), atomics take a global
// lock. This is slow and checks semantics only: results, warp and block synchronisation, grid-stride loops, launch
// shapes. It says nothing about performance, memory coalescing or real-hardware races.
#pragma once
#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
inline thread_local dim3 threadIdx;
inline thread_local dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

namespace emu {
struct Warp {
    explicit Warp(int n) : bar(n) {}
    std::barrier<> bar;
    unsigned long long slot[32];
};
inline std::barrier<>* block_barrier;
inline std::vector<std::unique_ptr<Warp>> warps;
inline std::mutex atomic_lock;

inline int linear_tid() { return (int)(threadIdx.y * blockDim.x + threadIdx.x); }

template <class F>
void launch(dim3 grid, dim3 block, F body) {
    gridDim = grid;
    blockDim = block;
    int n = (int)(block.x * block.y);
    for (unsigned bx = 0; bx < grid.x; bx++) {
        std::barrier<> bar(n);
        block_barrier = &bar;
        warps.clear();
        for (int w = 0; w < (n + 31) / 32; w++) warps.push_back(std::make_unique<Warp>(std::min(32, n - 32 * w)));
        std::vector<std::thread> threads;
        for (int t = 0; t < n; t++) {
            threads.emplace_back([=] {
                threadIdx = dim3{(unsigned)(t % (int)block.x), (unsigned)(t / (int)block.x), 1};
                blockIdx = dim3{bx, 0, 1};
                body();
            });
        }
        for (auto& th : threads) th.join();
    }
}
}  // namespace emu

inline void __syncthreads() { emu::block_barrier->arrive_and_wait(); }

template <class T>
T __shfl_xor_sync(unsigned, T v, int mask) {
    static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
    int tid = emu::linear_tid();
    emu::Warp& w = *emu::warps[tid / 32];
    std::memcpy(&w.slot[tid % 32], &v, sizeof(T));
    w.bar.arrive_and_wait();
    T o;
    std::memcpy(&o, &w.slot[(tid % 32) ^ mask], sizeof(T));
    w.bar.arrive_and_wait();
    return o;
}

// Bit i of the result is thread i's predicate, over the (up to 32) threads of the caller's warp.
inline unsigned __ballot_sync(unsigned, int pred) {
    int tid = emu::linear_tid();
    emu::Warp& w = *emu::warps[tid / 32];
    w.slot[tid % 32] = pred ? 1 : 0;
    w.bar.arrive_and_wait();
    unsigned b = 0;
    int first = tid - tid % 32;
    int n = std::min(32, (int)(blockDim.x * blockDim.y) - first);
    for (int l = 0; l < n; l++) b |= (unsigned)w.slot[l] << l;
    w.bar.arrive_and_wait();
    return b;
}

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int min(int a, int b) { return a < b ? a : b; }

inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }

inline int atomicAdd(int* p, int v) { std::lock_guard<std::mutex> g(emu::atomic_lock); int o = *p; *p = o + v; return o; }
inline float atomicAdd(float* p, float v) { std::lock_guard<std::mutex> g(emu::atomic_lock); float o = *p; *p = o + v; return o; }
inline unsigned long long atomicMin(unsigned long long* p, unsigned long long v) {
    std::lock_guard<std::mutex> g(emu::atomic_lock); unsigned long long o = *p; if (v < o) *p = v; return o;
}
