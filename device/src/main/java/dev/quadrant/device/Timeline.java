package dev.quadrant.device;

/**
 * A backend's own time: marks placed in the order of its work, and the time between two of them. On a GPU a mark is a
 * timing event recorded on the backend's stream, so the interval between two marks is what the stream spent (waiting
 * for a collective included), whatever the host did meanwhile; on the host it is {@link System#nanoTime()}.
 * {@link StepClock} adds intervals up per phase; a timeline comes from {@link Backend#newTimeline()}.
 *
 * <pre>{@code
 * try (Timeline t = be.newTimeline()) {
 *     Timeline.Mark a = t.mark();
 *     be.gemm(false, true, 1f, x, w, 0f, y);
 *     Timeline.Mark b = t.mark();
 *     b.await();
 *     double ms = b.msSince(a);
 *     a.release();
 *     b.release();
 * }
 * }</pre>
 *
 * <p>Not thread-safe: one timeline per replica, used by one thread at a time. {@link #close()} frees the marks'
 * resources; a mark must not be used after it.
 */
public interface Timeline extends AutoCloseable {

    /** A point placed after the work queued so far. */
    Mark mark();

    /** Frees what the marks hold (GPU events). */
    @Override
    void close();

    /** The timeline of a backend whose ops are done when they return: marks read {@link System#nanoTime()}. */
    static Timeline host() {
        return HostTimeline.INSTANCE;
    }

    /** A point on a {@link Timeline}. */
    interface Mark {
        /** Whether the backend's work has passed this point (always, on the host); does not wait. */
        boolean reached();

        /** Waits until {@link #reached()}. */
        void await();

        /** Milliseconds from {@code earlier} (a mark of the same timeline) to this one; both must be reached. */
        double msSince(Mark earlier);

        /** This mark is no longer needed; its resources may serve a later mark. */
        void release();
    }
}
