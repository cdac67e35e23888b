package dev.quadrant.device.cuda;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.device.Backend;

/**
 * Splits a replica's training steps into compute and exposed communication, measured on the backend's own
 * timeline: on a GPU with timing events recorded on the backend's stream (so the time the stream spends waiting for a
 * collective is communication, whatever the host did meanwhile), on the CPU with {@link System#nanoTime()}, the
 * host being the device.
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

    private record Mark(CudaEvent event, long nanos, Phase phase) {}

    private final CudaBackend gpu;   // null: host clock
    private final ArrayDeque<Mark> marks = new ArrayDeque<>();
    private final ArrayDeque<CudaEvent> free = new ArrayDeque<>();
    private final List<CudaEvent> all = new ArrayList<>();
    private double computeMs;
    private double commMs;
    private long steps;

    private StepClock(CudaBackend gpu) {
        this.gpu = gpu;
    }

    /** A clock on {@code be}'s timeline. */
    public static StepClock of(Backend be) {
        return new StepClock(CudaBackend.of(be));
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
        if (gpu == null) {
            marks.addLast(new Mark(null, System.nanoTime(), phase));
        } else {
            Cuda.setDevice(gpu.device().index());
            CudaEvent e = free.isEmpty() ? newEvent() : free.pop();
            e.record(gpu.stream());
            marks.addLast(new Mark(e, 0, phase));
        }
        account(false);
    }

    private CudaEvent newEvent() {
        CudaEvent e = CudaEvent.create(true);
        all.add(e);
        return e;
    }

    /** Adds up the intervals whose end is known; with {@code all}, waits for the last mark first. */
    private void account(boolean wait) {
        if (wait && gpu != null && !marks.isEmpty()) {
            Cuda.setDevice(gpu.device().index());
            marks.peekLast().event().synchronize();
        }
        while (marks.size() >= 2) {
            Mark a = marks.pollFirst();
            Mark b = marks.peekFirst();
            double ms;
            if (gpu == null) {
                ms = (b.nanos() - a.nanos()) / 1e6;
            } else {
                if (!wait && !b.event().isDone()) {
                    marks.addFirst(a);
                    return;
                }
                ms = CudaEvent.elapsedMs(a.event(), b.event());
                free.push(a.event());
            }
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

    /** Frees the events. */
    @Override
    public void close() {
        if (gpu != null) {
            Cuda.setDevice(gpu.device().index());
            for (CudaEvent e : all) {
                e.close();
            }
        }
        all.clear();
        free.clear();
        marks.clear();
    }
}
