package dev.quadrant.trainer.parallel;

import dev.quadrant.device.UserInputException;

/**
 * A step's gradients hold a NaN or an infinity and {@code --on-nan abort} is in force: training diverged (most often
 * a learning rate that is too high). The message names the first parameter (in layout order) whose gradient is not
 * finite and, once the training loop has added it, the step, for example:
 *
 * <pre>
 * step 57 (epoch 1): the gradient of layers.1.weight is not finite (NaN or infinity) on replica 0; ...
 * </pre>
 *
 * <p>A user error (exit status 2 on the command line): the remedy is a setting, not a code change. Immutable.
 */
public class NonFiniteGradientException extends UserInputException {
    private static final long serialVersionUID = 1L;

    private final String parameter;
    private final int rank;

    public NonFiniteGradientException(String message, String parameter, int rank) {
        super(message);
        this.parameter = parameter;
        this.rank = rank;
    }

    public NonFiniteGradientException(String message, String parameter, int rank, Throwable cause) {
        super(message, cause);
        this.parameter = parameter;
        this.rank = rank;
    }

    /** Name of the first parameter whose gradient is not finite (e.g. {@code layers.1.weight}). */
    public String parameter() { return parameter; }

    /** The replica that saw it. */
    public int rank() { return rank; }
}
