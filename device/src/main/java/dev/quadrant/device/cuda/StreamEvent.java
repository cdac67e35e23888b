package dev.quadrant.device.cuda;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.device.Backend;

/**
 * Orders the work of one backend after the work of another without stopping the host: {@link #record} marks the
 * point reached on a backend's stream, {@link #waitIn} makes another backend's stream (on any GPU) wait for that
 * point. Strategies that move tensors between replicas (Hogwild's pull and push, gossip's exchange) use it so the
 * same code runs on every backend: on a CPU backend, whose ops have finished when they return, both are no-ops.
 *
 * <pre>{@code
 * StreamEvent filled = StreamEvent.on(sender);   // created on the sender's device
 * filled.record(sender);                          // after the sender queued its writes
 * filled.waitIn(receiver);                        // the receiver's later ops run after them
 * receiver.copy(outbox, inbox);                   // a peer copy when the two are on different GPUs
 * }</pre>
 *
 * <p>Thread-safety: any thread may call {@link #record} and {@link #waitIn}; a wait sees the last record made
 * before it was issued (CUDA's rule). {@link #close()} must not race with use.
 */
public final class StreamEvent implements AutoCloseable {
    private final CudaEvent event;   // null for a CPU backend
    private final int device;
    private volatile boolean recorded;

    private StreamEvent(CudaEvent event, int device) {
        this.event = event;
        this.device = device;
    }

    /** A new event on {@code be}'s device (a no-op event for a backend whose ops are synchronous). */
    public static StreamEvent on(Backend be) {
        CudaBackend c = CudaBackend.of(be);
        if (c != null) {
            Cuda.setDevice(c.device().index());
            return new StreamEvent(CudaEvent.create(false), c.device().index());
        }
        return new StreamEvent(null, -1);
    }

    /** Marks the work queued so far on {@code producer}'s stream; {@code producer} must be on this event's device. */
    public void record(Backend producer) {
        if (event == null) {
            return;
        }
        CudaBackend c = cuda(producer, "record");
        if (c.device().index() != device) {
            throw new IllegalArgumentException("an event of cuda:" + device + " cannot be recorded on a stream of "
                    + c.device());
        }
        Cuda.setDevice(device);
        event.record(c.stream());
        recorded = true;
    }

    /** Makes {@code consumer}'s later work wait for the last {@link #record}; nothing if it was never recorded. */
    public void waitIn(Backend consumer) {
        if (event == null || !recorded) {
            return;
        }
        CudaBackend c = cuda(consumer, "waitIn");
        Cuda.setDevice(c.device().index());
        c.stream().waitFor(event);
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
        if (event != null) {
            Cuda.setDevice(device);
            event.close();
        }
    }
}
