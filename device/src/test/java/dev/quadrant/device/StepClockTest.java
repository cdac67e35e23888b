package dev.quadrant.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link StepClock} over a scripted timeline (exact times, marks not yet reached) and over the host clock. */
class StepClockTest {

    /** Marks at scripted times (ms); a mark is reached once {@link #reachAll} ran or someone awaited it. */
    static final class ScriptedTimeline implements Timeline {
        final List<ScriptedMark> marks = new ArrayList<>();
        double now;
        boolean autoReach = true;
        int released;
        boolean closed;

        final class ScriptedMark implements Mark {
            final double at;
            boolean reached;

            ScriptedMark(double at) {
                this.at = at;
                this.reached = autoReach;
            }

            @Override public boolean reached() { return reached; }

            @Override public void await() { reachAll(); }

            @Override public double msSince(Mark earlier) {
                ScriptedMark e = (ScriptedMark) earlier;
                assertTrue(reached && e.reached, "msSince on a mark not reached");
                return at - e.at;
            }

            @Override public void release() { released++; }
        }

        /** Runs {@code marking} (which places a mark) at time {@code ms}. */
        void at(double ms, Runnable marking) {
            now = ms;
            marking.run();
        }

        void reachAll() {
            marks.forEach(m -> m.reached = true);
        }

        @Override
        public Mark mark() {
            ScriptedMark m = new ScriptedMark(now);
            marks.add(m);
            return m;
        }

        @Override
        public void close() { closed = true; }
    }

    @Test
    void addsUpEachPhaseAndSkipsTheGapBetweenSteps() {
        ScriptedTimeline t = new ScriptedTimeline();
        try (StepClock clock = new StepClock(t)) {
            t.at(0, clock::start);
            t.at(5, () -> clock.lap(StepClock.Phase.COMPUTE));
            t.at(7, () -> clock.lap(StepClock.Phase.COMM));
            t.at(100, clock::start);                              // idle until the next step: not counted
            t.at(101.5, () -> clock.lap(StepClock.Phase.COMPUTE));
            assertEquals(new StepClock.Totals(6.5, 2, 2), clock.take());
            assertEquals(new StepClock.Totals(0, 0, 0), clock.take(), "take resets");
        }
        assertTrue(t.closed, "the clock closes its timeline");
    }

    @Test
    void marksNotReachedWaitForTakeAndAreReleasedOnce() {
        ScriptedTimeline t = new ScriptedTimeline();
        t.autoReach = false;
        try (StepClock clock = new StepClock(t)) {
            t.at(1, clock::start);
            t.at(4, () -> clock.lap(StepClock.Phase.COMPUTE));
            t.at(9, () -> clock.lap(StepClock.Phase.COMM));
            assertEquals(0, t.released, "nothing read before the device got there");
            assertEquals(new StepClock.Totals(3, 5, 1), clock.take());
            assertEquals(2, t.released, "every mark but the last is released once read");
        }
    }

    @Test
    void theHostClockMeasuresNanoTime() throws InterruptedException {
        try (StepClock clock = new StepClock(Timeline.host())) {
            clock.start();
            Thread.sleep(20);
            clock.lap(StepClock.Phase.COMPUTE);
            clock.lap(StepClock.Phase.COMM);
            StepClock.Totals t = clock.take();
            assertEquals(1, t.steps());
            assertTrue(t.computeMs() >= 19, "slept 20 ms, measured " + t.computeMs());
            assertTrue(t.commMs() >= 0 && t.commMs() < t.computeMs(), t.toString());
        }
    }
}
