package dev.quadrant.device;

/**
 * A contiguous allocation on one device, owned by exactly one root {@link Tensor}. Backends subclass it
 * ({@code CpuStorage} holds a direct buffer, {@code CudaStorage} a device address).
 *
 * <p>Not thread-safe: a storage belongs to one replica; {@link #close()} must not race with use.
 */
public abstract class Storage implements AutoCloseable {
    private final Device device;
    private final long bytes;

    protected Storage(Device device, long bytes) {
        this.device = device;
        this.bytes = bytes;
    }

    public final Device device() { return device; }

    /** Size of the allocation in bytes. */
    public final long bytes() { return bytes; }

    /** Frees the allocation. Idempotent. */
    @Override
    public abstract void close();
}
