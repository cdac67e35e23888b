package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The step graphs' bookkeeping, without a GPU (host launches: a graph is its recorded ops, replayed in order). Each
 * fake op logs {@code name@step} when it runs, where {@code step} is the step whose code queued it: a replay logs the
 * step its segment was recorded at, an eager launch the current one. So the log shows what ran, in which order, and
 * whether it came from a graph.
 */
class StepGraphsTest {
    final List<String> log = new ArrayList<>();
    final StepGraphs g = new StepGraphs(null, true);

    /** Queues op {@code name} with argument {@code arg} (part of its key), as the code of step {@code step}. */
    void op(String name, long arg, int step) {
        g.submit(new long[] {name.hashCode(), arg}, () -> log.add(name + "@" + step));
    }

    /** One step: ops a, b, c (c's argument {@code cArg}), a boundary, ops d, e; the log of what ran in it. */
    List<String> step(int s, long cArg) {
        log.clear();
        g.beginStep();
        op("a", 1, s);
        op("b", 2, s);
        op("c", cArg, s);
        g.flush();   // e.g. an event for a communicator
        log.add("boundary");
        op("d", 4, s);
        op("e", 5, s);
        g.endStep();
        return List.copyOf(log);
    }

    @Test
    void warmUpThenRecordThenReplayTheRecordedOps() {
        g.setEnabled(true);
        assertEquals(List.of("a@1", "b@1", "c@1", "boundary", "d@1", "e@1"), step(1, 3), "step 1: eager");
        assertEquals(List.of("a@2", "b@2", "c@2", "boundary", "d@2", "e@2"), step(2, 3), "step 2: eager, recorded");
        // step 3 queues the same ops: held back, and the segments' graphs (step 2's ops) run at each boundary
        assertEquals(List.of("a@2", "b@2", "c@2", "boundary", "d@2", "e@2"), step(3, 3));
        assertEquals(List.of("a@2", "b@2", "c@2", "boundary", "d@2", "e@2"), step(4, 3));
        assertEquals(4, g.graphLaunches());
        assertEquals(10, g.opsReplayed());
    }

    @Test
    void anOpThatDiffersRunsEagerlyInOrderAndIsLearnedAsAnotherVersion() {
        g.setEnabled(true);
        step(1, 3);
        step(2, 3);
        // c's argument changes: a and b, held back, run first, then c, all as step 3's own; the second segment replays
        assertEquals(List.of("a@3", "b@3", "c@3", "boundary", "d@2", "e@2"), step(3, 30));
        // both versions are known now: each replays
        assertEquals(List.of("a@2", "b@2", "c@2", "boundary", "d@2", "e@2"), step(4, 3));
        assertEquals(List.of("a@3", "b@3", "c@3", "boundary", "d@2", "e@2"), step(5, 30));
    }

    @Test
    void aSegmentThatKeepsChangingStaysEager() {
        g.setEnabled(true);
        step(1, 3);
        step(2, 3);
        for (int s = 3; s < 3 + StepGraphs.MAX_CHANGES; s++) {
            step(s, 100 + s);   // a new c every step, as a learning rate from a schedule would be
        }
        long launches = g.graphLaunches();
        int s = 3 + StepGraphs.MAX_CHANGES;
        assertEquals(List.of("a@" + s, "b@" + s, "c@" + s, "boundary", "d@2", "e@2"), step(s, 3),
                "given up: eager even for a known version; the other segment still replays");
        assertEquals(launches + 1, g.graphLaunches());
        assertTrue(g.report().contains("changed"), g.report());
    }

    @Test
    void aSegmentThatEndsEarlyRunsWhatItHeld() {
        g.setEnabled(true);
        step(1, 3);
        step(2, 3);
        log.clear();
        g.beginStep();
        op("a", 1, 3);
        op("b", 2, 3);
        g.flush();   // the recorded segment had c too
        log.add("boundary");
        g.endStep();
        assertEquals(List.of("a@3", "b@3", "boundary"), log);
    }

    @Test
    void eagerOpsSplitSegmentsAndRunAtOnce() {
        g.setEnabled(true);
        for (int s = 1; s <= 4; s++) {
            log.clear();
            g.beginStep();
            op("a", 1, s);
            op("b", 2, s);
            int step = s;
            g.eagerly(() -> op("update", 1000 + step, step));   // the learning rate changes every step
            op("c", 3, s);
            op("d", 4, s);
            g.endStep();
            if (s >= 3) {
                assertEquals(List.of("a@2", "b@2", "update@" + s, "c@2", "d@2"), log, "step " + s);
            }
        }
    }

    @Test
    void outsideStepsAndWhenOffEverythingIsEager() {
        g.setEnabled(true);
        step(1, 3);
        step(2, 3);
        log.clear();
        op("eval", 1, 9);   // between steps
        assertEquals(List.of("eval@9"), log);
        StepGraphs off = new StepGraphs(null, true);
        for (int s = 1; s <= 3; s++) {
            log.clear();
            off.beginStep();
            off.submit(new long[] {1}, () -> log.add("x"));
            off.submit(new long[] {2}, () -> log.add("y"));
            assertEquals(List.of("x", "y"), log, "off: launched as queued");
            off.endStep();
        }
        assertEquals(0, off.graphLaunches());
    }

    @Test
    void twoVersionsOfOnePositionBothReplay() {
        g.setEnabled(true);
        step(1, 3);
        step(2, 3);
        step(3, 7);   // the epoch's last, partial batch
        for (int s = 4; s < 10; s++) {
            long c = s % 2 == 0 ? 3 : 7;
            List<String> ran = step(s, c);
            assertEquals(c == 3 ? "c@2" : "c@3", ran.get(2), "step " + s + " replays the version of c = " + c);
        }
    }
}
