package dev.quadrant.trainer.nn;

import java.util.function.LongConsumer;

/**
 * What a backward pass is told: whether the caller needs the input gradient (the first module of a model does not),
 * and where to say from which flat-buffer offset on the gradients are final ({@link #ready}). Composites report after
 * each child; all-reduce starts on the buckets above that offset while backward goes on.
 */
public record Backward(boolean needInputGradient, LongConsumer ready) {
    /** No readiness reports (a micro-batch before the last one, a test). */
    public static final LongConsumer IGNORE = offset -> { };

    /** The same readiness target, with another input-gradient need. */
    public Backward needing(boolean inputGradient) {
        return inputGradient == needInputGradient ? this : new Backward(inputGradient, ready);
    }
}
