package dev.quadrant.device.cuda;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.DevPtr;
import dev.quadrant.device.DType;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.UploadQueue;

/**
 * {@link CudaBackend#newUploadQueue()}: uploads on a copy stream of their own (non-blocking, so the copy engine
 * moves step {@code s + 1}'s batch while the compute stream still runs step {@code s}), from a pool of pinned buffers
 * that a loader thread {@link #stage}s into (or {@link #upload(float[], int, Tensor)} on the backend's thread: the host
 * array is free when it returns). {@link #handOver()}
 * records an event on the copy stream and makes the compute stream wait for it; {@link #waitFor} makes the copy
 * stream wait for an event of the compute stream. Neither blocks the host. Thread-safety: {@link #stage} and
 * {@code Staged.release} from any thread (the pool is locked; a stage that must wait for a buffer's copy waits on its
 * own thread), the rest from the backend's thread.
 */
final class CudaUploadQueue implements UploadQueue {
    private final CudaBackend owner;
    private final CudaStream copies;
    private final CudaEvent copied;
    private final java.util.concurrent.atomic.AtomicLong waits = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean closed;   // read by staging threads too

    CudaUploadQueue(CudaBackend owner) {
        this.owner = owner;
        CudaStream s = CudaStream.create(owner.device().index());
        try {
            this.copied = CudaEvent.create(false);
        } catch (RuntimeException ex) {
            s.close();
            throw ex;
        }
        this.copies = s;
    }

    /**
     * Uploads from the backend's thread that waited for a pinned buffer still being copied from (see
     * {@link CudaBackend#stagingWaits()}); a loader's waits do not count: they do not hold up a step.
     */
    long stagingWaits() { return waits.get(); }

    // ---- staging from any thread (a loader's) --------------------------------------------------------------------

    /** Pinned buffers the loader threads stage into; at most this many (then a stage waits for the oldest copy). */
    static final int POOL = 12;

    /** One pinned buffer of the pool; claimed from {@link #stage} until its upload is queued or it is released. */
    private final class Buffer implements Staged {
        long address;
        long capacity;
        final CudaEvent copied = CudaEvent.create(false);
        boolean inFlight;     // its last copy was queued (guarded by pool)
        boolean claimed;      // staged and not yet uploaded or released (guarded by pool)
        int size;
        DType dtype;
        long queuedAt;        // order of its last copy, to wait for the oldest

        @Override
        public int size() { return size; }

        @Override
        public void release() {
            synchronized (pool) {
                claimed = false;
            }
        }
    }

    private final java.util.List<Buffer> pool = new java.util.ArrayList<>();
    private long copiesQueued;

    @Override
    public Staged stage(float[] src, int srcOffset, int n) {
        return stage(src, srcOffset, n, false);
    }

    @Override
    public Staged stage(int[] src, int srcOffset, int n) {
        return stage(src, srcOffset, n, false);
    }

    /** {@code src} a float[] or an int[]; {@code counted}: on the backend's thread (its waits count). */
    private Staged stage(Object src, int srcOffset, int n, boolean counted) {
        boolean floats = src instanceof float[];
        Checks.range("UploadQueue.stage", "src", floats ? ((float[]) src).length : ((int[]) src).length, srcOffset, n);
        Buffer b = claim(4L * n, counted);
        if (floats) {
            DevPtr.floats(b.address, n).put((float[]) src, srcOffset, n);
        } else {
            DevPtr.ints(b.address, n).put((int[]) src, srcOffset, n);
        }
        b.size = n;
        b.dtype = floats ? DType.FLOAT32 : DType.INT32;
        return b;
    }

    /** A buffer of at least {@code bytes} whose last copy has run: a free one, a new one, or the oldest busy one. */
    private Buffer claim(long bytes, boolean counted) {
        if (closed) {
            throw new IllegalStateException("upload queue on " + owner.device() + " is closed");
        }
        Cuda.setDevice(owner.device().index());   // this may be a loader thread
        Buffer pick = null;
        boolean wait;
        synchronized (pool) {
            for (Buffer b : pool) {
                if (!b.claimed && (!b.inFlight || b.copied.isDone()) && (pick == null || b.capacity > pick.capacity)) {
                    pick = b;
                }
            }
            if (pick == null && pool.size() < POOL) {
                pick = new Buffer();
                pool.add(pick);
            }
            if (pick == null) {
                for (Buffer b : pool) {
                    if (!b.claimed && (pick == null || b.queuedAt < pick.queuedAt)) {
                        pick = b;
                    }
                }
            }
            if (pick == null) {
                throw new IllegalStateException("UploadQueue.stage: all " + POOL + " staging buffers of "
                        + owner.device() + " are staged and not uploaded (is something staging without uploading?)");
            }
            pick.claimed = true;
            wait = pick.inFlight;
        }
        if (wait) {
            if (counted && !pick.copied.isDone()) {
                waits.incrementAndGet();
            }
            pick.copied.synchronize();   // on the staging thread (a loader's, normally)
        }
        synchronized (pool) {
            pick.inFlight = false;
        }
        if (pick.capacity < bytes) {
            if (pick.address != 0) {
                Cuda.freeHost(pick.address);
                pick.address = 0;
                pick.capacity = 0;
            }
            long cap = Math.max(bytes, 64 * 1024);
            pick.address = Cuda.mallocHost(cap);
            pick.capacity = cap;
        }
        return pick;
    }

    @Override
    public void upload(Staged staged, Tensor dst) {
        boolean mine;
        synchronized (pool) {
            mine = staged instanceof Buffer x && pool.contains(x) && x.claimed;
        }
        if (!mine) {
            throw new IllegalArgumentException("UploadQueue.upload: " + staged + " was not staged by this queue, or was "
                    + "uploaded or released already (each staged value is uploaded once)");
        }
        Buffer b = (Buffer) staged;
        long d = target(b.dtype.toString(), dst, b.dtype, b.size, 0);
        if (b.size != dst.size()) {
            throw new IllegalArgumentException("UploadQueue.upload: " + b.size + " staged elements into " + dst);
        }
        if (b.size > 0) {
            Cuda.memcpyAsync(d, b.address, 4L * b.size, copies);
            b.copied.record(copies);
        }
        synchronized (pool) {
            b.inFlight = b.size > 0;
            b.claimed = false;
            b.queuedAt = ++copiesQueued;
        }
    }

    private long target(String what, Tensor dst, DType dtype, int srcLength, int srcOffset) {
        if (closed) {
            throw new IllegalStateException("upload queue on " + owner.device() + " is closed");
        }
        Checks.dtype("UploadQueue.upload", "dst", dst, dtype);
        Checks.range("UploadQueue.upload", "src", srcLength, srcOffset, dst.size());
        if (!(dst.storage() instanceof CudaStorage cs) || !dst.device().equals(owner.device())) {
            throw new IllegalArgumentException("UploadQueue.upload: dst (" + what + ") is on " + dst.device()
                    + ", this queue copies to " + owner.device());
        }
        Cuda.setDevice(owner.device().index());
        return cs.address() + dst.offset() * dtype.bytes();
    }

    /** Stages on the caller's (the backend's) thread, then queues the copy. */
    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        target("FLOAT32", dst, DType.FLOAT32, src.length, srcOffset);
        upload(stage(src, srcOffset, dst.intSize(), true), dst);
    }

    /** Stages on the caller's (the backend's) thread, then queues the copy. */
    @Override
    public void upload(int[] src, int srcOffset, Tensor dst) {
        target("INT32", dst, DType.INT32, src.length, srcOffset);
        upload(stage(src, srcOffset, dst.intSize(), true), dst);
    }

    @Override
    public boolean overlapsCompute() { return true; }

    @Override
    public void handOver() {
        Cuda.setDevice(owner.device().index());
        copied.record(copies);
        owner.stream().waitFor(copied);
    }

    @Override
    public void waitFor(StreamEvent readers) {
        if (readers instanceof CudaStreamEvent e) {
            e.waitIn(copies);
        } else if (readers != StreamEvent.none()) {
            throw new IllegalArgumentException("UploadQueue.waitFor: not an event of a CUDA backend: " + readers);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Cuda.setDevice(owner.device().index());
        try {
            copies.synchronize();
        } finally {
            copied.close();
            synchronized (pool) {
                for (Buffer b : pool) {
                    Cuda.freeHost(b.address);
                    b.address = 0;
                    b.copied.close();
                }
                pool.clear();
            }
            copies.close();
        }
    }
}
