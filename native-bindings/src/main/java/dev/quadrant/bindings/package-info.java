/**
 * Checked wrappers over native libraries (OpenBLAS; CUDA, cuBLAS, NCCL, NVRTC through the JavaCPP presets), and
 * nothing else. Every native call checks its status and turns a failure into a {@link dev.quadrant.bindings.NativeException}
 * that names the call, the status and what to try next.
 *
 * <p>Depends on: the JavaCPP presets only. Never loads a CUDA class unless the caller asked for CUDA.
 */
package dev.quadrant.bindings;
