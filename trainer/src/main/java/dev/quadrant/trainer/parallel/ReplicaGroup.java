package dev.quadrant.trainer.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.device.comm.LocalCommunicator;
import dev.quadrant.device.comm.Shards;

/**
 * What every multi-replica strategy shares: the replicas, one communicator rank and one named thread per replica,
 * the check that all replicas agree on the parameter layout, and the broadcast of replica 0's initial parameters.
 *
 * <p>A failure on any replica aborts the communicators, stops every replica thread and reaches the caller (see
 * {@link ReplicaThreads}). Used from one driver thread.
 */
final class ReplicaGroup implements AutoCloseable {
    /** How long a collective may wait for the other replicas before the run fails naming them. */
    static final Duration COLLECTIVE_DEADLINE = Duration.ofMinutes(5);
    /** How long replicas get to stop after one of them failed. */
    static final Duration STOP_DEADLINE = Duration.ofSeconds(5);

    final List<Replica> replicas;
    final List<TensorComm> comms = new ArrayList<>();
    final ReplicaThreads threads;

    ReplicaGroup(List<Replica> replicas) {
        this.replicas = List.copyOf(replicas);
        checkLayouts(this.replicas);
        for (LocalCommunicator c : LocalCommunicator.create(replicas.size(), COLLECTIVE_DEADLINE)) {
            comms.add(new TensorComm(c));
        }
        this.threads = new ReplicaThreads(replicas.size(), this::abortAll, STOP_DEADLINE);
        threads.runAll(r -> comms.get(r).broadcast(replicas.get(r).parameters().values(), 0));
    }

    int size() { return replicas.size(); }

    long parameterCount() { return replicas.get(0).parameters().layout().totalSize(); }

    /** First row of replica {@code r}'s shard of a batch of {@code rows} rows. */
    int shardFrom(int rows, int r) { return Shards.offset(rows, replicas.size(), r); }

    /** Rows of replica {@code r}'s shard (sizes differ by at most one; a replica may get none). */
    int shardRows(int rows, int r) { return Shards.length(rows, replicas.size(), r); }

    private void abortAll(Throwable cause) {
        for (TensorComm c : comms) {
            c.abort(cause);
        }
    }

    /** Before step 1: every replica must have the same parameter layout; the error names the replica and both values. */
    static void checkLayouts(List<Replica> replicas) {
        var ref = replicas.get(0).parameters().layout().entries();
        for (Replica r : replicas) {
            var mine = r.parameters().layout().entries();
            if (mine.size() != ref.size()) {
                throw new IllegalStateException("replica " + r.rank() + " has " + mine.size()
                        + " parameter tensors, replica 0 has " + ref.size());
            }
            for (int i = 0; i < ref.size(); i++) {
                if (!mine.get(i).name().equals(ref.get(i).name()) || !Arrays.equals(mine.get(i).shape(), ref.get(i).shape())) {
                    throw new IllegalStateException("replica " + r.rank() + " parameter " + i + " is " + mine.get(i)
                            + ", replica 0 has " + ref.get(i));
                }
            }
        }
    }

    @Override
    public void close() {
        threads.close();
        for (TensorComm c : comms) {
            c.close();
        }
        RuntimeException first = null;
        for (Replica r : replicas) {
            try {
                r.close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
