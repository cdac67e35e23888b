package dev.quadrant.trainer.nn;

import dev.quadrant.device.Tensor;

/**
 * The replicas whose rows one forward pass shares batch statistics with: a synchronised BatchNorm adds its
 * per-channel sums up over the group (PyTorch's {@code SyncBatchNorm}), so N replicas of B rows each normalise
 * exactly as one replica of N * B rows would. A data-parallel strategy that steps its replicas together passes a
 * group over its communicator; a single replica, evaluation and the asynchronous strategies pass {@link #LOCAL}.
 *
 * <p>Every member calls {@link #sum} the same number of times in the same order (the model is the same on every
 * replica), and every member must have rows: a replica with none would not run its forward and the others would wait
 * for it.
 */
public interface BatchGroup {

    /** A group of one: statistics over this replica's own rows. */
    BatchGroup LOCAL = new BatchGroup() {
        @Override
        public int size() { return 1; }

        @Override
        public long rows(long localRows) { return localRows; }

        @Override
        public void sum(Tensor t) { }

        @Override
        public String toString() { return "local"; }
    };

    /** Number of replicas in the group. */
    int size();

    /** Rows of the current forward over the whole group, given this replica's. */
    long rows(long localRows);

    /** Adds {@code t} up over the group in place (an all-reduce sum); a no-op for a group of one. */
    void sum(Tensor t);
}
