package dev.quadrant.device.cuda;

/**
 * Implemented by a {@link dev.quadrant.device.Backend} that forwards to a {@link CudaBackend} (a wrapper that counts or
 * injects faults, in tests), so that code needing the CUDA side (its stream, for communicators and events) finds it:
 * see {@link CudaBackend#of}.
 */
public interface CudaBacked {
    /** The backend this one forwards to. */
    CudaBackend cudaBackend();
}
