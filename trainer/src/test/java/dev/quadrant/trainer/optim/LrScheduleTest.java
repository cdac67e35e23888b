package dev.quadrant.trainer.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.UserInputException;

/** The learning-rate schedules, value by value, and their text forms. */
class LrScheduleTest {

    @Test
    void cosineWarmsUpThenDecaysToTheFloorAtTheLastStep() {
        LrSchedule s = LrSchedule.parse("cosine:100:1e-4");
        assertEquals(1e-3f / 100, s.at(1e-3f, 0, 2000), 1e-12);
        assertEquals(1e-3f, s.at(1e-3f, 99, 2000), 1e-9);
        assertEquals(1e-3f, s.at(1e-3f, 100, 2000), 1e-9, "the first decay step is at the base rate");
        assertEquals(1e-4f, s.at(1e-3f, 1999, 2000), 1e-9, "the last step is at the floor");
        double mid = 1e-4 + 0.5 * (1e-3 - 1e-4) * (1 + Math.cos(Math.PI * 949 / 1899.0));
        assertEquals(mid, s.at(1e-3f, 100 + 949, 2000), 1e-9, "half way: close to the mean of base and floor");
        for (long step = 100; step < 1999; step++) {
            assertTrue(s.at(1e-3f, step + 1, 2000) <= s.at(1e-3f, step, 2000), "decreasing at " + step);
        }
        assertEquals("cosine:100:1.0E-4", s.toString());
        assertEquals(s, LrSchedule.parse(s.toString()), "the text form parses back");
    }

    @Test
    void cosineWithoutAFloorEndsAtZeroAndStepAndConstantAreAsBefore() {
        assertEquals(0f, LrSchedule.parse("cosine").at(0.1f, 9, 10), 1e-9);
        assertEquals(0.1f, LrSchedule.parse("constant").at(0.1f, 5, 10));
        assertEquals(0.1f * 0.5f * 0.5f, LrSchedule.parse("step:3:0.5").at(0.1f, 7, 10), 1e-9);
    }

    @Test
    void badFormsNameTheExpectedOnes() {
        for (String bad : new String[] {"cosine:-1", "cosine:10:-1", "cosine:1:2:3", "linear", "step:0:0.5"}) {
            UserInputException e = assertThrows(UserInputException.class, () -> LrSchedule.parse(bad));
            assertTrue(e.getMessage().contains("cosine[:WARMUP_STEPS[:MIN_LR]]"), e.getMessage());
        }
    }
}
