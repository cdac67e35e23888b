package dev.quadrant.device;

/**
 * Host-to-device uploads that run beside a backend's compute, for inputs prefetched while the previous step still
 * computes: on a GPU a copy stream of its own with pinned staging buffers (so the copy of step {@code s + 1}'s batch
 * overlaps the kernels of step {@code s}), on a host backend plain copies through the backend. Ordering, on the
 * device and without host waits: {@link #handOver()} makes the backend's later work wait for the uploads queued so
 * far, and {@link #waitFor} makes later uploads wait for the backend work that last read their destination (double
 * buffering: the upload into a buffer waits for the step that read it two steps ago, not for the one before).
 *
 * <pre>{@code
 * try (UploadQueue q = be.newUploadQueue(); StreamEvent readA = be.newEvent()) {
 *     q.waitFor(readA);             // buffer A's last reader (nothing the first time)
 *     q.upload(hostX, 0, inputA);   // the host array may be reused at once
 *     q.handOver();                 // the step's kernels run after the copy
 *     model.forward(inputA, ...);  ...
 *     readA.record(be);             // after the last op that reads inputA
 * }
 * }</pre>
 *
 * <p>Staging: {@link #stage} copies a host array into memory the copy engine reads directly (pinned, on a GPU) and may
 * be called from any thread, so a loader thread does that copy while the backend's thread computes; the backend's
 * thread then queues the device copy with {@link #upload(Staged, Tensor)}.
 *
 * <p>Thread-safety: {@link #stage} and {@link Staged#release} from any thread; everything else from the backend's
 * thread, like the backend.
 */
public interface UploadQueue extends AutoCloseable {

    /** Host data made ready for one upload by {@link #stage}. */
    interface Staged {
        /** Elements staged. */
        int size();

        /** Gives the staging memory back without uploading it (a prefetch that turned out stale). */
        void release();
    }

    /**
     * Stages {@code n} floats of {@code src[srcOffset...]} for one {@link #upload(Staged, Tensor)}: on a GPU they are
     * copied into a pinned buffer (waiting, if every buffer is still being copied from, for the oldest copy); on the
     * host the array itself is kept, so it must not change until the upload. Any thread.
     */
    Staged stage(float[] src, int srcOffset, int n);

    /** As {@link #stage(float[], int, int)} for ints (an INT32 destination). */
    Staged stage(int[] src, int srcOffset, int n);

    /**
     * Queues the copy of {@code staged} into {@code dst} (of its dtype and {@link Staged#size()} elements); its staging
     * memory is reused once that copy has run. Each staged value is uploaded once.
     */
    void upload(Staged staged, Tensor dst);

    /** Queues a copy of {@code dst.size()} floats from {@code src[srcOffset...]} into {@code dst} (FLOAT32). */
    void upload(float[] src, int srcOffset, Tensor dst);

    /** Queues a copy of {@code dst.size()} ints from {@code src[srcOffset...]} into {@code dst} (INT32). */
    void upload(int[] src, int srcOffset, Tensor dst);

    /**
     * Whether uploads run beside the backend's compute (a GPU's copy stream), so that double-buffering the
     * destination pays; false for {@link #inline}.
     */
    boolean overlapsCompute();

    /** The backend's work queued from now on runs after every upload queued so far. */
    void handOver();

    /** The uploads queued from now on run after {@code readers}'s last {@link StreamEvent#record}. */
    void waitFor(StreamEvent readers);

    /** Frees the queue's stream and staging buffers, after its copies have finished. */
    @Override
    void close();

    /** The queue of a backend whose uploads finish when they return (the host backends): uploads through it. */
    static UploadQueue inline(Backend be) {
        record Kept(float[] floats, int[] ints, int offset, int size) implements Staged {
            @Override
            public void release() {}
        }
        return new UploadQueue() {
            @Override
            public Staged stage(float[] src, int srcOffset, int n) { return new Kept(src, null, srcOffset, n); }

            @Override
            public Staged stage(int[] src, int srcOffset, int n) { return new Kept(null, src, srcOffset, n); }

            @Override
            public void upload(Staged staged, Tensor dst) {
                Kept k = (Kept) staged;
                if (k.size() != dst.size()) {
                    throw new IllegalArgumentException("UploadQueue.upload: " + k.size() + " staged elements into "
                            + dst);
                }
                if (k.floats() != null) {
                    be.upload(k.floats(), k.offset(), dst);
                } else {
                    be.upload(k.ints(), k.offset(), dst);
                }
            }

            @Override
            public void upload(float[] src, int srcOffset, Tensor dst) { be.upload(src, srcOffset, dst); }

            @Override
            public void upload(int[] src, int srcOffset, Tensor dst) { be.upload(src, srcOffset, dst); }

            @Override
            public boolean overlapsCompute() { return false; }

            @Override
            public void handOver() {}

            @Override
            public void waitFor(StreamEvent readers) {}

            @Override
            public void close() {}
        };
    }
}
