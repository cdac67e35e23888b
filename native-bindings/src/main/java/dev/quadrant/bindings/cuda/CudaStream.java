package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * A non-blocking CUDA stream on one device (it does not synchronise with the legacy default stream).
 *
 * <p>Work queued on one stream runs in order. Methods may be called from any thread; {@link #close()} must not race
 * with use. The same handle serves the runtime, the driver API, cuBLAS and NCCL.
 *
 * <pre>{@code
 * try (CudaStream s = CudaStream.create(0)) { Cuda.memsetAsync(buf, 0, n, s); s.synchronize(); }
 * }</pre>
 */
public final class CudaStream implements AutoCloseable {
    private final int device;
    private CUstream_st handle;

    private CudaStream(int device, CUstream_st handle) {
        this.device = device;
        this.handle = handle;
    }

    /** A new non-blocking stream on {@code device} (which becomes the calling thread's current device). */
    public static CudaStream create(int device) {
        Cuda.setDevice(device);
        CUstream_st s = new CUstream_st();
        Cuda.check(cudaStreamCreateWithFlags(s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
        return new CudaStream(device, s);
    }

    /** The device this stream belongs to. */
    public int device() { return device; }

    /** The JavaCPP handle, for calls this package does not wrap. */
    public CUstream_st handle() {
        if (handle == null) {
            throw new IllegalStateException("stream on cuda:" + device + " is closed");
        }
        return handle;
    }

    /** Blocks until all queued work has finished; throws if any of it failed. */
    public void synchronize() {
        Cuda.check(cudaStreamSynchronize(handle()), "cudaStreamSynchronize");
    }

    /** True if all queued work has finished (does not block). */
    public boolean isIdle() {
        int s = cudaStreamQuery(handle());
        if (s == cudaErrorNotReady) {
            return false;
        }
        Cuda.check(s, "cudaStreamQuery");
        return true;
    }

    /** Makes later work on this stream wait until {@code event} has completed, without blocking the host. */
    public void waitFor(CudaEvent event) {
        Cuda.check(cudaStreamWaitEvent(handle(), event.handle(), 0), "cudaStreamWaitEvent");
    }

    /** Destroys the stream (queued work still completes). Idempotent. */
    @Override
    public void close() {
        if (handle != null) {
            CUstream_st h = handle;
            handle = null;
            Cuda.check(cudaStreamDestroy(h), "cudaStreamDestroy");
        }
    }
}
