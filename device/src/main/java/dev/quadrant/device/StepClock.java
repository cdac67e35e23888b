package dev.quadrant.device;

import java.util.ArrayDeque;
import java.util.Objects;

/**
 * Splits a replica's training steps into compute and exposed communication, measured on the backend's own
 * {@link Timeline}: on a GPU with timing events recorded on the backend's stream (so the time the stream spends
 * waiting for a collective is communication, whatever the host did meanwhile), on the CPU with
 * {@link System#nanoTime()}, the host being the device.
 *
 * <pre>{@code
 * clock.start();                        // the step begins
 * ... forward, backward ...
 * clock.lap(StepClock.Phase.COMPUTE);   // time since the previous mark was compute
 * ... wait for the gradient buckets ...
 * clock.lap(StepClock.Phase.COMM);      // ... and this was communication not hidden by backward
 * ... optimizer update ...
 * clock.lap(StepClock.Phase.COMPUTE);
 * StepClock.Totals t = clock.take();    // at the end of an epoch
 * }</pre>
 *
 * <p>Between a step's last mark and the next {@link #start()} nothing is counted (the replica waits for its next
 * batch). On a GPU, reading the times waits for the last recorded mark; marks whose time is read are reused.
 * Not thread-safe: one clock per replica; {@link #take()} may be called from another thread while the replica is idle.
 */
public final class StepClock implements AutoCloseable {

    /** What the time since the previous mark was spent on. */
    public enum Phase { COMPUTE, COMM }

    /** Milliseconds spent per phase over {@code steps} steps. */
    public record Totals(double computeMs, double commMs, long steps) {
        /** Sums of two totals (several replicas). */
        public Totals plus(Totals o) {
            return new Totals(computeMs + o.computeMs, commMs + o.commMs, steps + o.steps);
        }
    }

    private record Lap(Timeline.Mark mark, Phase phase) {}

    private final Timeline timeline;
    private final ArrayDeque<Lap> marks = new ArrayDeque<>();
    private double computeMs;
    private double commMs;
    private long steps;

    /** A clock over {@code timeline}, which it owns and closes. */
    public StepClock(Timeline timeline) {
        this.timeline = Objects.requireNonNull(timeline, "timeline");
    }

    /** A clock on {@code be}'s timeline ({@link Backend#newTimeline()}). */
    public static StepClock of(Backend be) {
        return new StepClock(be.newTimeline());
    }

    /** Marks the start of a step. */
    public void start() {
        steps++;
        mark(null);
    }

    /** Marks the end of a stretch of {@code phase}. */
    public void lap(Phase phase) {
        mark(phase);
    }

    private void mark(Phase phase) {
        marks.addLast(new Lap(timeline.mark(), phase));
        account(false);
    }

    /** Adds up the intervals whose end is known; with {@code wait}, waits for the last mark first. */
    private void account(boolean wait) {
        if (wait && !marks.isEmpty()) {
            marks.peekLast().mark().await();
        }
        while (marks.size() >= 2) {
            Lap a = marks.pollFirst();
            Lap b = marks.peekFirst();
            if (!wait && !b.mark().reached()) {
                marks.addFirst(a);
                return;
            }
            double ms = b.mark().msSince(a.mark());
            a.mark().release();
            if (b.phase() == Phase.COMPUTE) {
                computeMs += ms;
            } else if (b.phase() == Phase.COMM) {
                commMs += ms;
            }
        }
    }

    /** The totals since the last call, and resets them (on a GPU, waits for the marks recorded so far). */
    public Totals take() {
        account(true);
        Totals t = new Totals(computeMs, commMs, steps);
        computeMs = 0;
        commMs = 0;
        steps = 0;
        return t;
    }

    /** Frees the timeline (on a GPU, its events). */
    @Override
    public void close() {
        marks.clear();
        timeline.close();
    }
}
