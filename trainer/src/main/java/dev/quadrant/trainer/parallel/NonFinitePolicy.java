package dev.quadrant.trainer.parallel;

import java.util.Locale;

import dev.quadrant.device.UserInputException;

/**
 * What a replica does when a step's gradients hold a NaN or an infinity (the {@code --on-nan} option): stop the run
 * with an error naming the step and the first parameter concerned ({@link #ABORT}, the default), or drop that update
 * and go on ({@link #SKIP}; the skipped steps are counted in the metrics as {@code skipped_steps}).
 *
 * <pre>{@code
 * replica.setNonFinitePolicy(NonFinitePolicy.parse("skip"));
 * }</pre>
 */
public enum NonFinitePolicy {
    /** Stop the run with a {@link NonFiniteGradientException}. */
    ABORT,
    /** Drop the update (parameters and optimizer state unchanged) and count it. */
    SKIP;

    /** Parses the {@code --on-nan} text ({@code abort} or {@code skip}, any case). */
    public static NonFinitePolicy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        return switch (t) {
            case "abort" -> ABORT;
            case "skip" -> SKIP;
            default -> throw new UserInputException("--on-nan '" + text + "' is not understood: expected abort or skip");
        };
    }

    /** The option text: {@code abort} or {@code skip}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
