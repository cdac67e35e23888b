package dev.quadrant.trainer.parallel;

import java.util.List;

import dev.quadrant.device.StepClock;
import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.group.TensorCommunicator;

/**
 * Synchronous, centralized data parallelism: each replica computes gradients on its shard (scaled by
 * {@code 1/globalBatch}); the gradients go to the server, replica 0 (all-to-one: a reduce to root), the server
 * applies the optimizer update, and the new parameters go back to every replica (one-to-all: a broadcast). Gives the
 * same parameters as one replica with the whole batch, up to float32 summation order; only the server keeps
 * optimizer state that matters. A synchronised BatchNorm sums its statistics over the workers (one all-reduce of a
 * few floats per layer), so every worker, the server among them, keeps the same running statistics, which the
 * broadcast carries with the parameters. On GPUs both exchanges run device to device (reduce and broadcast of the CUDA
 * communicators: device-local for replicas sharing a GPU, NCCL across GPUs).
 */
public final class ParameterServerStrategy implements StepRunner {
    private static final int SERVER = 0;
    private final ReplicaGroup group;
    private final float clipNorm;
    private StepBatch next;   // announced by prefetch, for the step after the next

    public ParameterServerStrategy(List<Replica> replicas, float clipNorm) {
        this(replicas, clipNorm, ReplicaGroup.COLLECTIVE_DEADLINE);
    }

    /** As above, with the longest a collective may wait for the other replicas. */
    public ParameterServerStrategy(List<Replica> replicas, float clipNorm, java.time.Duration deadline) {
        this(replicas, clipNorm, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes: the server is global replica 0 (replica 0
     * of rank 0); the reduce and the broadcast go inside each process first, then between processes.
     */
    public ParameterServerStrategy(List<Replica> replicas, float clipNorm, java.time.Duration deadline,
                                   ProcessGroup processes) {
        this.group = new ReplicaGroup(replicas, deadline, processes);
        this.clipNorm = clipNorm;
    }

    @Override
    public String name() { return "ps"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    @Override
    public void prefetch(StepBatch nextBatch) {
        this.next = nextBatch;
    }

    @Override
    public void step(StepBatch batch, float lr, long seed) {
        StepBatch upcoming = next;
        next = null;
        float scale = 1f / Math.max(1, batch.lossTerms());
        int n = group.globalSize();
        group.threads.runAll(local -> {
            Replica rep = group.replicas.get(local);
            TensorCommunicator comm = group.comms.get(local);
            int r = comm.rank();   // the global replica index: which shard, and whether this is the server
            rep.beginStep();
            rep.clock().start();
            rep.zeroGradients();
            for (int k = 0; k < batch.microBatches(); k++) {
                rep.expectAfter(batch, k, upcoming, r, n);
                rep.computeGradients(batch, batch.shardFrom(k, r, n), batch.shardRows(k, r, n), scale, seed,
                        dev.quadrant.trainer.nn.Backward.IGNORE, CommBatchGroup.of(comm, batch, k, rep));
            }
            rep.clock().lap(StepClock.Phase.COMPUTE);
            comm.reduce(rep.parameters().gradients(), ReduceOp.SUM, SERVER);
            rep.clock().lap(StepClock.Phase.COMM);
            if (r == SERVER) {
                rep.applyGuardedUpdate(lr, clipNorm);   // clip and non-finite check on the device: no host wait
                rep.clock().lap(StepClock.Phase.COMPUTE);
            }
            comm.broadcast(rep.parameters().values(), SERVER);
            rep.clock().lap(StepClock.Phase.COMM);
            rep.endStep();
        });
    }

    /** Each worker sends its gradients and receives the parameters: {@code 2 P} floats per step. */
    @Override
    public double bytesMovedPerStep() {
        return group.globalSize() == 1 ? 0 : 2.0 * group.parameterCount() * 4;
    }

    @Override
    public ProcessGroup processes() { return group.processes; }

    @Override
    public void close() {
        group.close();
    }
}
