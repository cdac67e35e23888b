package dev.quadrant.trainer.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.comm.Shards;
import dev.quadrant.device.group.Communicators;
import dev.quadrant.device.group.TensorCommunicator;

/**
 * What every multi-replica strategy shares: the replicas, one communicator rank and one named thread per replica,
 * the check that all replicas agree on the parameter layout, and the broadcast of replica 0's initial parameters.
 * Host replicas communicate through shared memory, GPU replicas through the GPU communicators: the device layer picks
 * them (see {@link Communicators#forGroup}).
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
    final List<TensorCommunicator> comms = new ArrayList<>();
    final ReplicaThreads threads;
    final ProcessGroup processes;

    ReplicaGroup(List<Replica> replicas) {
        this(replicas, COLLECTIVE_DEADLINE);
    }

    /** Checks the layouts, creates the communicators and threads, and broadcasts replica 0's parameters. */
    ReplicaGroup(List<Replica> replicas, Duration deadline) {
        this(replicas, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes ({@code processes}): the communicators'
     * ranks are global (process rank x local replicas + local index), and the initial broadcast is global rank 0's
     * parameters, so every replica of every process starts from the same ones.
     */
    ReplicaGroup(List<Replica> replicas, Duration deadline, ProcessGroup processes) {
        this.replicas = List.copyOf(replicas);
        this.processes = processes;
        checkLayouts(this.replicas);
        comms.addAll(Communicators.forGroup(this.replicas.stream().map(Replica::backend).toList(), deadline,
                parameterCount(), processes));
        this.threads = new ReplicaThreads(replicas.size(), this::abortAll, STOP_DEADLINE);
        try {
            threads.runAll(r -> comms.get(r).broadcast(replicas.get(r).parameters().values(), 0));
        } catch (RuntimeException | Error e) {
            threads.close();
            comms.forEach(TensorCommunicator::close);
            throw e;
        }
    }

    /** Replicas in this process. */
    int size() { return replicas.size(); }

    /** Replicas in the whole job (all processes). */
    int globalSize() { return comms.get(0).size(); }

    long parameterCount() { return replicas.get(0).parameters().layout().totalSize(); }

    /** How the replicas communicate, for logs. */
    String describeComm() { return comms.get(0).describe(); }

    /** First row of local replica {@code r}'s shard of a batch of {@code rows} rows (by its global index). */
    int shardFrom(int rows, int r) { return Shards.offset(rows, globalSize(), comms.get(r).rank()); }

    /** Rows of local replica {@code r}'s shard (sizes differ by at most one; a replica may get none). */
    int shardRows(int rows, int r) { return Shards.length(rows, globalSize(), comms.get(r).rank()); }

    private void abortAll(Throwable cause) {
        for (TensorCommunicator c : comms) {
            c.abort(cause);
        }
    }

    /**
     * Before step 1: every replica must have the same parameter layout (names, shapes, offsets, total size) and the
     * same dtypes of its flat parameter and gradient buffers; the error names the replica and both values.
     */
    static void checkLayouts(List<Replica> replicas) {
        Replica first = replicas.get(0);
        var ref = first.parameters().layout().entries();
        for (Replica r : replicas) {
            var mine = r.parameters().layout().entries();
            String who = "replica " + r.rank() + " (" + r.backend().device() + ")";
            long total = r.parameters().layout().totalSize();
            if (total != first.parameters().layout().totalSize()) {
                throw new IllegalStateException(who + " has " + total + " parameters, replica 0 has "
                        + first.parameters().layout().totalSize());
            }
            if (mine.size() != ref.size()) {
                throw new IllegalStateException(who + " has " + mine.size() + " parameter tensors, replica 0 has "
                        + ref.size());
            }
            for (int i = 0; i < ref.size(); i++) {
                var a = mine.get(i);
                var b = ref.get(i);
                if (!a.name().equals(b.name()) || !Arrays.equals(a.shape(), b.shape()) || a.offset() != b.offset()) {
                    throw new IllegalStateException(who + " parameter " + i + " is " + a + ", replica 0 has " + b);
                }
            }
            checkDtype(who, "parameter", r.parameters().values(), first.parameters().values());
            checkDtype(who, "gradient", r.parameters().gradients(), first.parameters().gradients());
        }
    }

    private static void checkDtype(String who, String what, dev.quadrant.device.Tensor mine, dev.quadrant.device.Tensor ref) {
        if (mine.dtype() != ref.dtype() || mine.size() != ref.size()) {
            throw new IllegalStateException(who + " keeps its " + what + "s as " + mine.size() + " " + mine.dtype()
                    + ", replica 0 as " + ref.size() + " " + ref.dtype());
        }
    }

    @Override
    public void close() {
        threads.close();
        for (TensorCommunicator c : comms) {
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
