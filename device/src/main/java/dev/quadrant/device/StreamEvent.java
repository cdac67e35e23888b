package dev.quadrant.device;

/**
 * Orders the work of one backend after the work of another without stopping the host: {@link #record} marks the
 * point reached on a backend's stream, {@link #waitIn} makes another backend's stream (on any device of the same kind)
 * wait for that point. Strategies that move tensors between replicas (Hogwild's pull and push, gossip's exchange) use
 * it so the same code runs on every backend. An event comes from {@link Backend#newEvent()}: on a backend whose ops
 * have finished when they return (the CPU) it is {@link #none()}, whose record and wait do nothing; on a GPU it is an
 * event of the backend's device.
 *
 * <pre>{@code
 * StreamEvent filled = sender.newEvent();   // created on the sender's device
 * filled.record(sender);                    // after the sender queued its writes
 * filled.waitIn(receiver);                  // the receiver's later ops run after them
 * receiver.copy(outbox, inbox);             // a peer copy when the two are on different GPUs
 * }</pre>
 *
 * <p>Thread-safety: any thread may call {@link #record} and {@link #waitIn}; a wait sees the last record made
 * before it was issued (CUDA's rule). {@link #close()} must not race with use.
 */
public interface StreamEvent extends AutoCloseable {

    /**
     * Marks the work queued so far on {@code producer}'s stream; {@code producer} must be on this event's device
     * (otherwise an {@link IllegalArgumentException} names both).
     */
    void record(Backend producer);

    /** Makes {@code consumer}'s later work wait for the last {@link #record}; nothing if it was never recorded. */
    void waitIn(Backend consumer);

    /** Frees the event. */
    @Override
    void close();

    /** The event of a backend whose ops are synchronous: record, wait and close do nothing. */
    static StreamEvent none() {
        return HostEvent.INSTANCE;
    }
}

