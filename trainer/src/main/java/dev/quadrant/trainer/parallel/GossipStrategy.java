package dev.quadrant.trainer.parallel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.StepClock;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cluster.ProcessGroup;
import dev.quadrant.device.cluster.RingMailbox;

/**
 * Asynchronous, decentralized training in the style of Hogwild++ (Zhang, Hsieh and Akella, 2016): every replica
 * trains on its own shards with its own optimizer and, every {@code k} of its own steps, passes a share {@code lambda}
 * of what its parameters moved since its last pass ({@code delta = w - anchor}) to its ring neighbour
 * {@code (r + 1) mod N}. The neighbour adds what it received at the start of its next step, on its own thread, so no
 * replica ever waits for another and no two threads write the same parameters.
 *
 * <p>The hand-over goes through the sender's outbox, on the sender's device: the sender writes (or adds to) it and
 * records an event; the receiver, on its own stream, waits for that event, copies the outbox into its own transit
 * buffer (a peer copy between GPUs, a plain copy otherwise) and records an event that the sender's next write waits
 * for. So GPUs exchange device to device, ordered by events, and the host only orders who goes first (a lock per
 * outbox); on the CPU the events are no-ops. Received updates are passed on with
 * the replica's own ({@code anchor} is the parameters right after the last pass), so each update travels the ring,
 * shrinking by {@code lambda} at each hop. Before evaluation and saving the replicas' parameters are averaged,
 * each weighted by the updates it made since the last average: with fewer rows per step than replicas, the replicas
 * that got no rows (still at the last average) would otherwise pull the result back toward it (issue 13: 0.12
 * accuracy where one replica reaches 0.21). When every replica made the same number of updates, as usual, the
 * average is the plain mean.
 *
 * <p>Plain parameter averaging with a neighbour ({@code w = (w + w_next) / 2}) was tried first: on MNIST it ended
 * 0.5 points below all-reduce, because averaging halves every replica's own progress; passing deltas does not.
 *
 * <p>Staleness of a delivery = how many steps apart sender and receiver were ({@code staleness_mean},
 * {@code staleness_max}).
 */
public final class GossipStrategy implements StepRunner {
    /** Default exchange period in steps. */
    public static final int DEFAULT_PERIOD = 1;
    /** Default share of a replica's movement passed to its neighbour. */
    public static final float DEFAULT_LAMBDA = 0.5f;

    private final ReplicaGroup group;
    private final AsyncShards shards;
    private final float clipNorm;
    private final int period;
    private final float lambda;
    private final List<Tensor> anchors = new ArrayList<>();  // [P] each: parameters after the last pass
    private final List<Tensor> scratch = new ArrayList<>();  // [P] each: the delta being sent
    private final List<Tensor> outboxes = new ArrayList<>(); // [P] each, on the sender's device: deltas not yet taken
    private final List<Tensor> transit = new ArrayList<>();  // [P] each, on the receiver's device
    private final List<StreamEvent> filled = new ArrayList<>();   // per sender, on the sender's device
    private final List<StreamEvent> taken = new ArrayList<>();    // per sender, on the receiver's device
    private final List<StreamEvent> averaged = new ArrayList<>(); // per replica, on its device: it has read the average
    private final List<ReentrantLock> outboxLocks = new ArrayList<>();
    private final long[] localSteps;
    private final long[] updatesSinceAverage;     // per replica, written on its thread, read after drain()
    private final long[] outboxSenderStep;
    private final boolean[] outboxFull;
    private final Staleness staleness = new Staleness();
    private final java.time.Duration deadline;
    private final RingMailbox mailbox;            // between processes; null for one process
    private final float[] remoteIn;               // [P] what the previous process sent, for local replica 0
    private final float[] remoteOut;              // [P] what the last local replica sends to the next process

    public GossipStrategy(List<Replica> replicas, float clipNorm, int period, float lambda) {
        this(replicas, clipNorm, period, lambda, ReplicaGroup.COLLECTIVE_DEADLINE);
    }

    /** As above, with the longest the initial broadcast may wait for the other replicas. */
    public GossipStrategy(List<Replica> replicas, float clipNorm, int period, float lambda, java.time.Duration deadline) {
        this(replicas, clipNorm, period, lambda, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes: the ring runs over every replica of every
     * process (global replica {@code g} passes to {@code g + 1 mod N}); inside a process through the outboxes, from
     * the last replica of a process to the first of the next through a {@link RingMailbox} (MPI point-to-point, a
     * receive always posted, so no sender waits for the receiver's step). The average before evaluation is an
     * all-reduce over every replica of the job, each weighted by its updates since the last one.
     */
    public GossipStrategy(List<Replica> replicas, float clipNorm, int period, float lambda, java.time.Duration deadline,
                          ProcessGroup processes) {
        if (period < 1) {
            throw new IllegalArgumentException("gossip period must be >= 1 step, got " + period);
        }
        if (!(lambda > 0 && lambda < 1)) {
            throw new IllegalArgumentException("gossip share lambda must be in (0, 1), got " + lambda);
        }
        this.group = new ReplicaGroup(replicas, deadline, processes);
        this.shards = new AsyncShards(group);
        this.clipNorm = clipNorm;
        this.period = period;
        this.lambda = lambda;
        this.deadline = deadline;
        int params = replicas.get(0).parameters().values().intSize();
        this.mailbox = processes.isSingle() ? null : processes.ringMailbox(params);
        this.remoteIn = mailbox == null ? null : new float[params];
        this.remoteOut = mailbox == null ? null : new float[params];
        int n = replicas.size();
        this.localSteps = new long[n];
        this.updatesSinceAverage = new long[n];
        this.outboxSenderStep = new long[n];
        this.outboxFull = new boolean[n];
        try {
            for (Replica r : replicas) {
                Backend be = r.backend();
                int p = r.parameters().values().intSize();
                Tensor anchor = be.allocate(DType.FLOAT32, p);
                anchors.add(anchor);
                be.copy(r.parameters().values(), anchor);
                scratch.add(be.allocate(DType.FLOAT32, p));
                outboxes.add(be.allocate(DType.FLOAT32, p));
                transit.add(be.allocate(DType.FLOAT32, p));
                filled.add(be.newEvent());
                taken.add(replicas.get((r.rank() + 1) % n).backend().newEvent());
                averaged.add(be.newEvent());
                outboxLocks.add(new ReentrantLock());
            }
        } catch (RuntimeException | Error e) {
            freeBuffers();
            group.close();
            throw e;
        }
    }

    @Override
    public String name() { return "gossip"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    @Override
    public void step(StepBatch batch, float lr, long seed) {
        shards.dispatch(batch, lr, seed, (r, shard, rate, s) -> {
            Replica rep = group.replicas.get(r);
            rep.clock().start();
            receive(r);
            rep.clock().lap(StepClock.Phase.COMM);
            rep.zeroGradients();
            rep.computeGradientsInChunks(shard, 1f / Math.max(1, shard.lossTerms()), s);
            GradientClipper.clip(rep.backend(), rep.parameters().gradients(), clipNorm);
            rep.applyUpdate(rate);
            rep.clock().lap(StepClock.Phase.COMPUTE);
            long mine = ++localSteps[r];
            updatesSinceAverage[r]++;
            if (group.globalSize() > 1 && mine % period == 0) {
                send(r, mine);
                rep.clock().lap(StepClock.Phase.COMM);
            }
        });
    }

    /** Takes what the previous replica left in its outbox and adds it to this one's parameters (on this replica's thread). */
    private void receive(int r) {
        if (mailbox != null && r == 0) {
            receiveFromPreviousProcess();
            return;
        }
        int prev = (r - 1 + group.size()) % group.size();
        Backend be = group.replicas.get(r).backend();
        ReentrantLock lock = outboxLocks.get(prev);
        lock.lock();
        try {
            if (!outboxFull[prev]) {
                return;
            }
            filled.get(prev).waitIn(be);
            be.copy(outboxes.get(prev), transit.get(r));   // a peer copy when prev is on another GPU
            taken.get(prev).record(be);
            outboxFull[prev] = false;
            long stale = Math.abs(localSteps[r] - outboxSenderStep[prev]);
            staleness.record(stale);
        } finally {
            lock.unlock();
        }
        be.axpy(1f, transit.get(r), group.replicas.get(r).parameters().values());
    }

    /** Puts {@code lambda * (w - anchor)} into this replica's outbox (adding to what was not taken yet) and moves the anchor to {@code w}. */
    private void send(int r, long mine) {
        Replica rep = group.replicas.get(r);
        Backend be = rep.backend();
        Tensor w = rep.parameters().values();
        Tensor delta = scratch.get(r);
        be.copy(w, delta);
        be.axpy(-1f, anchors.get(r), delta);
        be.copy(w, anchors.get(r));
        if (mailbox != null && r == group.size() - 1) {   // the last replica here: the next process's first
            be.scale(delta, lambda);
            be.download(delta, remoteOut, 0);
            mailbox.send(remoteOut, mine);
            return;
        }
        ReentrantLock lock = outboxLocks.get(r);
        lock.lock();
        try {
            taken.get(r).waitIn(be);   // the receiver's copy out of the outbox comes before this write
            if (!outboxFull[r]) {
                be.fill(outboxes.get(r), 0f);
            }
            be.axpy(lambda, delta, outboxes.get(r));
            filled.get(r).record(be);
            outboxFull[r] = true;
            outboxSenderStep[r] = mine;
        } finally {
            lock.unlock();
        }
    }

    /** Adds what the previous process's last replica sent to local replica 0's parameters (on its thread). */
    private void receiveFromPreviousProcess() {
        long from = mailbox.take(remoteIn);
        if (from < 0) {
            return;
        }
        Replica rep = group.replicas.get(0);
        rep.backend().upload(remoteIn, 0, transit.get(0));
        rep.backend().axpy(1f, transit.get(0), rep.parameters().values());
        staleness.record(Math.abs(localSteps[0] - from));
    }

    @Override
    public double[] takeLossSum() { return group.processes.sum(shards.takeLossSum()); }

    @Override
    public ProcessGroup processes() { return group.processes; }

    /**
     * Waits for every queued shard, delivers what is in the outboxes, then sets every replica (and its anchor) to the
     * average of all replicas' parameters (summed on replica 0's device, in replica order).
     */
    @Override
    public void consolidate() {
        if (mailbox != null) {
            consolidateAcrossProcesses();
            return;
        }
        group.threads.drain();
        for (int r = 0; r < group.size(); r++) {
            receive(r);
        }
        group.replicas.forEach(r -> r.backend().synchronize());
        Replica r0 = group.replicas.get(0);
        Backend b0 = r0.backend();
        Tensor sum = scratch.get(0);
        long total = 0;
        boolean equal = true;
        for (int r = 0; r < group.size(); r++) {
            total += updatesSinceAverage[r];
            equal &= updatesSinceAverage[r] == updatesSinceAverage[0];
        }
        if (total == 0) {
            return;   // no update since the start or the last average: every replica already holds the same values
        }
        if (equal) {
            b0.copy(r0.parameters().values(), sum);
            for (int r = 1; r < group.size(); r++) {
                b0.copy(group.replicas.get(r).parameters().values(), transit.get(0));   // peer copy across GPUs
                b0.axpy(1f, transit.get(0), sum);
            }
            b0.scale(sum, 1f / group.size());
        } else {
            b0.fill(sum, 0f);
            for (int r = 0; r < group.size(); r++) {
                if (updatesSinceAverage[r] == 0) {
                    continue;   // still at the last average: it has nothing to add
                }
                b0.copy(group.replicas.get(r).parameters().values(), transit.get(0));
                b0.axpy((float) ((double) updatesSinceAverage[r] / total), transit.get(0), sum);
            }
        }
        java.util.Arrays.fill(updatesSinceAverage, 0);
        b0.synchronize();
        for (int r = 0; r < group.size(); r++) {
            Replica rep = group.replicas.get(r);
            rep.backend().copy(sum, rep.parameters().values());   // on rep's stream: reads replica 0's scratch
            rep.backend().copy(rep.parameters().values(), anchors.get(r));
            averaged.get(r).record(rep.backend());
        }
        for (int r = 1; r < group.size(); r++) {
            averaged.get(r).waitIn(b0);   // replica 0's next send overwrites scratch(0) only after every copy of it
        }
    }

    /**
     * The job's form of {@link #consolidate}: every process waits for its queued shards and for what the previous
     * process sent (a flush through the mailbox), delivers it, and every replica of the job then takes the average of
     * all of them, weighted by their updates since the last average (one all-reduce over the job).
     */
    private void consolidateAcrossProcesses() {
        group.threads.drain();
        mailbox.flush(deadline);
        for (int r = 0; r < group.size(); r++) {
            receive(r);
        }
        long local = 0;
        for (long u : updatesSinceAverage) {
            local += u;
        }
        double total = group.processes.sum(new double[] {local})[0];
        if (total == 0) {
            return;   // no update anywhere since the last average: every replica already holds the same values
        }
        group.threads.runAll(r -> {
            Replica rep = group.replicas.get(r);
            Backend be = rep.backend();
            Tensor w = rep.parameters().values();
            Tensor share = scratch.get(r);
            be.copy(w, share);
            be.scale(share, (float) (updatesSinceAverage[r] / total));
            group.comms.get(r).allReduce(share, dev.quadrant.device.comm.ReduceOp.SUM);
            be.copy(share, w);
            be.copy(w, anchors.get(r));
        });
        java.util.Arrays.fill(updatesSinceAverage, 0);
    }

    @Override
    public long skippedSteps() { return shards.skippedSteps(); }

    /** One delta of {@code P} floats sent to the neighbour every {@code k} steps. */
    @Override
    public double bytesMovedPerStep() {
        return group.globalSize() == 1 ? 0 : group.parameterCount() * 4.0 / period;
    }

    @Override
    public Map<String, Object> extraMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        staleness.putInto(m);
        m.put("gossip_period", period);
        return m;
    }

    private void freeBuffers() {
        for (List<Tensor> ts : List.of(anchors, scratch, outboxes, transit)) {
            for (Tensor t : ts) {
                t.close();
            }
        }
        filled.forEach(StreamEvent::close);
        taken.forEach(StreamEvent::close);
        averaged.forEach(StreamEvent::close);
    }

    @Override
    public void close() {
        if (mailbox != null) {
            mailbox.close();
        }
        group.threads.close();
        RuntimeException first = null;
        for (Replica r : group.replicas) {   // outboxes are read by the neighbour's stream: let every copy finish
            try {
                r.backend().synchronize();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        freeBuffers();
        group.close();
        if (first != null) {
            throw first;
        }
    }
}
