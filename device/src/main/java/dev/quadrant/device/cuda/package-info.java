/**
 * The CUDA backend: {@link dev.quadrant.device.cuda.CudaBackend} (every {@link dev.quadrant.device.Backend} op on one
 * replica's stream, GEMMs in cuBLAS, the rest in Quadrant's kernels), its caching allocator and pinned staging, the
 * {@link dev.quadrant.device.cuda.CudaBackendProvider} found through {@code ServiceLoader}, and the text of
 * {@code quadrant devices} ({@link dev.quadrant.device.cuda.CudaInfo}) and {@code quadrant selftest}
 * ({@link dev.quadrant.device.cuda.SelfTest}). For several replicas: peer access and cross-GPU copies
 * ({@link dev.quadrant.device.cuda.PeerAccess}, {@link dev.quadrant.device.cuda.CudaBackend#copy}), and the CUDA
 * side of the backend-neutral ordering and timing primitives: {@code CudaStreamEvent} (a
 * {@link dev.quadrant.device.StreamEvent} of one GPU) and {@code CudaTimeline} (timing events on the stream, which a
 * {@link dev.quadrant.device.StepClock} reads), handed out by {@code CudaBackend}'s overrides of
 * {@code Backend.newEvent} and {@code newTimeline}; the communicators are in {@code dev.quadrant.device.cuda.comm}.
 *
 * <p>Depends on: {@code dev.quadrant.device}, {@code dev.quadrant.kernels}, {@code dev.quadrant.bindings.cuda}.
 * Nothing here touches CUDA before {@link dev.quadrant.bindings.cuda.CudaProbe} has said it is usable.
 */
package dev.quadrant.device.cuda;
