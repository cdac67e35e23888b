/**
 * The CPU backend: {@link dev.quadrant.device.cpu.CpuBackend} (single-threaded GEMM calls on oneDNN or
 * OpenBLAS, {@link dev.quadrant.device.cpu.CpuBlas}, plus Java loops over direct buffers),
 * its storage {@link dev.quadrant.device.cpu.CpuStorage}, its loop pool {@link dev.quadrant.device.cpu.CpuPool} and
 * its {@link dev.quadrant.device.cpu.CpuBackendProvider}. The loops live in one package-private class per op family
 * (element-wise, activations, rows, reductions, optimizers, sequence models, LayerNorm, images), named after the CUDA kernel
 * families.
 *
 * <p>Depends on: {@code dev.quadrant.device} (the API), {@code dev.quadrant.device.checks} (the argument rules) and
 * {@code dev.quadrant.bindings.OpenBlas} and {@code Dnnl}.
 */
package dev.quadrant.device.cpu;
