package dev.quadrant.device.cuda;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.device.Backend;
import dev.quadrant.device.StreamEvent;

/**
 * {@link CudaBackend#newEvent()}: a CUDA event (no timing) of one device. {@link #record} needs a backend on that
 * device (a {@link CudaBackend} or one that is {@link CudaBacked}); {@link #waitIn} makes the stream of a CUDA backend
 * on any device wait for it. Thread-safety as {@link StreamEvent}.
 */
final class CudaStreamEvent implements StreamEvent {
    private final CudaEvent event;
    private final int device;
    private volatile boolean recorded;

    /** A new event on {@code owner}'s device. */
    CudaStreamEvent(CudaBackend owner) {
        this.device = owner.device().index();
        Cuda.setDevice(device);
        this.event = CudaEvent.create(false);
    }

    @Override
    public void record(Backend producer) {
        CudaBackend c = cuda(producer, "record");
        if (c.device().index() != device) {
            throw new IllegalArgumentException("an event of cuda:" + device + " cannot be recorded on a stream of "
                    + c.device());
        }
        Cuda.setDevice(device);
        event.record(c.stream());
        recorded = true;
    }

    @Override
    public void waitIn(Backend consumer) {
        if (!recorded) {
            return;
        }
        CudaBackend c = cuda(consumer, "waitIn");
        Cuda.setDevice(c.device().index());
        c.stream().waitFor(event);
    }

    /** Makes {@code stream} (on any device) wait for the last {@link #record}; nothing if it was never recorded. */
    void waitIn(CudaStream stream) {
        if (recorded) {
            Cuda.setDevice(stream.device());
            stream.waitFor(event);
        }
    }

    private static CudaBackend cuda(Backend be, String what) {
        CudaBackend c = CudaBackend.of(be);
        if (c == null) {
            throw new IllegalArgumentException("StreamEvent." + what + ": a CUDA event used with " + be.describe());
        }
        return c;
    }

    @Override
    public void close() {
        Cuda.setDevice(device);
        event.close();
    }
}
