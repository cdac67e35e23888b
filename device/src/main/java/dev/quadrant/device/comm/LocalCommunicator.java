package dev.quadrant.device.comm;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One rank of a group of replicas that are threads of one JVM and share host memory.
 *
 * <pre>{@code
 * List<LocalCommunicator> comms = LocalCommunicator.create(4, Duration.ofMinutes(5));
 * // replica thread r:
 * try {
 *     comms.get(r).allReduce(grads, 0, n, ReduceOp.AVERAGE);
 * } catch (RuntimeException e) {
 *     comms.get(r).abort(e);   // every other rank's wait now throws, with e as the cause
 *     throw e;
 * }
 * }</pre>
 *
 * <h2>Algorithm</h2>
 * No data passes through intermediate buffers and no single thread sums everything. All-reduce is a reduce-scatter
 * fused with an all-gather: after a rendezvous in which each rank publishes its region, rank {@code i} sums shard
 * {@code i} ({@link Shards}) of all ranks' regions in rank order and writes the sum into shard {@code i} of every
 * rank's region; a second rendezvous ends the collective. Each rank's thread reads and writes {@code 2 * count / n}
 * floats per rank region it touches, in total the traffic of one copy of its shard per rank: memory bandwidth, not
 * a thread, is the limit. {@link #reduceScatter} writes only the rank's own shard, {@link #allGather} has rank
 * {@code i} copy its shard into every other region, {@link #broadcast} has every rank copy the root's region into
 * its own, and {@link #reduce} has the root alone sum every region (the all-to-one of a parameter server).
 *
 * <h2>Async form and threads</h2>
 * {@link #allReduceAsync} runs on one helper thread per rank, {@code comm-<rank>} (a daemon), started on first use
 * and ended by {@link #close()}. The blocking collectives run on the calling thread. Waits park (no spinning), so
 * more ranks than cores work, only slower.
 *
 * <p>Thread-safety, memory effects and the all-or-none failure model are those of {@link Communicator}; every wait
 * has the deadline given to {@link #create}, measured from when the rank starts waiting.
 */
public final class LocalCommunicator implements Communicator<FloatBuffer> {
    private final LocalGroup group;
    private final int rank;
    private final float[] acc = new float[HostReduce.BLOCK];
    private final float[] tmp = new float[HostReduce.BLOCK];
    private final AtomicReference<Thread> issuer = new AtomicReference<>();
    private long seq;                                // guarded by issuer
    private CompletableFuture<Void> lastAsync = CompletableFuture.completedFuture(null);  // guarded by issuer
    private CommWorker worker;                       // guarded by this
    private boolean closed;                          // guarded by this

    private LocalCommunicator(LocalGroup group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /**
     * A group of {@code n} ranks; element {@code i} is rank {@code i}.
     *
     * @param deadline the longest any rank waits for the others in one collective (it must cover the largest
     *                 difference in arrival between replicas, e.g. one training step)
     */
    public static List<LocalCommunicator> create(int n, Duration deadline) {
        if (n < 1) {
            throw new IllegalArgumentException("communicator size must be >= 1, got " + n);
        }
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("communicator deadline must be positive, got " + deadline);
        }
        LocalGroup group = new LocalGroup(n, deadline);
        List<LocalCommunicator> ranks = new ArrayList<>(n);
        for (int r = 0; r < n; r++) {
            ranks.add(new LocalCommunicator(group, r));
        }
        return List.copyOf(ranks);
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return group.size;
    }

    @Override
    public void allReduce(FloatBuffer buf, int offset, int count, ReduceOp op) {
        runBlocking(Op.Kind.ALL_REDUCE, buf, offset, count, op, -1);
    }

    @Override
    public CommHandle allReduceAsync(FloatBuffer buf, int offset, int count, ReduceOp op) {
        enter();
        try {
            Op o = issue(Op.Kind.ALL_REDUCE, buf, offset, count, op, -1);
            CompletableFuture<Void> done = new CompletableFuture<>();
            Runnable task = () -> {
                try {
                    execute(o);
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            };
            CommWorker w = worker();
            if (w == null || !w.submit(task)) {
                group.rendezvous.checkHealthy(rank, o.describe());  // closed: the group is broken
                throw new CommunicatorException("rank " + rank + " in " + o.describe() + ": communicator closed");
            }
            lastAsync = done;
            return new LocalCommHandle(this, done, o.describe());
        } finally {
            issuer.set(null);
        }
    }

    @Override
    public void reduceScatter(FloatBuffer buf, int offset, int count, ReduceOp op) {
        runBlocking(Op.Kind.REDUCE_SCATTER, buf, offset, count, op, -1);
    }

    @Override
    public void allGather(FloatBuffer buf, int offset, int count) {
        runBlocking(Op.Kind.ALL_GATHER, buf, offset, count, null, -1);
    }

    @Override
    public void reduce(FloatBuffer buf, int offset, int count, ReduceOp op, int root) {
        runBlocking(Op.Kind.REDUCE, buf, offset, count, op, root);
    }

    @Override
    public void broadcast(FloatBuffer buf, int offset, int count, int root) {
        runBlocking(Op.Kind.BROADCAST, buf, offset, count, null, root);
    }

    @Override
    public void barrier() {
        runBlocking(Op.Kind.BARRIER, null, 0, 0, null, -1);
    }

    @Override
    public void abort(Throwable cause) {
        Objects.requireNonNull(cause, "cause");
        group.rendezvous.breakWith(Breakage.rankFailed(rank, cause));
    }

    @Override
    public void close() {
        CommWorker w;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            w = worker;
        }
        group.rendezvous.breakWith(Breakage.other("rank " + rank + " closed its communicator"));
        if (w != null) {
            w.stop(group.rendezvous.deadline().toMillis() + 1000);
        }
    }

    /** Waits for this rank's earlier async collectives (their outcome does not matter: a failure broke the group). */
    void awaitAsync(CompletableFuture<Void> f, String doing) {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort(e);
            group.rendezvous.checkHealthy(rank, doing);
        } catch (ExecutionException e) {
            // reported by the handle; the blocking call that follows fails on the broken group
        }
    }

    /** The breakage as this rank sees it; for handles. */
    CommunicatorException brokenException(String doing) {
        Breakage b = group.rendezvous.breakage();
        return b == null ? new CommunicatorException("rank " + rank + " in " + doing + ": failed") : b.toException(rank, doing);
    }

    private void runBlocking(Op.Kind kind, FloatBuffer buf, int offset, int count, ReduceOp op, int root) {
        enter();
        try {
            Op o = issue(kind, buf, offset, count, op, root);
            if (!lastAsync.isDone()) {
                awaitAsync(lastAsync, o.describe());
            }
            execute(o);
        } finally {
            issuer.set(null);
        }
    }

    private void enter() {
        Thread me = Thread.currentThread();
        if (!issuer.compareAndSet(null, me)) {
            Thread other = issuer.get();
            throw new IllegalStateException("rank " + rank + ": a collective is already being issued by thread '"
                    + (other == null ? "?" : other.getName()) + "', now also by '" + me.getName()
                    + "'; issue one rank's collectives from one thread at a time");
        }
    }

    /** Validates the arguments (aborting the group if they are wrong) and numbers the op. */
    private Op issue(Op.Kind kind, FloatBuffer buf, int offset, int count, ReduceOp op, int root) {
        String what = kind.label + " #" + seq;
        group.rendezvous.checkHealthy(rank, what);
        try {
            if (kind != Op.Kind.BARRIER) {
                checkArguments(what, buf, offset, count, root);
                if ((kind == Op.Kind.ALL_REDUCE || kind == Op.Kind.REDUCE_SCATTER || kind == Op.Kind.REDUCE)
                        && op == null) {
                    throw new IllegalArgumentException("rank " + rank + " " + what + ": reduce op is null");
                }
            }
        } catch (IllegalArgumentException e) {
            abort(e);
            throw e;
        }
        return kind == Op.Kind.BARRIER ? Op.barrier(seq++) : new Op(kind, seq++, buf, offset, count, op, root);
    }

    private void checkArguments(String what, FloatBuffer buf, int offset, int count, int root) {
        String where = "rank " + rank + " " + what + ": ";
        if (buf == null) {
            throw new IllegalArgumentException(where + "buffer is null");
        }
        if (buf.isReadOnly()) {
            throw new IllegalArgumentException(where + "buffer is read-only");
        }
        if (offset < 0 || count < 0 || (long) offset + count > buf.limit()) {
            throw new IllegalArgumentException(where + "region [" + offset + ", " + ((long) offset + count)
                    + ") does not fit in a buffer with limit " + buf.limit());
        }
        if (root != -1 && (root < 0 || root >= group.size)) {
            throw new IllegalArgumentException(where + "root " + root + " is not a rank of a group of " + group.size);
        }
    }

    /** Runs {@code o} on the calling thread (the issuer's or comm-rank); any unexpected failure aborts the group. */
    private void execute(Op o) {
        String what = o.describe();
        try {
            group.publish(rank, o);
            group.rendezvous.await(rank, what);
            Op[] ops = group.agreedOps(rank, o);
            compute(o, ops, what);
            // Nobody reads the slots after this rendezvous, so each rank may clear and reuse its own.
            group.rendezvous.await(rank, what);
            group.clear(rank);
        } catch (CommunicatorException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            abort(e);
            throw e;
        }
    }

    private void compute(Op o, Op[] ops, String what) {
        int n = group.size;
        int count = o.count();
        int from = Shards.offset(count, n, rank);
        int len = Shards.length(count, n, rank);
        switch (o.kind()) {
            case ALL_REDUCE -> {
                if (n > 1) {
                    HostReduce.reduce(ops, from, len, o.reduceOp(), -1, acc, tmp, group.rendezvous, rank, what);
                }
            }
            case REDUCE_SCATTER -> {
                if (n > 1) {
                    HostReduce.reduce(ops, from, len, o.reduceOp(), rank, acc, tmp, group.rendezvous, rank, what);
                }
            }
            case ALL_GATHER -> {
                for (int r = 0; r < n; r++) {
                    if (r != rank) {
                        HostReduce.copy(o, ops[r], from, len, group.rendezvous, rank, what);
                    }
                }
            }
            case REDUCE -> {
                if (rank == o.root() && n > 1) {
                    HostReduce.reduce(ops, 0, count, o.reduceOp(), rank, acc, tmp, group.rendezvous, rank, what);
                }
            }
            case BROADCAST -> {
                if (rank != o.root()) {
                    HostReduce.copy(ops[o.root()], o, 0, count, group.rendezvous, rank, what);
                }
            }
            case BARRIER -> { }
        }
    }

    private synchronized CommWorker worker() {
        if (closed) {
            return null;
        }
        if (worker == null) {
            worker = new CommWorker("comm-" + rank);
        }
        return worker;
    }
}
