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
    private final long stepsAgo;

    public NonFiniteGradientException(String message, String parameter, int rank) {
        this(message, parameter, rank, 0L);
    }

    /** Found by a device-side check read {@code stepsAgo} updates after the one it concerns. */
    public NonFiniteGradientException(String message, String parameter, int rank, long stepsAgo) {
        super(message);
        this.parameter = parameter;
        this.rank = rank;
        this.stepsAgo = stepsAgo;
    }

    public NonFiniteGradientException(String message, String parameter, int rank, Throwable cause) {
        super(message, cause);
        this.parameter = parameter;
        this.rank = rank;
        this.stepsAgo = cause instanceof NonFiniteGradientException nf ? nf.stepsAgo : 0;
    }

    /**
     * How many steps before the point where it was thrown the non-finite update happened: 0 for a check made in the
     * step itself, more for the device-side checks, read when metrics are read.
     */
    public long stepsAgo() { return stepsAgo; }

    /** Name of the first parameter whose gradient is not finite (e.g. {@code layers.1.weight}). */
    public String parameter() { return parameter; }

    /** The replica that saw it. */
    public int rank() { return rank; }
}
