package dev.quadrant.device.cuda;

import dev.quadrant.device.Device;
import dev.quadrant.device.Storage;

/**
 * Device memory from a {@link CachingAllocator}: a byte address on one GPU. Closing it gives the block back to the
 * allocator (or frees it if the allocator is closed). Not thread-safe, like every {@link Storage}.
 */
final class CudaStorage extends Storage {
    private final CachingAllocator allocator;
    private final long blockBytes;
    private long address;

    CudaStorage(Device device, long bytes, long address, long blockBytes, CachingAllocator allocator) {
        super(device, bytes);
        this.address = address;
        this.blockBytes = blockBytes;
        this.allocator = allocator;
    }

    /** Byte address of the first byte; throws after {@link #close()}. */
    long address() {
        if (address == 0) {
            throw new IllegalStateException("tensor storage on " + device() + " was closed");
        }
        return address;
    }

    boolean isClosed() { return address == 0; }

    @Override
    public void close() {
        if (address != 0) {
            long a = address;
            address = 0;
            allocator.release(a, blockBytes);
        }
    }
}
