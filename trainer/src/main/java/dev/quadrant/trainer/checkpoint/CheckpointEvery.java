package dev.quadrant.trainer.checkpoint;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.quadrant.device.UserInputException;

/**
 * How often a run writes a checkpoint (the {@code --checkpoint-every} option): every {@code N} optimizer steps
 * ({@code 500}, {@code 500steps}) or every {@code N} epochs ({@code 1e}, {@code 1epoch}, {@code 2epochs}). Exactly one
 * of {@link #steps()} and {@link #epochs()} is positive. A run also writes one when it ends. Immutable.
 *
 * <pre>{@code
 * CheckpointEvery.parse("1e").dueAfterEpoch(0);   // true
 * CheckpointEvery.parse("500").dueAfterStep(1000); // true
 * }</pre>
 */
public record CheckpointEvery(long steps, int epochs) {
    /** Every epoch, the default when {@code --checkpoint-dir} is given alone. */
    public static final CheckpointEvery EPOCH = new CheckpointEvery(0, 1);

    private static final Pattern FORM = Pattern.compile("(\\d{1,18})\\s*(|s|steps?|e|epochs?)");

    public CheckpointEvery {
        if ((steps > 0) == (epochs > 0) || steps < 0 || epochs < 0) {
            throw new IllegalArgumentException("exactly one of steps and epochs must be > 0, got " + steps + " and "
                    + epochs);
        }
    }

    /** Parses {@code --checkpoint-every}: {@code N} or {@code Nsteps} (steps), {@code Ne} or {@code Nepochs}. */
    public static CheckpointEvery parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            boolean epochs = m.group(2).startsWith("e");
            if (n > 0 && (!epochs || n <= Integer.MAX_VALUE)) {
                return epochs ? new CheckpointEvery(0, (int) n) : new CheckpointEvery(n, 0);
            }
        }
        throw new UserInputException("--checkpoint-every '" + text + "' is not understood: expected a number of "
                + "steps (500) or of epochs (1e, 2epochs), greater than 0");
    }

    /** Whether a checkpoint is due after optimizer step {@code step} (counted from 1). */
    public boolean dueAfterStep(long step) {
        return steps > 0 && step % steps == 0;
    }

    /** Whether a checkpoint is due after epoch {@code epoch} (counted from 0) has ended. */
    public boolean dueAfterEpoch(int epoch) {
        return epochs > 0 && (epoch + 1) % epochs == 0;
    }

    /** The option text: {@code 500} or {@code 1e}. */
    @Override
    public String toString() {
        return steps > 0 ? Long.toString(steps) : epochs + "e";
    }
}
