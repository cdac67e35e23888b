package dev.quadrant.device.comm;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One replica of a job of several processes, each with the same number of replicas: the replicas of one process
 * combine their regions through shared memory first ({@link LocalCommunicator}), one replica of each process (the
 * leader of that operation) then runs the collective between the processes ({@link ProcessLink}, MPI in a real job),
 * and the leader's result goes back to its process's replicas through shared memory again. As
 * {@code cuda:0x2,1x2} reduces device-locally before NCCL, but between processes.
 *
 * <pre>{@code
 * // in each of P processes, with K replica threads each:
 * List<HierarchicalCommunicator> ranks = HierarchicalCommunicator.create(K, link, Duration.ofMinutes(5));
 * ranks.get(r).allReduce(grads, 0, n, ReduceOp.SUM);   // the sum over all P*K replicas of the job
 * }</pre>
 *
 * <h2>Ranks</h2>
 * Global rank {@code = process rank * K + local rank}, size {@code = P * K}, so a job of P processes with K replicas
 * each shards a batch exactly as one process with P*K replicas does. Operation by operation:
 * <ul>
 *   <li>all-reduce: local reduce to local rank 0, process all-reduce by the local rank 0s, local broadcast;
 *       {@code AVERAGE} divides the global sum by {@code P * K} (one float32 division, as the local one);</li>
 *   <li>reduce to global {@code root}: local reduce to the root's local rank in the root's process and to local
 *       rank 0 in the others, process reduce to the root's process by those leaders (a leader that is not the root
 *       gets its own region back afterwards, as the contract wants);</li>
 *   <li>broadcast from {@code root}: process broadcast by the root in its process and by local rank 0 in the others,
 *       then a local broadcast from that leader;</li>
 *   <li>reduce-scatter and all-gather go through an all-reduce (any shard sizes, {@link Shards} over the global
 *       ranks): reduce-scatter restores the elements outside the rank's shard afterwards, all-gather contributes
 *       zeros outside it;</li>
 *   <li>barrier: local, process, local.</li>
 * </ul>
 * The result is the same on every replica of the job (the process collective gives every process the same sum, and
 * the local broadcast copies it); it differs from one process's sum over P*K replicas only in float32 summation order.
 *
 * <h2>Threads and failure</h2>
 * The blocking collectives run on the calling (replica) thread after the rank's earlier async ones; the async
 * all-reduce runs on this rank's helper thread ({@code xcomm-<global rank>}), in issue order. Within a process the
 * leaders' process calls are therefore issued in the collectives' order. The failure model is the
 * {@link Communicator}'s inside the process; {@link #abort} also calls {@link ProcessLink#fail}, so the other
 * processes stop too (over MPI: the job ends within seconds, naming this rank and host). Deadlines are the local
 * communicator's inside a process and the link's between processes.
 */
public final class HierarchicalCommunicator implements Communicator<FloatBuffer> {
    private final LocalCommunicator local;
    private final ProcessLink link;
    private final int localSize;
    private final Object order = new Object();
    private CompletableFuture<Void> lastAsync = CompletableFuture.completedFuture(null);  // guarded by order
    private CommWorker worker;                                                           // guarded by order
    private boolean closed;                                                              // guarded by order

    private HierarchicalCommunicator(LocalCommunicator local, ProcessLink link) {
        this.local = local;
        this.link = link;
        this.localSize = local.size();
    }

    /** The {@code localReplicas} ranks of this process, element {@code i} being local rank {@code i}. */
    public static List<HierarchicalCommunicator> create(int localReplicas, ProcessLink link,
                                                        java.time.Duration deadline) {
        Objects.requireNonNull(link, "link");
        List<HierarchicalCommunicator> out = new ArrayList<>();
        for (LocalCommunicator c : LocalCommunicator.create(localReplicas, deadline)) {
            out.add(new HierarchicalCommunicator(c, link));
        }
        return List.copyOf(out);
    }

    @Override
    public int rank() { return link.rank() * localSize + local.rank(); }

    @Override
    public int size() { return link.size() * localSize; }

    /** This replica's rank inside its process. */
    public int localRank() { return local.rank(); }

    @Override
    public void allReduce(FloatBuffer buf, int offset, int count, ReduceOp op) {
        awaitAsync();
        doAllReduce(buf, offset, count, op);
    }

    @Override
    public CommHandle allReduceAsync(FloatBuffer buf, int offset, int count, ReduceOp op) {
        checkRegion(buf, offset, count);
        Objects.requireNonNull(op, "op");
        CompletableFuture<Void> done = new CompletableFuture<>();
        synchronized (order) {
            if (closed) {
                throw new CommunicatorException("rank " + rank() + ": communicator closed");
            }
            if (worker == null) {
                worker = new CommWorker("xcomm-" + rank());
            }
            CompletableFuture<Void> before = lastAsync;
            boolean queued = worker.submit(() -> {
                try {
                    before.join();
                    doAllReduce(buf, offset, count, op);
                    done.complete(null);
                } catch (Throwable t) {
                    done.completeExceptionally(t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                            ? t.getCause() : t);
                }
            });
            if (!queued) {
                throw new CommunicatorException("rank " + rank() + ": communicator closed");
            }
            lastAsync = done;
        }
        return new HierarchicalHandle(this, done, "all-reduce of " + count + " floats at " + offset);
    }

    @Override
    public void reduceScatter(FloatBuffer buf, int offset, int count, ReduceOp op) {
        awaitAsync();
        checkRegion(buf, offset, count);
        float[] saved = new float[count];
        buf.get(offset, saved);
        doAllReduce(buf, offset, count, op);
        int from = Shards.offset(count, size(), rank());
        int len = Shards.length(count, size(), rank());
        buf.put(offset, saved, 0, from);
        buf.put(offset + from + len, saved, from + len, count - from - len);
    }

    @Override
    public void allGather(FloatBuffer buf, int offset, int count) {
        awaitAsync();
        checkRegion(buf, offset, count);
        int from = Shards.offset(count, size(), rank());
        int len = Shards.length(count, size(), rank());
        for (int i = 0; i < count; i++) {
            if (i < from || i >= from + len) {
                buf.put(offset + i, 0f);
            }
        }
        doAllReduce(buf, offset, count, ReduceOp.SUM);
    }

    @Override
    public void reduce(FloatBuffer buf, int offset, int count, ReduceOp op, int root) {
        awaitAsync();
        checkRoot(root);
        int rootProcess = root / localSize;
        int leader = link.rank() == rootProcess ? root % localSize : 0;
        // a leader that is not the root keeps its own region: it holds its process's partial sum only for the call
        float[] saved = local.rank() == leader && rank() != root ? new float[count] : null;
        if (saved != null) {
            buf.get(offset, saved);
        }
        local.reduce(buf, offset, count, ReduceOp.SUM, leader);
        if (local.rank() == leader) {
            guarded(() -> link.reduce(buf, offset, count, rootProcess));
            if (rank() == root && op == ReduceOp.AVERAGE) {
                divide(buf, offset, count);
            }
        }
        if (saved != null) {
            buf.put(offset, saved);
        }
    }

    @Override
    public void broadcast(FloatBuffer buf, int offset, int count, int root) {
        awaitAsync();
        checkRoot(root);
        int rootProcess = root / localSize;
        int leader = link.rank() == rootProcess ? root % localSize : 0;
        if (local.rank() == leader) {
            guarded(() -> link.broadcast(buf, offset, count, rootProcess));
        }
        local.broadcast(buf, offset, count, leader);
    }

    @Override
    public void barrier() {
        awaitAsync();
        local.barrier();
        if (local.rank() == 0) {
            guarded(link::barrier);
        }
        local.barrier();
    }

    @Override
    public void abort(Throwable cause) {
        local.abort(cause);
        link.fail(cause);
    }

    @Override
    public void close() {
        CommWorker w;
        synchronized (order) {
            closed = true;
            w = worker;
        }
        if (w != null) {
            w.stop(5_000);
        }
        local.close();
    }

    private void doAllReduce(FloatBuffer buf, int offset, int count, ReduceOp op) {
        local.reduce(buf, offset, count, ReduceOp.SUM, 0);
        if (local.rank() == 0) {
            guarded(() -> link.allReduce(buf, offset, count));
            if (op == ReduceOp.AVERAGE) {
                divide(buf, offset, count);
            }
        }
        local.broadcast(buf, offset, count, 0);
    }

    /** A failing process collective breaks this process's group too, so its other replicas stop waiting. */
    private void guarded(Runnable processCall) {
        try {
            processCall.run();
        } catch (RuntimeException | Error e) {
            abort(e);
            throw e;
        }
    }

    private void divide(FloatBuffer buf, int offset, int count) {
        float n = size();
        for (int i = 0; i < count; i++) {
            buf.put(offset + i, buf.get(offset + i) / n);
        }
    }

    private void awaitAsync() {
        CompletableFuture<Void> last;
        synchronized (order) {
            last = lastAsync;
        }
        new HierarchicalHandle(this, last, "an earlier async all-reduce").await();
    }

    private void checkRoot(int root) {
        if (root < 0 || root >= size()) {
            IllegalArgumentException e = new IllegalArgumentException("root " + root + " is not a rank of "
                    + size() + " (" + link.size() + " processes x " + localSize + " replicas)");
            abort(e);
            throw e;
        }
    }

    private void checkRegion(FloatBuffer buf, int offset, int count) {
        Objects.requireNonNull(buf, "buf");
        if (offset < 0 || count < 0 || (long) offset + count > buf.capacity()) {
            IllegalArgumentException e = new IllegalArgumentException("region [" + offset + ", "
                    + ((long) offset + count) + ") is outside the buffer's " + buf.capacity() + " floats");
            abort(e);
            throw e;
        }
    }

    /** The handle of an async all-reduce: waits for the helper thread's future. */
    private record HierarchicalHandle(HierarchicalCommunicator comm, CompletableFuture<Void> done, String what)
            implements CommHandle {
        @Override
        public void await() {
            try {
                done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                comm.abort(e);
                throw new CommunicatorException("rank " + comm.rank() + " interrupted while waiting for " + what, e);
            } catch (java.util.concurrent.ExecutionException e) {
                Throwable t = e.getCause();
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                if (t instanceof Error err) {
                    throw err;
                }
                throw new CommunicatorException("rank " + comm.rank() + " in " + what + ": failed", t);
            }
        }

        @Override
        public boolean isDone() { return done.isDone(); }
    }
}
