package dev.quadrant.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.UserInputException;

class CheckpointEveryTest {
    @Test
    void parsesStepsAndEpochs() {
        assertEquals(new CheckpointEvery(500, 0), CheckpointEvery.parse("500"));
        assertEquals(new CheckpointEvery(500, 0), CheckpointEvery.parse("500steps"));
        assertEquals(new CheckpointEvery(0, 1), CheckpointEvery.parse("1e"));
        assertEquals(new CheckpointEvery(0, 1), CheckpointEvery.parse("1epoch"));
        assertEquals(new CheckpointEvery(0, 2), CheckpointEvery.parse(" 2 Epochs "));
        assertEquals("500", CheckpointEvery.parse("500").toString());
        assertEquals("2e", CheckpointEvery.parse("2epochs").toString());
    }

    @Test
    void refusesTheRest() {
        for (String bad : new String[] {"", "0", "0e", "-5", "1.5", "e", "3 weeks", "99999999999e", "1e5"}) {
            UserInputException e = assertThrows(UserInputException.class, () -> CheckpointEvery.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("--checkpoint-every '" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void dueAfterStepsOrEpochs() {
        CheckpointEvery s = CheckpointEvery.parse("50");
        assertTrue(s.dueAfterStep(100));
        assertFalse(s.dueAfterStep(101));
        assertFalse(s.dueAfterEpoch(0));
        CheckpointEvery e = CheckpointEvery.parse("2e");
        assertFalse(e.dueAfterEpoch(0));
        assertTrue(e.dueAfterEpoch(1));
        assertFalse(e.dueAfterStep(100));
    }
}
