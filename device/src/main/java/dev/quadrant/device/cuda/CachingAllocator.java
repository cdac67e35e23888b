package dev.quadrant.device.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaException;

/**
 * A stream-ordered caching allocator for one backend: freed blocks are kept by size class and handed out again, so
 * a steady-state training step (which allocates and frees the same activation shapes every step) never calls
 * {@code cudaMalloc} or {@code cudaFree}, both of which synchronise the device.
 *
 * <p>Size classes: multiples of 512 bytes up to 1 MiB, then multiples of 2 MiB. Reuse is safe without events because
 * every user of a block queues its work on the backend's single stream: the next owner's work runs after the previous
 * owner's. (A block shared with another stream must be synchronised by whoever shares it.) When {@code cudaMalloc}
 * fails, the cache is emptied and the allocation retried once.
 *
 * <p>Not thread-safe: it belongs to one backend and its replica thread.
 */
final class CachingAllocator implements AutoCloseable {

    /** The raw allocation calls (CUDA in production, a fake in tests). */
    interface RawMemory {
        long malloc(long bytes);

        void free(long address);

        /** cudaMalloc/cudaFree on {@code device}. */
        static RawMemory cuda(int device) {
            return new RawMemory() {
                @Override
                public long malloc(long bytes) {
                    Cuda.setDevice(device);
                    return Cuda.malloc(bytes);
                }

                @Override
                public void free(long address) {
                    Cuda.setDevice(device);
                    Cuda.free(address);
                }
            };
        }
    }

    private static final long SMALL = 512;
    private static final long LARGE = 2L << 20;

    private final int device;
    private final RawMemory raw;
    private final Runnable beforeFree;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long cachedBytes;
    private long liveBytes;
    private long mallocCalls;
    private boolean closed;

    CachingAllocator(int device, RawMemory raw) {
        this(device, raw, () -> { });
    }

    /**
     * As above; {@code beforeFree} runs before cached blocks go back to the driver: ops held back from the stream
     * ({@link StepGraphs}) may still use a block released to the cache, and must be queued before it is freed.
     */
    CachingAllocator(int device, RawMemory raw, Runnable beforeFree) {
        this.device = device;
        this.raw = raw;
        this.beforeFree = beforeFree;
    }

    /** The block size a request of {@code bytes} is served from. */
    static long sizeClass(long bytes) {
        long b = Math.max(bytes, 1);
        if (b <= (1L << 20)) {
            return (b + SMALL - 1) / SMALL * SMALL;
        }
        return (b + LARGE - 1) / LARGE * LARGE;
    }

    /** A block of at least {@code bytes}: {@code {address, blockBytes}}. */
    long[] allocate(long bytes) {
        if (closed) {
            throw new IllegalStateException("allocator of cuda:" + device + " is closed");
        }
        long size = sizeClass(bytes);
        ArrayDeque<Long> q = free.get(size);
        long addr;
        if (q != null && !q.isEmpty()) {
            addr = q.pop();
            cachedBytes -= size;
        } else {
            try {
                addr = raw.malloc(size);
            } catch (CudaException e) {
                if (cachedBytes == 0) {
                    throw e;
                }
                emptyCache();
                addr = raw.malloc(size);
            }
            mallocCalls++;
        }
        liveBytes += size;
        return new long[] {addr, size};
    }

    /** Takes a block back (frees it at once if the allocator is closed). */
    void release(long address, long blockBytes) {
        liveBytes -= blockBytes;
        if (closed) {
            raw.free(address);
            return;
        }
        free.computeIfAbsent(blockBytes, k -> new ArrayDeque<>()).push(address);
        cachedBytes += blockBytes;
    }

    /** Frees every cached block (device-synchronising). */
    void emptyCache() {
        beforeFree.run();
        for (ArrayDeque<Long> q : free.values()) {
            for (long a : q) {
                raw.free(a);
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Number of {@code cudaMalloc} calls so far (a steady-state step adds none). */
    long mallocCalls() { return mallocCalls; }

    long cachedBytes() { return cachedBytes; }

    long liveBytes() { return liveBytes; }

    /** Frees the cache; blocks still in use are freed when their tensors close. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            emptyCache();
            closed = true;
        }
    }
}
