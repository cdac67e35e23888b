package dev.quadrant.trainer.optim;

/**
 * Hyper-parameters of an optimizer. {@code momentum} is used by MOMENTUM and NESTEROV (default 0.9),
 * {@code beta1, beta2, eps} by ADAM and ADAMW (defaults 0.9, 0.999, 1e-8, as in PyTorch).
 */
public record OptimizerConfig(OptimizerKind kind, float lr, float weightDecay, float momentum,
                              float beta1, float beta2, float eps) {

    public OptimizerConfig {
        if (!(lr > 0) || !Float.isFinite(lr)) {
            throw new dev.quadrant.device.UserInputException("--lr must be a positive number, got " + lr);
        }
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) {
            throw new dev.quadrant.device.UserInputException("--weight-decay must be >= 0, got " + weightDecay);
        }
    }

    /** Defaults for {@code kind} with learning rate {@code lr} and weight decay {@code wd}. */
    public static OptimizerConfig of(OptimizerKind kind, float lr, float wd) {
        return new OptimizerConfig(kind, lr, wd, 0.9f, 0.9f, 0.999f, 1e-8f);
    }
}
