package dev.quadrant.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.junit.FuzzTest;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.Messages;

/**
 * {@link StrictYaml} on any text: it returns or throws a {@link UserInputException} whose message has no raw control
 * character; never another exception or a hang. Run as {@code dev.quadrant.trainer.io.SafeTensorsFuzzTest} says (with {@code -pl cli})
 * ({@code -Dtest=StrictYamlFuzzTest}). Seeds: {@code StrictYamlFuzzTestInputs/check/}.
 */
class StrictYamlFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void check(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            StrictYaml.check(text, "fuzz.yaml");
        } catch (UserInputException e) {
            String m = Messages.printable(e.getMessage());
            assertTrue(m.startsWith("fuzz.yaml"), m);
            assertFalse(m.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f),
                    "a control character survives Messages.printable: " + m);
        }
    }

    @Test
    void refusesWhatWouldMeanSomethingElse() {
        for (String bad : new String[] {"a: 010", "a: 0x1F", "a: 0o17", "a: 1_000", "a: 1:30", "a: .inf", "a: -.nan",
            "a: &x 1\nb: *x", "a: !!str 3", "a: 1\n---\nb: 2", "a: !foo {x: 1}"}) {
            UserInputException e = assertThrows(UserInputException.class, () -> StrictYaml.check(bad, "c.yaml"), bad);
            assertTrue(e.getMessage().startsWith("c.yaml: line "), e.getMessage());
        }
    }

    @Test
    void acceptsPlainConfigs() {
        StrictYaml.check("epochs: 3\nlr: 1e-3\nmomentum: 0.9\nmodel: mlp:512-256\nschedule: step:10:0.5\n"
                + "devices: cuda:0x2,1x2\ninit: null\nseed: -7\nsave: \"010\"\ncsv-label-column: 0\n", "ok.yaml");
        StrictYaml.check("---\nepochs: 3\n...\n", "explicit.yaml");
        StrictYaml.check("", "empty.yaml");
        assertFalse(Messages.printable("a\u001bb").contains("\u001b"));
    }
}
