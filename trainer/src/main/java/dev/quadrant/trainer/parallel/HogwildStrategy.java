package dev.quadrant.trainer.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Device;
import dev.quadrant.device.StepClock;
import dev.quadrant.device.StreamEvent;
import dev.quadrant.device.Tensor;
import dev.quadrant.trainer.optim.Optimizer;

/**
 * Asynchronous, centralized (Hogwild): a parameter server holds the parameters and the optimizer state; each worker,
 * at its own pace, pulls the current parameters, computes the mean gradient of its shard and pushes it; the server
 * applies every push at once, with no lock across workers (updates of different workers may interleave element by
 * element, as in Hogwild). Each push is one optimizer update, so N workers make N updates per global batch.
 *
 * <p>The server lives on replica 0's device. On GPUs everything moves device to device: a worker on the server's GPU
 * pulls with a copy on its own stream and pushes by running the optimizer update on the server's tensors from its own
 * stream (the streams of several workers really do update the server at once); a worker on another GPU pulls with a
 * peer copy, and pushes through a handle on the server's GPU: its gradients are peer-copied there (ordered after its
 * backward by an event) and the update runs on that handle's stream.
 *
 * <p>Staleness of a push = the number of updates other workers applied between its pull and its push; the mean and
 * the maximum are reported in the metrics ({@code staleness_mean}, {@code staleness_max}).
 */
public final class HogwildStrategy implements StepRunner {
    private final ReplicaGroup group;
    private final AsyncShards shards;
    private final float clipNorm;
    private final Backend serverBackend;
    private final Tensor serverParams;   // [P] on replica 0's device
    private final Optimizer serverOptimizer;
    private final List<Remote> remotes = new ArrayList<>();   // per worker; null when on the server's device
    private final AtomicLong version = new AtomicLong();
    private final AtomicInteger updates = new AtomicInteger();
    private final Staleness staleness = new Staleness();
    private final List<dev.quadrant.trainer.nn.ParamLayout.Entry> state;   // non-trainable entries (running statistics)

    /** A worker's way to the server's GPU: a backend there, a landing buffer for its gradients, two events. */
    private record Remote(Backend push, Tensor staged, StreamEvent gradsReady, StreamEvent pushed) {
        void close() {
            gradsReady.close();
            pushed.close();
            staged.close();
            push.close();
        }
    }

    public HogwildStrategy(List<Replica> replicas, float clipNorm) {
        this(replicas, clipNorm, ReplicaGroup.COLLECTIVE_DEADLINE);
    }

    /** As above, with the longest the initial broadcast may wait for the other replicas. */
    public HogwildStrategy(List<Replica> replicas, float clipNorm, Duration deadline) {
        this.group = new ReplicaGroup(replicas, deadline);
        this.shards = new AsyncShards(group);
        this.clipNorm = clipNorm;
        Replica r0 = replicas.get(0);
        Device server = r0.backend().device();
        Backend sb = null;
        Tensor sp = null;
        Optimizer opt = null;
        try {
            sb = r0.backend().like(server);
            sp = sb.allocate(DType.FLOAT32, r0.parameters().values().intSize());
            opt = new Optimizer(sb, r0.parameters().layout(), r0.optimizer().config());
            r0.backend().synchronize();   // the broadcast parameters, written on replica 0's stream
            sb.copy(r0.parameters().values(), sp);
            sb.synchronize();
            for (Replica r : replicas) {
                if (r.backend().device().equals(server)) {
                    remotes.add(null);
                } else {
                    Backend push = r.backend().like(server);
                    remotes.add(new Remote(push, push.allocate(DType.FLOAT32, sp.intSize()),
                            r.backend().newEvent(), push.newEvent()));
                }
            }
        } catch (RuntimeException | Error e) {
            remotes.stream().filter(x -> x != null).forEach(Remote::close);
            if (opt != null) {
                opt.close();
            }
            if (sp != null) {
                sp.close();
            }
            if (sb != null) {
                sb.close();
            }
            group.close();
            throw e;
        }
        this.serverBackend = sb;
        this.serverParams = sp;
        this.state = r0.parameters().layout().entries().stream().filter(e -> !e.trainable()).toList();
        this.serverOptimizer = opt;
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
    public void step(StepBatch batch, float lr, long seed) {
        shards.dispatch(batch, lr, seed, (r, shard, rate, s) -> {
            Replica rep = group.replicas.get(r);
            Backend be = rep.backend();
            rep.clock().start();
            long pulled = version.get();
            be.copy(serverParams, rep.parameters().values());                        // pull
            rep.clock().lap(StepClock.Phase.COMM);
            rep.zeroGradients();
            rep.computeGradientsInChunks(shard, 1f / Math.max(1, shard.lossTerms()), s);
            if (!rep.checkGradients()) {
                return; // --on-nan skip: nothing is pushed
            }
            GradientClipper.clip(be, rep.parameters().gradients(), clipNorm);
            rep.clock().lap(StepClock.Phase.COMPUTE);
            long stale = version.get() - pulled;
            Remote remote = remotes.get(r);
            if (remote == null) {                                                     // push on the server's device
                serverOptimizer.update(be, serverParams, rep.parameters().gradients(), rate, updates.incrementAndGet());
                pushState(be, rep);
            } else {                                                                  // push from another GPU
                remote.gradsReady().record(be);
                remote.gradsReady().waitIn(remote.push());
                remote.push().copy(rep.parameters().gradients(), remote.staged());
                pushState(remote.push(), rep);
                serverOptimizer.update(remote.push(), serverParams, remote.staged(), rate, updates.incrementAndGet());
                remote.pushed().record(remote.push());
                remote.pushed().waitIn(be);   // the next backward must not overwrite gradients still being copied
            }
            rep.clock().lap(StepClock.Phase.COMM);
            version.incrementAndGet();
            staleness.record(stale);
        });
    }

    /**
     * Non-trainable state (BatchNorm running statistics) is not a gradient: the worker's values, moved by its own
     * forward pass, overwrite the server's (the last writer wins, as Hogwild's updates do).
     */
    private void pushState(Backend on, Replica rep) {
        for (var e : state) {
            int n = Math.toIntExact(e.size());
            on.copy(rep.parameters().values().slice(e.offset(), n), serverParams.slice(e.offset(), n));
        }
    }

    @Override
    public double[] takeLossSum() { return shards.takeLossSum(); }

    /** Waits for every queued shard and every push, then gives every replica the server's parameters. */
    @Override
    public void consolidate() {
        group.threads.drain();
        for (int r = 0; r < group.size(); r++) {
            group.replicas.get(r).backend().synchronize();
            if (remotes.get(r) != null) {
                remotes.get(r).push().synchronize();
            }
        }
        for (Replica r : group.replicas) {
            r.backend().copy(serverParams, r.parameters().values());
        }
        serverOptimizer.setSteps(updates.get());
    }

    /** The server's optimizer: its state and update count continue the run. */
    @Override
    public Optimizer checkpointOptimizer() { return serverOptimizer; }

    @Override
    public long skippedSteps() { return shards.skippedSteps(); }

    /** Each push moves the parameters in (pull) and the gradients out (push): {@code 2 P} floats per step. */
    @Override
    public double bytesMovedPerStep() {
        return 2.0 * group.parameterCount() * 4;
    }

    @Override
    public Map<String, Object> extraMetrics() {
        Map<String, Object> m = new LinkedHashMap<>();
        staleness.putInto(m);
        return m;
    }

    @Override
    public void close() {
        try {
            group.threads.close();
            for (Remote x : remotes) {
                if (x != null) {
                    x.close();
                }
            }
            group.close();
        } finally {
            serverOptimizer.close();
            serverParams.close();
            serverBackend.close();
        }
    }
}
