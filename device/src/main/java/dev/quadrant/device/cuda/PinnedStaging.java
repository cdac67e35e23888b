package dev.quadrant.device.cuda;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaStream;

/**
 * A ring of pinned host buffers through which {@link CudaBackend#upload} copies Java arrays to the device without
 * stopping the host: the array is copied into the next slot and an asynchronous copy queued on the stream; a slot
 * is reused only after the event recorded behind its last copy has completed, which with {@value #SLOTS} slots is
 * normally long past. (Copies from pageable memory would make every upload wait for the stream.)
 *
 * <p>Not thread-safe: one per backend.
 */
final class PinnedStaging implements AutoCloseable {
    static final int SLOTS = 8;

    private final CudaStream stream;
    private final long[] address = new long[SLOTS];
    private final long[] capacity = new long[SLOTS];
    private final CudaEvent[] done = new CudaEvent[SLOTS];
    private final boolean[] inFlight = new boolean[SLOTS];
    private int next;
    private long waits;   // host waits: a slot still in flight, or a grown slot's cudaFreeHost (which synchronises)

    PinnedStaging(CudaStream stream) {
        this.stream = stream;
        for (int i = 0; i < SLOTS; i++) {
            done[i] = CudaEvent.create(false);
        }
    }

    /** A free slot of at least {@code bytes}; returns its index (use {@link #address(int)}, then {@link #submitted}). */
    int acquire(long bytes) {
        int s = next;
        next = (next + 1) % SLOTS;
        if (inFlight[s]) {
            if (!done[s].isDone()) {
                waits++;
            }
            done[s].synchronize();   // normally complete already: the ring is deep
            inFlight[s] = false;
        }
        if (capacity[s] < bytes) {
            if (address[s] != 0) {
                waits++;   // cudaFreeHost waits for the device; slots only grow, so this stops after warm-up
            }
            Cuda.freeHost(address[s]);
            address[s] = 0;
            capacity[s] = 0;
            long cap = Math.max(bytes, 64 * 1024);
            address[s] = Cuda.mallocHost(cap);
            capacity[s] = cap;
        }
        return s;
    }

    long address(int slot) { return address[slot]; }

    /** How often {@link #acquire} made the host wait for the device so far. */
    long waits() { return waits; }

    /** Marks {@code slot} busy until the work queued so far on the stream has run. */
    void submitted(int slot) {
        done[slot].record(stream);
        inFlight[slot] = true;
    }

    @Override
    public void close() {
        for (int i = 0; i < SLOTS; i++) {
            if (inFlight[i]) {
                done[i].synchronize();
            }
            Cuda.freeHost(address[i]);
            address[i] = 0;
            done[i].close();
        }
    }
}
