package dev.quadrant.trainer.lab;

import java.util.Locale;

/**
 * A way of keeping replicas in step, as the cost model sees it. The four strategies of {@code --strategy}, with
 * all-reduce in its two textbook algorithms (ring and tree); {@link #runName()} is the strategy a measured run uses.
 */
public enum ModelStrategy {
    /** {@code allreduce} with a ring all-reduce of the gradient buckets, overlapped with backward. */
    ALLREDUCE_RING("allreduce", true),
    /** {@code allreduce} with a binomial-tree all-reduce of the buckets, overlapped with backward. */
    ALLREDUCE_TREE("allreduce", true),
    /** {@code ps}: all-to-one reduce of the gradients to the server, update there, one-to-all broadcast. */
    PS("ps", true),
    /** {@code hogwild}: each worker pulls P and pushes P over the server's link, which all N workers share. */
    HOGWILD("hogwild", false),
    /** {@code gossip}: local steps; every {@code period} steps P floats go to the ring neighbour. */
    GOSSIP("gossip", false);

    private final String runName;
    private final boolean synchronous;

    ModelStrategy(String runName, boolean synchronous) {
        this.runName = runName;
        this.synchronous = synchronous;
    }

    /** The {@code --strategy} name a run of this strategy uses. */
    public String runName() { return runName; }

    /** True for the strategies whose replicas wait for each other every step. */
    public boolean synchronous() { return synchronous; }

    /** Lower-case name with dashes, as the report writes it ({@code allreduce-ring}). */
    public String label() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
}
