package dev.quadrant.trainer.parallel;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.device.StepClock;
import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.comm.Bucket;
import dev.quadrant.device.comm.BucketPlanner;
import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.GradientSlot;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.group.TensorCommunicator;
import dev.quadrant.trainer.nn.ParamLayout;

/**
 * Synchronous, decentralized data parallelism (the default): each replica computes gradients on its shard of the
 * global batch, scaled by {@code 1/globalBatch}; gradient buckets are summed by all-reduce as soon as backward has
 * finished them (while backward goes on with earlier layers); then every replica applies the same update to the
 * same parameters. N replicas with global batch B therefore compute what one replica with batch B computes, up to
 * float32 summation order.
 *
 * <p>On GPUs the buckets are reduced on the communication stream, ordered after the compute stream by events, and the
 * compute stream waits for the last bucket before the update: no host synchronisation in a step. The time the
 * replica's timeline spends waiting for buckets after backward is its exposed communication
 * ({@code comm_exposed_ms}).
 *
 * <p>Used from one driver thread; each replica's work runs on its own thread.
 */
public final class AllReduceStrategy implements StepRunner {
    /** Default bucket cap (PyTorch DDP uses 25 MB). */
    public static final long DEFAULT_BUCKET_BYTES = 4L << 20;

    private final ReplicaGroup group;
    private final float clipNorm;
    private StepBatch next;   // announced by prefetch, for the step after the next
    private final List<Bucket> buckets;
    private long steps;

    public AllReduceStrategy(List<Replica> replicas, float clipNorm, long bucketBytes) {
        this(replicas, clipNorm, bucketBytes, ReplicaGroup.COLLECTIVE_DEADLINE);
    }

    /** As above, with the longest a collective may wait for the other replicas. */
    public AllReduceStrategy(List<Replica> replicas, float clipNorm, long bucketBytes, java.time.Duration deadline) {
        this(replicas, clipNorm, bucketBytes, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes: replica {@code r} is global replica
     * {@code processes.rank() * replicas.size() + r} and computes that shard of the global batch; the buckets are
     * reduced inside the process first, then between processes (see {@link ReplicaGroup}).
     */
    public AllReduceStrategy(List<Replica> replicas, float clipNorm, long bucketBytes, java.time.Duration deadline,
                             ProcessGroup processes) {
        this.group = new ReplicaGroup(replicas, deadline, processes);
        this.clipNorm = clipNorm;
        this.buckets = planBuckets(replicas.get(0).parameters().layout(), bucketBytes);
    }

    /**
     * Buckets over the flat gradient buffer in the order backward completes them (reverse of the layout), as this
     * strategy reduces them; public for the cost model of {@code trainer.lab}.
     */
    public static List<Bucket> planBuckets(ParamLayout layout, long bucketBytes) {
        List<GradientSlot> backwardOrder = new ArrayList<>();
        var entries = layout.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            backwardOrder.add(new GradientSlot(entries.get(i).name(), entries.get(i).offset(), entries.get(i).size()));
        }
        return BucketPlanner.plan(backwardOrder, bucketBytes, 4);
    }

    @Override
    public String name() { return "allreduce"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    /** The bucket plan (for tests and reports). */
    public List<Bucket> buckets() { return buckets; }

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
        int last = batch.microBatches() - 1;
        group.threads.runAll(local -> {
            Replica rep = group.replicas.get(local);
            TensorCommunicator comm = group.comms.get(local);
            int r = comm.rank();   // the global replica index: which shard of the batch
            var grads = rep.parameters().gradients();
            rep.beginStep();
            rep.clock().start();
            List<CommHandle> inFlight = new ArrayList<>(buckets.size());
            int[] next = {0};
            rep.zeroGradients();
            for (int k = 0; k < last; k++) {    // gradient accumulation: reduce only after the last micro-batch
                rep.expectAfter(batch, k, upcoming, r, n);
                rep.computeGradients(batch, batch.shardFrom(k, r, n), batch.shardRows(k, r, n), scale, seed,
                        dev.quadrant.trainer.nn.Backward.IGNORE, CommBatchGroup.of(comm, batch, k, rep));
            }
            rep.expectAfter(batch, last, upcoming, r, n);
            rep.computeGradients(batch, batch.shardFrom(last, r, n), batch.shardRows(last, r, n), scale, seed,
                    readyFrom -> {
                        // the bucket that holds offset 0 is complete only when backward is: it is reduced below,
                        // on this thread, instead of being handed to the communication thread for nothing
                        while (next[0] < buckets.size() && buckets.get(next[0]).offset() >= readyFrom
                                && buckets.get(next[0]).offset() > 0) {
                            Bucket b = buckets.get(next[0]++);
                            inFlight.add(comm.allReduceAsync(grads.slice(b.offset(), Math.toIntExact(b.size())), ReduceOp.SUM));
                        }
                    }, CommBatchGroup.of(comm, batch, last, rep));
            rep.clock().lap(StepClock.Phase.COMPUTE);
            while (next[0] < buckets.size()) {       // what backward finished last: blocking, after the async ones
                Bucket b = buckets.get(next[0]++);
                comm.allReduce(grads.slice(b.offset(), Math.toIntExact(b.size())), ReduceOp.SUM);
            }
            for (CommHandle h : inFlight) {
                h.await();
            }
            rep.clock().lap(StepClock.Phase.COMM);
            rep.applyGuardedUpdate(lr, clipNorm);   // clip and non-finite check on the device: no host wait
            rep.clock().lap(StepClock.Phase.COMPUTE);
            rep.endStep();
        });
        steps++;
    }

    /** Ring all-reduce moves {@code 2 (N-1)/N} of the gradient bytes in and out of each replica per step. */
    @Override
    public double bytesMovedPerStep() {
        int n = group.globalSize();
        return 2.0 * (n - 1) / n * group.parameterCount() * 4;
    }

    @Override
    public ProcessGroup processes() { return group.processes; }

    @Override
    public void close() {
        group.close();
    }
}
