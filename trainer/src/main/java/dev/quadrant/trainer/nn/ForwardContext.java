package dev.quadrant.trainer.nn;

import java.util.Objects;

/**
 * What a forward pass needs besides its input: whether it is training (dropout on, batch statistics), the step's
 * seed, the index in the global batch of this batch's first row ({@code firstRow}), and the {@link BatchGroup} whose
 * rows share batch statistics. Dropout keys its masks by (seed, module, global row, element), so N replicas each
 * holding a shard draw exactly the masks one replica draws for the whole batch; a synchronised BatchNorm sums its
 * statistics over the group for the same reason.
 */
public record ForwardContext(boolean training, long seed, long firstRow, BatchGroup group) {
    public ForwardContext {
        Objects.requireNonNull(group, "group");
    }

    /** Training or evaluation on this replica's rows alone. */
    public ForwardContext(boolean training, long seed, long firstRow) {
        this(training, seed, firstRow, BatchGroup.LOCAL);
    }

    /** Evaluation: no dropout, running statistics. */
    public static ForwardContext eval() { return new ForwardContext(false, 0, 0); }

    /** Training on a batch whose first row is row 0 of the global batch. */
    public static ForwardContext training(long seed) { return new ForwardContext(true, seed, 0); }
}
