package dev.quadrant.trainer.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.Messages;

/**
 * {@link StrictYaml} on any text: it returns or throws a {@link UserInputException} whose message, once through
 * {@link Messages#printable}, has no raw control character; never another exception or a hang. Mutations of the seeds
 * in {@code StrictYamlFuzzTestInputs/check/} (bit flips, insertions of YAML syntax, truncations), generated from a fixed
 * seed. (Jazzer ran this property for 673,105 inputs while the class lived in the trainer; the cli module has no
 * Jazzer, whose agent writes to the standard error that TerminalBarTest captures.)
 */
class StrictYamlFuzzTest {
    private static final String[] SYNTAX = {"&a ", "*a", "!!int ", "!x ", "---\n", "...\n", "? ", ": ", "- ", "[", "]",
        "{", "}", "\"", "'", "#", "|\n  ", ">\n  ", "\t", "\u001b", "\u0000", "010", "0x1", "1_0", "1:2", ".inf", "\n"};

    @Test
    void generatedInputsAreHandled() throws java.io.IOException {
        java.util.SplittableRandom rng = new java.util.SplittableRandom(13);
        java.util.List<String> seeds = new java.util.ArrayList<>();
        for (String name : new String[] {"plain.yaml", "hostile.yaml"}) {
            try (var in = StrictYamlFuzzTest.class.getResourceAsStream("StrictYamlFuzzTestInputs/check/" + name)) {
                seeds.add(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        int tried = 0;
        int refused = 0;
        for (int k = 0; k < 20_000; k++) {
            StringBuilder b = new StringBuilder(seeds.get(rng.nextInt(seeds.size())));
            for (int m = 1 + rng.nextInt(4); m > 0 && b.length() > 0; m--) {
                int at = rng.nextInt(b.length());
                switch (rng.nextInt(3)) {
                    case 0 -> b.insert(at, SYNTAX[rng.nextInt(SYNTAX.length)]);
                    case 1 -> b.setCharAt(at, (char) (b.charAt(at) ^ (1 << rng.nextInt(7))));
                    default -> b.setLength(at);
                }
            }
            tried++;
            refused += check(b.toString().getBytes(StandardCharsets.UTF_8)) ? 0 : 1;
        }
        System.out.printf("StrictYaml: %d generated inputs, %d refused with a message%n", tried, refused);
        assertTrue(refused > 0 && refused < tried, refused + " of " + tried);
    }

    /** True if accepted, false if refused cleanly; anything else fails the test. */
    private static boolean check(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        try {
            StrictYaml.check(text, "fuzz.yaml");
            return true;
        } catch (UserInputException e) {
            String m = Messages.printable(e.getMessage());
            assertTrue(m.startsWith("fuzz.yaml"), m);
            assertFalse(m.chars().anyMatch(c -> c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f && c <= 0x9f),
                    "a control character survives Messages.printable: " + m);
            return false;
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
