/**
 * Quadrant's CUDA kernels: the CUDA C sources (resources {@code dev/quadrant/kernels/*.cu}, one family of ops per
 * file, each headed by how it is parallelised), their run-time compilation by NVRTC for the device's architecture
 * with a disk cache ({@link dev.quadrant.kernels.KernelCompiler}), the modules loaded per device
 * ({@link dev.quadrant.kernels.DeviceKernels}) and one typed launcher per kernel ({@link dev.quadrant.kernels.Kernels}).
 *
 * <p>Depends on: native-bindings ({@code dev.quadrant.bindings.cuda}). Loads no CUDA class until a launcher or
 * compiler is used; CPU-only code never does.
 */
package dev.quadrant.kernels;
