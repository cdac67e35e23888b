package dev.quadrant.trainer.parallel;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.group.TensorCommunicator;
import dev.quadrant.trainer.nn.BatchGroup;

/**
 * The replicas of a synchronous step as a {@link BatchGroup}: sums go through the strategy's own communicator (the
 * same ranks, the same order on every replica), and the group's rows are the micro-batch's, which the step's
 * {@link StepBatch} knows on every replica without asking the others. One per replica and micro-batch.
 */
record CommBatchGroup(TensorCommunicator comm, long rows) implements BatchGroup {
    @Override
    public int size() { return comm.size(); }

    @Override
    public long rows(long localRows) {
        if (localRows > rows) {
            throw new IllegalStateException("a replica has " + localRows + " rows of a micro-batch of " + rows);
        }
        return rows;
    }

    @Override
    public void sum(Tensor t) { comm.allReduce(t, ReduceOp.SUM); }

    /**
     * The group of micro-batch {@code k} of {@code batch} for replica rank of {@code comm}; {@link BatchGroup#LOCAL}
     * for a single replica. Throws when the model shares batch statistics and a replica would get no rows (it would
     * not run its forward and the others would wait for it).
     */
    static BatchGroup of(TensorCommunicator comm, StepBatch batch, int k, Replica rep) {
        if (comm.size() == 1 || !rep.model().sharesBatchStatistics()) {
            return BatchGroup.LOCAL;
        }
        if (batch.shardRows(k, comm.size() - 1, comm.size()) == 0) {
            throw new dev.quadrant.device.UserInputException("a micro-batch of " + batch.microLength(k) + " rows over "
                    + comm.size() + " replicas leaves a replica without rows, and the model's BatchNorm synchronises "
                    + "its statistics over every replica: use --batch of at least " + comm.size()
                    + " rows per micro-batch, or norm=batch-local");
        }
        return new CommBatchGroup(comm, batch.microLength(k));
    }
}
