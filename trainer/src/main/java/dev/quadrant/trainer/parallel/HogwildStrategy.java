package dev.quadrant.trainer.parallel;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

import dev.quadrant.device.Backend;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.optim.Optimizer;

/**
 * Asynchronous, centralized (Hogwild): a parameter server holds the parameters and the optimizer state; each worker,
 * at its own pace, pulls the current parameters, computes the mean gradient of its shard and pushes it; the server
 * applies every push at once, with no lock across workers (updates of different workers may interleave element by
 * element, as in Hogwild). Each push is one optimizer update, so N workers make N updates per global batch.
 *
 * <p>Staleness of a push = the number of updates other workers applied between its pull and its push; the mean and
 * the maximum are reported in the metrics ({@code staleness_mean}, {@code staleness_max}).
 */
public final class HogwildStrategy implements StepRunner {
    private final ReplicaGroup group;
    private final AsyncShards shards;
    private final float clipNorm;
    private final Backend serverBackend;
    private final Tensor serverParams;   // [P]
    private final Optimizer serverOptimizer;
    private final AtomicLong version = new AtomicLong();
    private final AtomicInteger updates = new AtomicInteger();
    private final AtomicLong stalenessSum = new AtomicLong();
    private final AtomicLong pushes = new AtomicLong();
    private final LongAccumulator stalenessMax = new LongAccumulator(Math::max, 0);

    public HogwildStrategy(List<Replica> replicas, float clipNorm) {
        this.group = new ReplicaGroup(replicas);
        this.shards = new AsyncShards(group);
        this.clipNorm = clipNorm;
        Replica r0 = replicas.get(0);
        this.serverBackend = BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1);
        this.serverParams = serverBackend.allocate(DType.FLOAT32, r0.parameters().values().intSize());
        this.serverOptimizer = new Optimizer(serverBackend, r0.parameters().layout(), r0.optimizer().config());
        serverBackend.copy(r0.parameters().values(), serverParams);
        // a resumed run: the server continues from replica 0's optimizer state and update count
        serverOptimizer.uploadState(r0.optimizer().downloadState());
        serverOptimizer.setSteps(r0.optimizer().steps());
        updates.set(r0.optimizer().steps());
    }

    @Override
    public String name() { return "hogwild"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    @Override
    public void step(float[] hostX, int[] hostY, int rows, float lr, long seed) {
        shards.dispatch(hostX, hostY, rows, lr, seed, (r, x, y, n, rate, s) -> {
            Replica rep = group.replicas.get(r);
            Backend be = rep.backend();
            long pulled = version.get();
            be.copy(serverParams, rep.parameters().values());                        // pull
            rep.computeGradients(x, y, 0, n, 1f / n, s);
            if (!rep.checkGradients()) {
                return; // --on-nan skip: nothing is pushed
            }
            GradientClipper.clip(be, rep.parameters().gradients(), clipNorm);
            long stale = version.get() - pulled;
            serverOptimizer.update(be, serverParams, rep.parameters().gradients(), rate, updates.incrementAndGet()); // push
            version.incrementAndGet();
            stalenessSum.addAndGet(stale);
            pushes.incrementAndGet();
            stalenessMax.accumulate(stale);
        });
    }

    @Override
    public double[] takeLossSum() { return shards.takeLossSum(); }

    /**
     * Waits for every queued shard, then gives every replica the server's parameters; the server optimizer's step
     * count becomes the number of updates applied.
     */
    @Override
    public void consolidate() {
        group.threads.drain();
        for (Replica r : group.replicas) {
            r.backend().copy(serverParams, r.parameters().values());
        }
        serverOptimizer.setSteps(updates.get());
    }

    /** The server's optimizer: its state and update count continue the run. */
    @Override
    public Optimizer checkpointOptimizer() { return serverOptimizer; }

    @Override
    public long skippedSteps() {
        return group.replicas.stream().mapToLong(Replica::skippedUpdates).sum();
    }

    /** Each push moves the parameters in (pull) and the gradients out (push): {@code 2 P} floats per step. */
    @Override
    public double bytesMovedPerStep() {
        return 2.0 * group.parameterCount() * 4;
    }

    @Override
    public Map<String, Object> extraMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        long n = pushes.get();
        m.put("staleness_mean", n == 0 ? 0.0 : stalenessSum.get() / (double) n);
        m.put("staleness_max", stalenessMax.get());
        return m;
    }

    @Override
    public void close() {
        try {
            group.close();
        } finally {
            serverOptimizer.close();
            serverParams.close();
            serverBackend.close();
        }
    }
}
