package dev.quadrant.trainer.nn;

/**
 * What a forward pass needs besides its input: whether it is training (dropout on) and a seed that is unique per
 * step and layer, so dropout masks are reproducible.
 */
public record ForwardContext(boolean training, long seed) {
    /** Evaluation: no dropout. */
    public static ForwardContext eval() { return new ForwardContext(false, 0); }
}
