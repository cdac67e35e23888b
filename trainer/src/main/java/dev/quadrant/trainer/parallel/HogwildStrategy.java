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
import dev.quadrant.device.cluster.ProcessGroup;
import java.nio.FloatBuffer;
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
    private static final int HEADER = 4;          // kind, learning rate, version high and low 24 bits
    private static final float PUSH = 1f;
    private static final float REPLY = 2f;
    private static final float DONE = 3f;
    private static final int DONE_TAG = 32000;    // above every local worker's tag (its local index)

    private final ReplicaGroup group;
    private final ProcessGroup processes;
    private final Duration deadline;
    private final int messageFloats;              // HEADER + P gradients + the non-trainable state
    private final long[] pulled;                  // per local worker of a process other than rank 0: version pulled
    private final float[][] workerHost;           // per such worker: [P + state] host copy of its message
    private final FloatBuffer[] workerMessage;    // per such worker: [messageFloats] its message and the reply
    private Thread server;                        // rank 0 of a job: the server thread of the other processes' pushes
    private volatile Throwable serverFailure;
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
        this(replicas, clipNorm, deadline, ProcessGroup.single());
    }

    /**
     * As above, for this process's replicas in a job of several processes: the server is replica 0 of rank 0. Rank
     * 0's workers push to it as in one process; a worker of another process sends its gradients (and non-trainable
     * state) to rank 0, where a server thread ({@code hogwild-server}) applies them at once, unlocked beside the local
     * workers' pushes, and sends back the new parameters, which are the worker's next pull. Before evaluation every
     * process tells the server it is done, and the server's parameters are broadcast to every replica of the job.
     */
    public HogwildStrategy(List<Replica> replicas, float clipNorm, Duration deadline, ProcessGroup processes) {
        this.group = new ReplicaGroup(replicas, deadline, processes);
        this.processes = processes;
        this.deadline = deadline;
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
        int params = sp.intSize();
        int stateFloats = 0;
        for (var e : state) {
            stateFloats += Math.toIntExact(e.size());
        }
        this.messageFloats = HEADER + params + stateFloats;
        this.pulled = new long[replicas.size()];
        boolean remote = !processes.isSingle() && processes.rank() != 0;
        this.workerHost = new float[remote ? replicas.size() : 0][];
        this.workerMessage = new FloatBuffer[workerHost.length];
        for (int r = 0; r < workerHost.length; r++) {
            workerHost[r] = new float[messageFloats - HEADER];
            workerMessage[r] = direct(messageFloats);
        }
        // a resumed run: the server continues from replica 0's optimizer state and update count
        serverOptimizer.uploadState(r0.optimizer().downloadState());
        serverOptimizer.setSteps(r0.optimizer().steps());
        updates.set(r0.optimizer().steps());
        startServer();
    }

    @Override
    public String name() { return "hogwild"; }

    @Override
    public List<Replica> replicas() { return group.replicas; }

    @Override
    public void step(StepBatch batch, float lr, long seed) {
        if (processes.rank() != 0) {
            shards.dispatch(batch, lr, seed, this::remoteStep);
            return;
        }
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

    /**
     * A worker of a process other than rank 0: gradients (and non-trainable state) to the server thread of rank 0,
     * the server's new parameters back, which become this worker's parameters (its next pull).
     */
    private void remoteStep(int r, StepBatch shard, float rate, long seed) {
        Replica rep = group.replicas.get(r);
        Backend be = rep.backend();
        rep.clock().start();
        rep.zeroGradients();
        rep.computeGradientsInChunks(shard, 1f / Math.max(1, shard.lossTerms()), seed);
        if (!rep.checkGradients()) {
            return; // --on-nan skip: nothing is pushed
        }
        GradientClipper.clip(be, rep.parameters().gradients(), clipNorm);
        rep.clock().lap(StepClock.Phase.COMPUTE);
        int p = rep.parameters().values().intSize();
        float[] host = workerHost[r];
        be.download(rep.parameters().gradients(), host, 0);
        int at = p;
        for (var e : state) {
            int n = Math.toIntExact(e.size());
            be.download(rep.parameters().values().slice(e.offset(), n), host, at);
            at += n;
        }
        FloatBuffer msg = workerMessage[r];
        header(msg, PUSH, rate, pulled[r]);
        msg.put(HEADER, host);
        processes.send(msg, messageFloats, 0, r);
        processes.receive(msg, messageFloats, 0, r);
        msg.get(HEADER, host, 0, p);
        be.upload(host, 0, rep.parameters().values());
        pulled[r] = version(msg);
        rep.clock().lap(StepClock.Phase.COMM);
    }

    /** Rank 0 of a job: the thread that applies the other processes' pushes, until each of them said it is done. */
    private void startServer() {
        if (processes.isSingle() || processes.rank() != 0) {
            return;
        }
        serverFailure = null;
        server = new Thread(() -> {
            try {
                serve();
            } catch (RuntimeException | Error e) {
                serverFailure = e;
                processes.abortJob("the hogwild server of rank 0 failed: " + e);
            }
        }, "hogwild-server");
        server.setDaemon(true);
        server.start();
    }

    private void serve() {
        int p = serverParams.intSize();
        FloatBuffer in = direct(messageFloats);
        float[] host = new float[messageFloats - HEADER];
        try (Tensor grads = serverBackend.allocate(DType.FLOAT32, p)) {
            int done = 0;
            while (done < processes.size() - 1) {
                ProcessGroup.Message m = processes.receive(in, messageFloats, -1, -1);
                if (in.get(0) == DONE) {
                    done++;
                    continue;
                }
                long stale = version.get() - version(in);
                in.get(HEADER, host);
                serverBackend.upload(host, 0, grads);
                serverOptimizer.update(serverBackend, serverParams, grads, in.get(1), updates.incrementAndGet());
                int at = p;
                for (var e : state) {   // the worker's running statistics overwrite the server's (last writer wins)
                    int n = Math.toIntExact(e.size());
                    serverBackend.upload(host, at, serverParams.slice(e.offset(), n));
                    at += n;
                }
                long v = version.incrementAndGet();
                staleness.record(stale);
                serverBackend.download(serverParams, host, 0);
                header(in, REPLY, 0f, v);
                in.put(HEADER, host, 0, p);
                processes.send(in, messageFloats, m.source(), m.tag());
            }
        }
    }

    private static FloatBuffer direct(int n) {
        return java.nio.ByteBuffer.allocateDirect(4 * n).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static void header(FloatBuffer b, float kind, float lr, long version) {
        b.put(0, kind);
        b.put(1, lr);
        b.put(2, (float) (version >>> 24));
        b.put(3, (float) (version & 0xFFFFFF));
    }

    private static long version(FloatBuffer b) {
        return ((long) b.get(2) << 24) | (long) b.get(3);
    }

    /** Every process but rank 0 tells the server it has no push left; rank 0 waits for its server to have heard all. */
    private void stopServer() {
        if (processes.rank() != 0) {
            FloatBuffer msg = direct(messageFloats);
            header(msg, DONE, 0f, 0);
            processes.send(msg, messageFloats, 0, DONE_TAG);
            return;
        }
        try {
            server.join(deadline.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            processes.abortJob("interrupted while waiting for the hogwild server");
        }
        if (server.isAlive()) {
            processes.abortJob("the hogwild server of rank 0 did not hear from every process within "
                    + deadline.toSeconds() + " s");
        }
        if (serverFailure != null) {
            throw new IllegalStateException("the hogwild server failed", serverFailure);
        }
    }

    @Override
    public double[] takeLossSum() { return processes.sum(shards.takeLossSum()); }

    @Override
    public ProcessGroup processes() { return processes; }

    /** Waits for every queued shard and every push, then gives every replica the server's parameters. */
    @Override
    public void consolidate() {
        group.threads.drain();
        if (!processes.isSingle()) {
            stopServer();
            if (processes.rank() == 0) {
                consolidateHere();
            }
            // every replica of the job takes the server's parameters, and every worker's pull is the same version
            group.threads.runAll(r -> group.comms.get(r).broadcast(group.replicas.get(r).parameters().values(), 0));
            long v = (long) processes.sum(new double[] {processes.rank() == 0 ? version.get() : 0})[0];
            java.util.Arrays.fill(pulled, v);
            startServer();
            return;
        }
        consolidateHere();
    }

    /** Rank 0's (or the single process's) part of {@link #consolidate}, after the drain. */
    private void consolidateHere() {
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
            if (!processes.isSingle()) {
                stopServer();
            }
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
