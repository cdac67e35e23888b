package dev.quadrant.device.cuda;

/**
 * Implemented by a {@link dev.quadrant.device.Backend} that forwards to a {@link CudaBackend} (a wrapper that counts or
 * injects faults, in tests), so that code needing the CUDA side (its stream, for communicators and events) finds it:
 * see {@link CudaBackend#of}. Such a wrapper also forwards {@code newEvent}, {@code newTimeline} and {@code like} (a
 * {@link java.lang.reflect.Proxy} that forwards every method does), or its replicas would order and time their work
 * as the host does.
 */
public interface CudaBacked {
    /** The backend this one forwards to. */
    CudaBackend cudaBackend();
}
