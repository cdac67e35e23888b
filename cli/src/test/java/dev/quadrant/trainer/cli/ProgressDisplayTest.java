package dev.quadrant.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.quadrant.trainer.train.EpochMetrics;

class ProgressDisplayTest {

    private static EpochMetrics epoch(int e, double samplesPerSecond) {
        return new EpochMetrics(e, 100L * e, 0.5, Map.of("test_loss", 0.4), samplesPerSecond, Double.NaN, 1.0,
                "single", 1, 0, 0, 0, 0, Map.of());
    }

    @Test
    void aSlowFirstEpochIsExplainedAsWarmUpOnce() {
        StringWriter text = new StringWriter();
        ProgressDisplay d = new ProgressDisplay(new PrintWriter(text), false, 0);
        d.onStart(300, 3, 100);
        d.onEpoch(epoch(1, 30_000));
        d.onEpoch(epoch(2, 60_000));
        d.onEpoch(epoch(3, 10_000));
        String[] lines = text.toString().strip().split("\n");
        assertEquals(5, lines.length, text.toString());
        assertTrue(lines[3].startsWith("note: the first epoch ran at 50% of the second's speed: JVM warm-up"),
                lines[3]);
        assertTrue(lines[4].startsWith("epoch 3/3"), "the note comes once: " + lines[4]);
    }

    @Test
    void noNoteWhenTheFirstEpochKeptUp() {
        ProgressDisplay d = new ProgressDisplay(new PrintWriter(new StringWriter()), false, 0);
        assertNull(d.warmUpNote(epoch(1, 50_000)));
        assertNull(d.warmUpNote(epoch(2, 60_000)), "within 1.3x");
    }
}
