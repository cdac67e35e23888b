package dev.quadrant.bindings.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import org.bytedeco.cuda.cudart.CUevent_st;

/**
 * A CUDA event: a point in a stream that other streams can wait for and the host can wait on or time.
 *
 * <p>Methods may be called from any thread; {@link #close()} must not race with use.
 *
 * <pre>{@code
 * try (CudaEvent done = CudaEvent.create(false)) { done.record(compute); comm.waitFor(done); }
 * }</pre>
 */
public final class CudaEvent implements AutoCloseable {
    private CUevent_st handle;
    private final boolean timing;

    private CudaEvent(CUevent_st handle, boolean timing) {
        this.handle = handle;
        this.timing = timing;
    }

    /** A new event on the current device; {@code timing} false makes it cheaper (no timestamps). */
    public static CudaEvent create(boolean timing) {
        CUevent_st e = new CUevent_st();
        Cuda.check(cudaEventCreateWithFlags(e, timing ? cudaEventDefault : cudaEventDisableTiming),
                "cudaEventCreateWithFlags");
        return new CudaEvent(e, timing);
    }

    /** The JavaCPP handle. */
    public CUevent_st handle() {
        if (handle == null) {
            throw new IllegalStateException("event is closed");
        }
        return handle;
    }

    /** Captures the work queued so far on {@code stream}. */
    public void record(CudaStream stream) {
        Cuda.check(cudaEventRecord(handle(), stream.handle()), "cudaEventRecord");
    }

    /** Blocks until the recorded work has finished. */
    public void synchronize() {
        Cuda.check(cudaEventSynchronize(handle()), "cudaEventSynchronize");
    }

    /** True if the recorded work has finished (does not block). */
    public boolean isDone() {
        int s = cudaEventQuery(handle());
        if (s == cudaErrorNotReady) {
            return false;
        }
        Cuda.check(s, "cudaEventQuery");
        return true;
    }

    /** Milliseconds between two completed timing events. */
    public static float elapsedMs(CudaEvent start, CudaEvent stop) {
        if (!start.timing || !stop.timing) {
            throw new IllegalArgumentException("elapsedMs needs two events created with timing=true");
        }
        float[] ms = {0};
        Cuda.check(cudaEventElapsedTime(ms, start.handle(), stop.handle()), "cudaEventElapsedTime");
        return ms[0];
    }

    /** Destroys the event. Idempotent. */
    @Override
    public void close() {
        if (handle != null) {
            CUevent_st h = handle;
            handle = null;
            Cuda.check(cudaEventDestroy(h), "cudaEventDestroy");
        }
    }
}
