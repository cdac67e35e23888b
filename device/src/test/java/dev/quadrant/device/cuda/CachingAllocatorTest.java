package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;

import dev.quadrant.bindings.cuda.CudaException;
import org.junit.jupiter.api.Test;

/** The caching allocator over a fake device heap: steady state allocates nothing, OOM empties the cache once. */
class CachingAllocatorTest {

    /** A heap that hands out fake addresses and can be told to run out. */
    static final class FakeHeap implements CachingAllocator.RawMemory {
        final Set<Long> live = new HashSet<>();
        long next = 0x1000_0000L;
        long limitBytes = Long.MAX_VALUE;
        long usedBytes;
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        @Override
        public long malloc(long bytes) {
            if (usedBytes + bytes > limitBytes) {
                throw new CudaException("CUDA runtime", "cudaMalloc", 2, "cudaErrorMemoryAllocation", "out of memory", 0, "");
            }
            long a = next;
            next += bytes;
            live.add(a);
            sizes.put(a, bytes);
            usedBytes += bytes;
            return a;
        }

        @Override
        public void free(long address) {
            assertTrue(live.remove(address), "double or foreign free of " + Long.toHexString(address));
            usedBytes -= sizes.remove(address);
        }
    }

    @Test
    void sizeClasses() {
        assertEquals(512, CachingAllocator.sizeClass(0));
        assertEquals(512, CachingAllocator.sizeClass(512));
        assertEquals(1024, CachingAllocator.sizeClass(513));
        assertEquals(1L << 20, CachingAllocator.sizeClass((1L << 20) - 1));
        assertEquals(2L << 20, CachingAllocator.sizeClass((1L << 20) + 1));
        assertEquals(4L << 20, CachingAllocator.sizeClass((2L << 20) + 1));
    }

    @Test
    void steadyStateStepsDoNotMalloc() {
        FakeHeap heap = new FakeHeap();
        try (CachingAllocator a = new CachingAllocator(0, heap)) {
            long[] sizes = {4 * 64 * 128, 4 * 64 * 10, 4 * 64, 4 * 64 * 128};
            for (int step = 0; step < 5; step++) {
                long[][] blocks = new long[sizes.length][];
                for (int i = 0; i < sizes.length; i++) {
                    blocks[i] = a.allocate(sizes[i]);
                }
                for (long[] b : blocks) {
                    a.release(b[0], b[1]);
                }
                if (step == 0) {
                    assertEquals(4, a.mallocCalls());
                }
            }
            assertEquals(4, a.mallocCalls(), "later steps reuse the cached blocks");
            assertEquals(0, a.liveBytes());
        }
        assertTrue(heap.live.isEmpty(), "close frees the cache");
    }

    @Test
    void outOfMemoryEmptiesTheCacheAndRetriesOnce() {
        FakeHeap heap = new FakeHeap();
        heap.limitBytes = 4 << 20;
        try (CachingAllocator a = new CachingAllocator(0, heap)) {
            long[] b = a.allocate(2 << 20);
            a.release(b[0], b[1]);   // cached, still counted by the heap
            long[] c = a.allocate(4 << 20);   // does not fit beside the cached block: cache emptied, retried
            assertEquals(0, a.cachedBytes());
            assertThrows(CudaException.class, () -> a.allocate(1 << 20), "nothing cached to give back: the error stands");
            a.release(c[0], c[1]);
        }
        assertTrue(heap.live.isEmpty());
    }

    @Test
    void blocksReleasedAfterCloseAreFreed() {
        FakeHeap heap = new FakeHeap();
        CachingAllocator a = new CachingAllocator(0, heap);
        long[] b = a.allocate(100);
        a.close();
        assertEquals(1, heap.live.size(), "a block still in use survives close");
        a.release(b[0], b[1]);
        assertTrue(heap.live.isEmpty());
        assertThrows(IllegalStateException.class, () -> a.allocate(1));
    }
}
