package dev.quadrant.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.cpu.CpuBackend;
import dev.quadrant.device.reference.ReferenceBackend;

/** The host defaults of {@link Backend#newEvent()}, {@link Backend#newTimeline()} and {@link Backend#like}. */
class BackendDefaultsTest {

    @Test
    void aHostBackendGetsTheNoOpEventAndTheHostClock() {
        try (Backend a = new CpuBackend(1); Backend b = new ReferenceBackend()) {
            StreamEvent e = a.newEvent();
            assertSame(StreamEvent.none(), e);
            e.record(a);
            e.waitIn(b);      // any backend: a host event orders nothing
            e.close();
            assertSame(Timeline.host(), b.newTimeline());
        }
    }

    @Test
    void aHostMarkMeasuresAgainstAnEarlierOne() {
        Timeline.Mark a = Timeline.host().mark();
        Timeline.Mark b = Timeline.host().mark();
        assertTrue(a.reached() && b.reached());
        assertTrue(b.msSince(a) >= 0, "" + b.msSince(a));
    }

    @Test
    void likeGivesAOneThreadBackendOfTheProvider() {
        try (Backend ref = new ReferenceBackend(); Backend other = ref.like(Device.cpu())) {
            assertTrue(other instanceof CpuBackend, other.describe());
            assertEquals(Device.cpu(), other.device());
            assertTrue(other.describe().contains("1 thread"), other.describe());
        }
    }
}
