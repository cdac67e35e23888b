/**
 * Checked wrappers over CUDA through the JavaCPP presets ({@code org.bytedeco:cuda}): the runtime and driver API
 * ({@link dev.quadrant.bindings.cuda.Cuda}), cuBLAS ({@link dev.quadrant.bindings.cuda.Cublas}), NVRTC
 * ({@link dev.quadrant.bindings.cuda.Nvrtc}) and NCCL ({@link dev.quadrant.bindings.cuda.Nccl}), and the probe that
 * answers "is CUDA usable here, and if not, why" ({@link dev.quadrant.bindings.cuda.CudaProbe}).
 *
 * <p>Rules that hold for every class here:
 * <ul>
 *   <li>Nothing touches an {@code org.bytedeco.cuda} class before {@link dev.quadrant.bindings.cuda.CudaProbe} has
 *       found the libraries on disk: a failed native load poisons the preset classes for the life of the JVM.</li>
 *   <li>Device memory is a plain {@code long} address; an offset is added to the address in bytes
 *       ({@link dev.quadrant.bindings.cuda.DevPtr}), never expressed through a JavaCPP {@code position()}, which
 *       counts bytes on {@code void*} parameters and elements on typed ones.</li>
 *   <li>Every status is checked; a failure is a {@link dev.quadrant.bindings.cuda.CudaException} naming the call,
 *       the status name, the library's message, the device and what to try next.</li>
 *   <li>Only functions present in CUDA 13.0 are called (the presets are built against 13.1, and calling a missing
 *       symbol ends the JVM with status 127); newer ones are looked up with {@code Loader.addressof} first.</li>
 * </ul>
 *
 * <p>Depends on: JavaCPP and its CUDA presets only.
 */
package dev.quadrant.bindings.cuda;
