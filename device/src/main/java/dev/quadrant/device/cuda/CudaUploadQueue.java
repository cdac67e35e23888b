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
 * moves step {@code s + 1}'s batch while the compute stream still runs step {@code s}), staged through a pinned ring
 * of its own ({@link PinnedStaging}: the host array is free when {@link #upload} returns). {@link #handOver()}
 * records an event on the copy stream and makes the compute stream wait for it; {@link #waitFor} makes the copy
 * stream wait for an event of the compute stream. Neither blocks the host. Thread-safety: the backend's thread only.
 */
final class CudaUploadQueue implements UploadQueue {
    private final CudaBackend owner;
    private final CudaStream copies;
    private final PinnedStaging staging;
    private final CudaEvent copied;
    private boolean closed;

    CudaUploadQueue(CudaBackend owner) {
        this.owner = owner;
        CudaStream s = CudaStream.create(owner.device().index());
        PinnedStaging st = null;
        CudaEvent e = null;
        try {
            st = new PinnedStaging(s);
            e = CudaEvent.create(false);
        } catch (RuntimeException ex) {
            if (st != null) {
                st.close();
            }
            s.close();
            throw ex;
        }
        this.copies = s;
        this.staging = st;
        this.copied = e;
    }

    /** Uploads that waited for a pinned slot still being copied (see {@link CudaBackend#stagingWaits()}). */
    long stagingWaits() { return staging.waits(); }

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

    @Override
    public void upload(float[] src, int srcOffset, Tensor dst) {
        long d = target("FLOAT32", dst, DType.FLOAT32, src.length, srcOffset);
        int n = dst.intSize();
        if (n > 0) {
            int slot = staging.acquire(4L * n);
            DevPtr.floats(staging.address(slot), n).put(src, srcOffset, n);
            Cuda.memcpyAsync(d, staging.address(slot), 4L * n, copies);
            staging.submitted(slot);
        }
    }

    @Override
    public void upload(int[] src, int srcOffset, Tensor dst) {
        long d = target("INT32", dst, DType.INT32, src.length, srcOffset);
        int n = dst.intSize();
        if (n > 0) {
            int slot = staging.acquire(4L * n);
            DevPtr.ints(staging.address(slot), n).put(src, srcOffset, n);
            Cuda.memcpyAsync(d, staging.address(slot), 4L * n, copies);
            staging.submitted(slot);
        }
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
            staging.close();
            copied.close();
            copies.close();
        }
    }
}
