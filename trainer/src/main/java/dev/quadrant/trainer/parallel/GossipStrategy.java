package dev.quadrant.trainer.parallel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * Asynchronous, decentralized (Hogwild++-style gossip): every replica trains on its own shards with its own
 * optimizer and, every {@code k} of its own steps, publishes a snapshot of its parameters and mixes in the latest
 * snapshot of its ring neighbour ({@code (r + 1) mod N}): {@code p = (p + neighbour) / 2}. Replicas exchange only
 * with neighbours and never wait for the group. Before evaluation and saving, the replicas' parameters are averaged
 * (a model average, the usual read-out of gossip training).
 *
 * <p>Staleness of a mix = how many steps the neighbour has taken since the snapshot being mixed in was published
 * ({@code staleness_mean}, {@code staleness_max}).
 */
public final class GossipStrategy implements StepRunner {
    /** Default mixing period in steps. */
    public static final int DEFAULT_PERIOD = 4;

    private final ReplicaGroup group;
    private final AsyncShards shards;
    private final float clipNorm;
    private final int period;
    private final List<Tensor> snapshots = new ArrayList<>();
    private final List<ReentrantLock> locks = new ArrayList<>();
    private final long[] localSteps;
    private final long[] snapshotStep;
    private final AtomicLong mixes = new AtomicLong();
    private final AtomicLong stalenessSum = new AtomicLong();
    private final AtomicLong stalenessMax = new AtomicLong();

    public GossipStrategy(List<Replica> replicas, float clipNorm, int period) {
        if (period < 1) {
            throw new IllegalArgumentException("gossip period must be >= 1 step, got " + period);
        }
        this.group = new ReplicaGroup(replicas);
        this.shards = new AsyncShards(group);
        this.clipNorm = clipNorm;
        this.period = period;
        this.localSteps = new long[replicas.size()];
        this.snapshotStep = new long[replicas.size()];
        for (Replica r : replicas) {
            Tensor s = r.backend().allocate(DType.FLOAT32, r.parameters().values().intSize());
            r.backend().copy(r.parameters().values(), s);
            snapshots.add(s);
            locks.add(new ReentrantLock());
        }
    }

    @Override
    public String name() { return "gossip"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    @Override
    public void step(float[] hostX, int[] hostY, int rows, float lr, long seed) {
        shards.dispatch(hostX, hostY, rows, lr, seed, (r, x, y, n, rate, s) -> {
            Replica rep = group.replicas.get(r);
            rep.computeGradients(x, y, 0, n, 1f / n, s);
            GradientClipper.clip(rep.backend(), rep.parameters().gradients(), clipNorm);
            rep.applyUpdate(rate);
            long mine = ++localSteps[r];
            if (group.size() > 1 && mine % period == 0) {
                exchange(r, mine);
            }
        });
    }

    private void exchange(int r, long mine) {
        Replica rep = group.replicas.get(r);
        Tensor params = rep.parameters().values();
        locks.get(r).lock();
        try {
            rep.backend().copy(params, snapshots.get(r));                  // publish
            snapshotStep[r] = mine;
        } finally {
            locks.get(r).unlock();
        }
        int next = (r + 1) % group.size();
        locks.get(next).lock();
        try {
            long stale = Math.max(0, mine - snapshotStep[next]);
            rep.backend().scale(params, 0.5f);                               // mix: p = p/2 + neighbour/2
            rep.backend().axpy(0.5f, snapshots.get(next), params);
            mixes.incrementAndGet();
            stalenessSum.addAndGet(stale);
            stalenessMax.accumulateAndGet(stale, Math::max);
        } finally {
            locks.get(next).unlock();
        }
    }

    @Override
    public double[] takeLossSum() { return shards.takeLossSum(); }

    /** Waits for every queued shard, then sets every replica to the average of all replicas' parameters. */
    @Override
    public void consolidate() {
        group.threads.drain();
        Replica r0 = group.replicas.get(0);
        Tensor sum = snapshots.get(0);
        r0.backend().copy(r0.parameters().values(), sum);
        for (int r = 1; r < group.size(); r++) {
            r0.backend().axpy(1f, group.replicas.get(r).parameters().values(), sum);
        }
        r0.backend().scale(sum, 1f / group.size());
        for (Replica r : group.replicas) {
            r.backend().copy(sum, r.parameters().values());
        }
        for (int r = 1; r < group.size(); r++) {
            r0.backend().copy(sum, snapshots.get(r));
        }
    }

    @Override
    public long skippedSteps() {
        return group.replicas.stream().mapToLong(Replica::skippedUpdates).sum();
    }

    /** One snapshot of {@code P} floats read from the neighbour every {@code k} steps. */
    @Override
    public double bytesMovedPerStep() {
        return group.size() == 1 ? 0 : group.parameterCount() * 4.0 / period;
    }

    @Override
    public Map<String, Object> extraMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        long n = mixes.get();
        m.put("staleness_mean", n == 0 ? 0.0 : stalenessSum.get() / (double) n);
        m.put("staleness_max", stalenessMax.get());
        m.put("gossip_period", period);
        return m;
    }

    @Override
    public void close() {
        group.threads.close();
        for (Tensor s : snapshots) {
            s.close();
        }
        group.close();
    }
}
