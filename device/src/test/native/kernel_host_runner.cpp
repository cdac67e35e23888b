// kernel_host_runner.cpp -- a line protocol around cuda_host_emu.hpp so Java tests can launch the real kernel
// sources on the host. Built by the test with:  g++ -std=c++20 -O1 -pthread -I<dir with the .cu files> ...
//   buf <id> f|i|h <count>\n<count hex values>      define a buffer (f, i: 8 hex digits of bits; h: 4)
//   launch <kernel> <gridX> <blockX> <blockY> <n>\n<n args: b<id>:<byte offset> | f<hex bits> | l<long>>
//   get <id>                                      print the buffer as hex values on one line
//   list                                          print the kernel names
#include "cuda_host_emu.hpp"
#include "common.cuh"
#include "elementwise.cu"
#include "activations.cu"
#include "softmax_xent.cu"
#include "reductions.cu"
#include "optimizers.cu"
#include "casts.cu"
#include "dropout.cu"
#include "embedding.cu"
#include "layernorm.cu"
#include "attention.cu"
#include "permute.cu"
#include "image.cu"
#include "batchnorm.cu"

#include <iostream>
#include <map>
#include <string>
#include <utility>

struct A {
    void* p = nullptr;
    long long l = 0;
    template <class T> operator T*() const { return (T*)p; }
    operator long long() const { return l; }
    operator unsigned long long() const { return (unsigned long long)l; }
    operator int() const { return (int)l; }
    operator float() const { float f; unsigned u = (unsigned)l; std::memcpy(&f, &u, 4); return f; }
};

template <class... P, size_t... I>
void call_impl(void (*f)(P...), const A* a, std::index_sequence<I...>) { f(static_cast<P>(a[I])...); }
template <class... P>
void call(void (*f)(P...), const std::vector<A>& a) {
    if (a.size() != sizeof...(P)) { std::cerr << "wrong argument count\n"; std::exit(3); }
    call_impl(f, a.data(), std::index_sequence_for<P...>{});
}

#define K(name) {#name, [](const std::vector<A>& a) { call(name, a); }}
static const std::map<std::string, void (*)(const std::vector<A>&)> kernels = {
    K(fill_f32), K(axpy_f32), K(scale_f32), K(mul_f32), K(add_bias_f32), K(add_f32), K(div_f32),
    K(relu_forward_f32), K(relu_backward_f32), K(gelu_forward_f32), K(gelu_backward_f32),
    K(tanh_forward_f32), K(tanh_backward_f32),
    K(softmax_xent_forward_f32), K(softmax_xent_backward_f32), K(mse_forward_f32), K(mse_backward_f32),
    K(column_sums_f32), K(sum_partials_f64), K(sumsq_partials_f64), K(finish_sum_into_f32), K(count_nonfinite), K(finish_sum_finite_into_f32),
    K(grad_stats_partials), K(grad_stats_finish),
    K(argmax_rows_i32), K(count_correct_f32),
    K(sgd_update_f32), K(adam_update_f32), K(f32_to_bf16), K(bf16_to_f32), K(dropout_mask_f32),
    K(embedding_forward_f32), K(embedding_backward_f32),
    K(layernorm_forward_f32), K(layernorm_backward_dx_f32), K(layernorm_param_partials_f32),
    K(layernorm_param_finish_f32), K(causal_softmax_forward_f32), K(causal_softmax_backward_f32), K(permute_b32),
    K(im2col_f32), K(col2im_f32), K(max_pool2d_forward_f32), K(max_pool2d_backward_f32), K(avg_pool2d_forward_f32),
    K(avg_pool2d_backward_f32), K(batchnorm_centered_partials_f32), K(batchnorm_grad_partials_f32),
    K(batchnorm_finish_f32), K(batchnorm_forward_f32), K(batchnorm_running_update_f32), K(batchnorm_backward_f32),
};

struct Buf { char type; long n; std::vector<unsigned> v; };

int main() {
    std::ios::sync_with_stdio(false);
    std::map<int, Buf> bufs;
    std::string cmd;
    while (std::cin >> cmd) {
        if (cmd == "buf") {
            int id; char t; long n;
            std::cin >> id >> t >> n;
            Buf b{t, n, std::vector<unsigned>((size_t)(t == 'h' ? (n + 1) / 2 : n) + 2, 0u)};
            if (t == 'h') {
                unsigned short* s = (unsigned short*)b.v.data();
                for (long i = 0; i < n; i++) { unsigned x; std::cin >> std::hex >> x >> std::dec; s[i] = (unsigned short)x; }
            } else {
                for (long i = 0; i < n; i++) std::cin >> std::hex >> b.v[i] >> std::dec;
            }
            bufs[id] = std::move(b);
        } else if (cmd == "launch") {
            std::string name; unsigned gx, bx, by; int n;
            std::cin >> name >> gx >> bx >> by >> n;
            std::vector<A> args(n);
            for (int i = 0; i < n; i++) {
                std::string tok;
                std::cin >> tok;
                if (tok == "b0:0") {
                    args[i].p = nullptr;   // a null pointer: kernels test optional arguments against nullptr
                } else if (tok[0] == 'b') {
                    size_t colon = tok.find(':');
                    char* base = (char*)bufs.at(std::stoi(tok.substr(1, colon - 1))).v.data();
                    args[i].p = base + std::stol(tok.substr(colon + 1));
                }
                else if (tok[0] == 'f') args[i].l = (long long)std::stoul(tok.substr(1), nullptr, 16);
                else args[i].l = std::stoll(tok.substr(1));
            }
            auto it = kernels.find(name);
            if (it == kernels.end()) { std::cerr << "no kernel " << name << "\n"; return 2; }
            auto fn = it->second;
            emu::launch(dim3{gx, 1, 1}, dim3{bx, by, 1}, [&] { fn(args); });
            std::cout << "ok" << std::endl;
        } else if (cmd == "get") {
            int id; std::cin >> id;
            Buf& b = bufs.at(id);
            long n = b.n;
            std::cout << std::hex;
            if (b.type == 'h') {
                unsigned short* s = (unsigned short*)b.v.data();
                for (long i = 0; i < n; i++) std::cout << s[i] << (i + 1 < n ? " " : "");
            } else {
                for (long i = 0; i < n; i++) std::cout << b.v[i] << (i + 1 < n ? " " : "");
            }
            std::cout << std::dec << std::endl;
        } else if (cmd == "list") {
            for (auto& k : kernels) std::cout << k.first << " ";
            std::cout << std::endl;
        } else if (cmd == "quit") {
            return 0;
        } else {
            std::cerr << "unknown command " << cmd << "\n";
            return 2;
        }
    }
    return 0;
}
