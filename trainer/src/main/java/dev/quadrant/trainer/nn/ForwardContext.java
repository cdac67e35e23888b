package dev.quadrant.trainer.nn;

/**
 * What a forward pass needs besides its input: whether it is training (dropout on), the step's seed, and the index
 * in the global batch of this batch's first row ({@code firstRow}). Dropout keys its masks by (seed, module, global
 * row, element), so N replicas each holding a shard draw exactly the masks one replica draws for the whole batch.
 */
public record ForwardContext(boolean training, long seed, long firstRow) {
    /** Evaluation: no dropout. */
    public static ForwardContext eval() { return new ForwardContext(false, 0, 0); }

    /** Training on a batch whose first row is row 0 of the global batch. */
    public static ForwardContext training(long seed) { return new ForwardContext(true, seed, 0); }
}
