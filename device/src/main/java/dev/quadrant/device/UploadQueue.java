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
 * <p>Thread-safety: one per backend, used from the backend's thread, like the backend.
 */
public interface UploadQueue extends AutoCloseable {

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
        return new UploadQueue() {
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
