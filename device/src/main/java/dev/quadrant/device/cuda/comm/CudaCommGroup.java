package dev.quadrant.device.cuda.comm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.CudaProbe;
import dev.quadrant.bindings.cuda.CudaStream;
import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.comm.CommunicatorException;
import dev.quadrant.device.comm.ProcessLink;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.kernels.LaunchTarget;

/**
 * What the ranks of one {@link CudaCommunicator} group share: the GPUs ({@link Island}s) with their communication
 * streams and NCCL ranks, the collectives in flight, the failure that breaks the group, and a watchdog.
 *
 * <h2>How a collective runs</h2>
 * Each rank, on its own thread, records an event on its compute stream and publishes its buffer with it
 * ({@link #publish}); the last of all ranks to publish collective {@code #k} queues its device work on every GPU
 * ({@link CollectiveWork}) while holding the lock, so collectives are queued in order, all at once (NCCL calls for
 * several GPUs in one group from one thread), and no rank ever blocks in a NCCL call waiting for another thread.
 * {@link #awaitQueued} then makes a rank's compute stream wait for its GPU's "done" event: the host waits only for
 * the other ranks to <em>issue</em> the collective, never for the GPU.
 *
 * <h2>No hangs</h2>
 * A rank waiting for the others gives up after the deadline with a stall report naming the ranks that have not
 * issued the collective and what they issued last. The watchdog thread ({@code cuda-comm-watchdog}) polls every
 * {@value #POLL_MILLIS} ms: a collective that some ranks issued more than the deadline ago while others did not, a
 * queued collective whose events have not completed after the deadline, or an asynchronous NCCL error break the group.
 * Breaking aborts every NCCL rank (on a helper thread, so {@link #fail} never blocks) and wakes every waiter.
 *
 * <p>Thread-safety: all mutable state is guarded by {@link #lock}, except the failure (an atomic reference).
 */
final class CudaCommGroup {
    static final long POLL_MILLIS = 20;

    /** One rank: its GPU, the stream its compute work runs on, and where kernels are launched on that GPU. */
    record Endpoint(int device, CudaStream compute, LaunchTarget kernels, Runnable flush) {}

    /**
     * This process's part of a job of several processes: its ranks are global ranks {@code rankBase ..
     * rankBase + size - 1} of {@code jobSize}, one per GPU, and the NCCL rank of each GPU is its global rank in one
     * NCCL communicator over every GPU of the job ({@code ncclCommInitRank} with {@code ncclId}, the same 128 bytes in
     * every process). {@code link} is used for barriers and to end the job on a failure.
     */
    record Job(int rankBase, int jobSize, byte[] ncclId, ProcessLink link) {}

    final int size;
    /** Global rank of local rank 0, and the ranks over the job ({@code 0} and {@link #size} in one process). */
    final int rankBase;
    final int jobSize;
    /** Null inside one process. */
    final Job job;
    final Duration deadline;
    final Island[] islands;
    private final int[] deviceOf;
    private final CudaStream[] compute;
    private final Runnable[] flush;      // per rank: queues what its backend's step graphs hold back
    private final int[] islandOf;
    private final boolean nccl;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final AtomicReference<GroupFailure> failure = new AtomicReference<>();
    private final TreeMap<Long, PendingOp> pending = new TreeMap<>();
    private final String[] lastIssued;
    private final List<ArrayDeque<CudaEvent>> readyFree = new ArrayList<>();
    private final List<CudaEvent> readyAll = new ArrayList<>();
    private final boolean[] closed;
    private int closedCount;
    private volatile long enqueueStartedAt;
    private volatile boolean stopping;
    private final Thread watchdog;
    private Thread aborter;
    private final double warmupMillis;
    private final String description;

    private CudaCommGroup(List<Endpoint> ranks, Duration deadline, Layers layers, long reserveFloats, Job job) {
        this.size = ranks.size();
        this.job = job;
        this.rankBase = job == null ? 0 : job.rankBase();
        this.jobSize = job == null ? size : job.jobSize();
        this.deadline = deadline;
        this.deviceOf = new int[size];
        this.compute = new CudaStream[size];
        this.flush = new Runnable[size];
        this.islandOf = new int[size];
        this.lastIssued = new String[size];
        this.closed = new boolean[size];
        Map<Integer, List<Integer>> byDevice = new LinkedHashMap<>();
        for (int r = 0; r < size; r++) {
            deviceOf[r] = ranks.get(r).device();
            compute[r] = ranks.get(r).compute();
            flush[r] = ranks.get(r).flush();
            byDevice.computeIfAbsent(deviceOf[r], d -> new ArrayList<>()).add(r);
            readyFree.add(new ArrayDeque<>());
        }
        if (byDevice.size() > 1 && layers == Layers.LOCAL_ONLY) {
            throw new IllegalArgumentException("Layers.LOCAL_ONLY needs every rank on one GPU, got " + byDevice.keySet());
        }
        boolean useNccl = false;
        String ncclWhy = "not requested";
        if (job != null) {
            if (byDevice.size() != size) {
                throw new UserInputException("--devices: " + size + " replicas on " + byDevice.size() + " GPUs "
                        + byDevice.keySet().stream().map(d -> "cuda:" + d).toList() + " in each of several processes: "
                        + "across processes every GPU replica needs a GPU of its own (one NCCL rank per GPU); several "
                        + "replicas on one GPU (cuda:0xN) work inside one process only; use cuda:0,1,... per process");
            }
            CudaProbe.Result probe = CudaProbe.get();
            if (!probe.ncclUsable()) {
                throw new UserInputException("--devices: GPU replicas across processes need NCCL (libnccl.so.2), "
                        + "which is not usable here: " + probe.ncclReason() + "; install NCCL (pip install "
                        + "nvidia-nccl-cu13) or use CPU replicas (cpu:N) across processes");
            }
            useNccl = true;
        } else if (layers == Layers.AUTO && byDevice.size() == 1) {
            ncclWhy = "not needed, every rank is on cuda:" + byDevice.keySet().iterator().next();
        } else if (layers != Layers.LOCAL_ONLY) {
            CudaProbe.Result probe = CudaProbe.get();
            useNccl = probe.ncclUsable();
            ncclWhy = probe.ncclReason();
            if (!useNccl && byDevice.size() > 1) {
                throw new UserInputException("--devices: replicas on " + byDevice.size() + " GPUs "
                        + byDevice.keySet().stream().map(d -> "cuda:" + d).toList() + " need NCCL (libnccl.so.2), "
                        + "which is not usable here: " + ncclWhy + "; install NCCL (pip install nvidia-nccl-cu13) or "
                        + "put all replicas on one GPU (cuda:0xN)");
            }
        }
        this.nccl = useNccl;
        this.islands = new Island[byDevice.size()];
        List<Throwable> cleanup = new ArrayList<>();
        try {
            int k = 0;
            for (Map.Entry<Integer, List<Integer>> e : byDevice.entrySet()) {
                int[] rs = e.getValue().stream().mapToInt(Integer::intValue).toArray();
                islands[k] = new Island(k, e.getKey(), rs, ranks.get(rs[0]).kernels());
                for (int r : rs) {
                    islandOf[r] = k;
                }
                islands[k].scratch(reserveFloats);
                k++;
            }
            this.warmupMillis = useNccl ? initNccl(reserveFloats) : 0;
        } catch (RuntimeException | Error e) {
            for (Island i : islands) {
                if (i != null && i.nccl != null) {
                    Island.run(cleanup, i.nccl::abort);
                }
            }
            releaseIslands(cleanup);
            cleanup.forEach(e::addSuppressed);
            throw e;
        }
        StringBuilder d = new StringBuilder();
        for (Island i : islands) {
            d.append(d.length() == 0 ? "" : ", ").append(i.ranks.length).append(" on cuda:").append(i.device);
        }
        this.description = job != null ? size + " ranks (" + d + ") of " + jobSize + " over the job: NCCL "
                + Nccl.versionString(Nccl.version()) + " with one rank per GPU of every process, global ranks "
                + rankBase + ".." + (rankBase + size - 1) + " here" + String.format(" (warm-up %.1f ms)", warmupMillis)
                : size + " ranks (" + d + "): " + (islands.length > 1 || useNccl ? "device-local sums, then "
                + "NCCL " + Nccl.versionString(Nccl.version()) + " with one rank per GPU" + String.format(
                " (warm-up %.1f ms)", warmupMillis) : "device-local sums only (NCCL: " + ncclWhy + ")");
        this.watchdog = new Thread(this::watch, "cuda-comm-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /** Creates the group; see {@link CudaCommunicator#create}. */
    static CudaCommGroup create(List<Endpoint> ranks, Duration deadline, Layers layers, long reserveFloats) {
        return new CudaCommGroup(List.copyOf(ranks), deadline, layers, reserveFloats, null);
    }

    /** Creates this process's part of a group over every GPU of a job; see {@link CudaCommunicator#createInJob}. */
    static CudaCommGroup createInJob(List<Endpoint> ranks, Duration deadline, long reserveFloats, Job job) {
        return new CudaCommGroup(List.copyOf(ranks), deadline, Layers.AUTO, reserveFloats, job);
    }

    /**
     * The NCCL rank that {@code root} (a global rank) has: its GPU's index inside one process; its global rank over a
     * job (one rank per GPU there).
     */
    int ncclRoot(int root) {
        return job != null ? root : islandOf(root).index;
    }

    /** The local rank of global rank {@code r}, or -1 when another process has it. */
    int localRank(int r) {
        int l = r - rankBase;
        return l >= 0 && l < size ? l : -1;
    }

    /** One NCCL rank per GPU (ncclCommInitAll), then one all-reduce on every GPU so that step 1 is not slow. */
    private double initNccl(long reserveFloats) {
        int[] devs = new int[islands.length];
        for (Island i : islands) {
            devs[i.index] = i.device;
        }
        if (job == null) {
            Nccl.Comm[] comms = Nccl.Comm.initAll(devs);
            for (Island i : islands) {
                i.nccl = comms[i.index];
            }
        } else {
            // one thread joins every local GPU: inside one group, as NCCL requires; each on its own device
            Nccl.groupStart();
            try {
                for (Island i : islands) {
                    i.enter();
                    i.nccl = Nccl.Comm.initRank(jobSize, job.ncclId(), rankBase + islandRank(i));
                }
            } finally {
                Nccl.groupEnd();
            }
        }
        long n = Math.max(1, Math.min(reserveFloats, 1 << 20));
        long t0 = System.nanoTime();
        for (Island i : islands) {
            i.enter();
            Cuda.memsetAsync(i.scratch(n), 0, 4 * n, i.stream);
        }
        Nccl.groupStart();
        try {
            for (Island i : islands) {
                i.nccl.allReduce(i.scratch(n), i.scratch(n), n, Nccl.DataType.FLOAT32, Nccl.Op.SUM, i.stream);
            }
        } finally {
            Nccl.groupEnd();
        }
        for (Island i : islands) {
            i.enter();
            i.stream.synchronize();
            i.nccl.checkAsyncError();
        }
        return (System.nanoTime() - t0) / 1e6;
    }

    boolean hasNccl() { return nccl; }

    Island islandOf(int rank) { return islands[islandOf[rank]]; }

    /** The local rank on island {@code i} (the only one, in a job). */
    private static int islandRank(Island i) { return i.ranks[0]; }

    int deviceOf(int rank) { return deviceOf[rank]; }

    double warmupMillis() { return warmupMillis; }

    String describe() { return description; }

    // ---- failure ---------------------------------------------------------------------------------------------

    void checkHealthy(int rank, String doing) {
        GroupFailure f = failure.get();
        if (f != null) {
            throw f.toException(rank, doing);
        }
    }

    GroupFailure failure() { return failure.get(); }

    /**
     * Breaks the group with {@code f} unless it is broken already. Never blocks: NCCL ranks are aborted and waiters
     * woken on a helper thread (a graceful close aborts nothing).
     */
    void fail(GroupFailure f) {
        if (!failure.compareAndSet(null, f)) {
            return;
        }
        Thread t = new Thread(() -> {
            boolean locked = false;
            try {
                locked = lock.tryLock(1, TimeUnit.SECONDS);   // not held: a rank is stuck in NCCL; abort unblocks it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                if (f.kind() != GroupFailure.Kind.CLOSED) {
                    abortNccl();
                }
                if (!locked) {
                    lock.lock();
                    locked = true;
                }
                changed.signalAll();
            } finally {
                if (locked) {
                    lock.unlock();
                }
            }
        }, "cuda-comm-abort");
        t.setDaemon(true);
        synchronized (this) {
            aborter = t;
        }
        t.start();
    }

    private void abortNccl() {
        for (Island i : islands) {
            if (i.nccl != null) {
                try {
                    i.nccl.abort();
                } catch (RuntimeException e) {
                    // the group is failing already; the abort's own failure adds nothing the user can act on
                }
            }
        }
    }

    // ---- collectives -------------------------------------------------------------------------------------------

    /**
     * Rank {@code rank} issues collective {@code seq}: records its "issued" event, publishes its region and, if it
     * is the last rank, queues the device work. Returns the op to wait on.
     */
    PendingOp publish(int rank, long seq, OpKind kind, CudaBuffer buf, int offset, int count, ReduceOp op, int root) {
        String what = PendingOp.describe(kind, seq, count, op, root);
        flush[rank].run();   // the "ready" event below must follow every op the rank's step queued
        lock.lock();
        try {
            checkHealthy(rank, what);
            PendingOp p = pending.get(seq);
            if (p == null) {
                p = new PendingOp(seq, kind, count, op, root, size);
                pending.put(seq, p);
            } else if (!p.matches(kind, count, op, root)) {
                StringBuilder others = new StringBuilder();
                for (int r = 0; r < size; r++) {
                    if (p.arrivedRank[r]) {
                        others.append("; rank ").append(r).append(" called ").append(p.describe());
                    }
                }
                fail(GroupFailure.other("ranks disagree on collective #" + seq + ": rank " + rank + " called " + what
                        + others + ". Every rank must issue the same collectives in the same order with the same "
                        + "count, reduce op and root", null));
                checkHealthy(rank, what);
            }
            if (kind != OpKind.BARRIER) {
                CudaEvent ready = readyFree.get(rank).isEmpty() ? newReadyEvent(rank) : readyFree.get(rank).pop();
                Cuda.setDevice(deviceOf[rank]);
                ready.record(compute[rank]);
                p.ready[rank] = ready;
                p.bufs[rank] = buf;
                p.offsets[rank] = offset;
            }
            p.arrivedRank[rank] = true;
            p.arrived++;
            lastIssued[rank] = what;
            if (p.arrived == size) {
                enqueue(p);
                Cuda.setDevice(deviceOf[rank]);   // queueing visited every GPU; leave the caller on its own
                changed.signalAll();
                checkHealthy(rank, what);
            }
            return p;
        } finally {
            lock.unlock();
        }
    }

    private CudaEvent newReadyEvent(int rank) {
        Cuda.setDevice(deviceOf[rank]);
        CudaEvent e = CudaEvent.create(false);
        readyAll.add(e);
        return e;
    }

    private void enqueue(PendingOp p) {
        enqueueStartedAt = System.nanoTime();
        try {
            CollectiveWork.run(this, p);
            p.enqueued = true;
            p.enqueuedAt = System.nanoTime();
        } catch (RuntimeException e) {
            fail(GroupFailure.other("queueing " + p.describe() + " on the GPUs failed: " + e, e));
        } finally {
            enqueueStartedAt = 0;
            for (int r = 0; r < size; r++) {
                if (p.ready[r] != null) {
                    readyFree.get(r).push(p.ready[r]);
                    p.ready[r] = null;
                }
            }
        }
    }

    /**
     * Waits (with the deadline) until every rank has issued {@code p}, then makes {@code rank}'s compute stream wait
     * for the collective's end on its GPU. Does not wait for the GPU.
     */
    void awaitQueued(int rank, PendingOp p) {
        String what = p.describe();
        flush[rank].run();   // the compute stream's wait below goes after what the step queued before it
        lock.lock();
        try {
            long limit = System.nanoTime() + deadline.toNanos();
            while (!p.enqueued) {
                checkHealthy(rank, what);
                long left = limit - System.nanoTime();
                if (left <= 0) {
                    fail(stallReport(p, "rank " + rank + " waited " + deadline.toMillis() + " ms"));
                    checkHealthy(rank, what);
                }
                try {
                    changed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    fail(GroupFailure.rankFailed(rank, e));
                    checkHealthy(rank, what);
                }
            }
            checkHealthy(rank, what);
            if (p.done != null) {
                Cuda.setDevice(deviceOf[rank]);
                compute[rank].waitFor(p.done[islandOf[rank]]);
            }
            p.awaited++;
        } finally {
            lock.unlock();
        }
    }

    /** True once {@code p} has completed on {@code rank}'s GPU (or the group broke). Never blocks. */
    boolean isDone(int rank, PendingOp p) {
        lock.lock();
        try {
            if (failure.get() != null) {
                return true;
            }
            // A retired op's events went back to the islands' pools and may now mark a newer collective: never query them.
            return p.retired || p.enqueued && (p.done == null || p.done[islandOf[rank]].isDone());
        } finally {
            lock.unlock();
        }
    }

    /** Horovod-style stall report: which ranks have not issued {@code p}, and what they issued last. */
    private GroupFailure stallReport(PendingOp p, String who) {
        List<Integer> missing = new ArrayList<>();
        List<Integer> waiting = new ArrayList<>();
        StringBuilder last = new StringBuilder();
        for (int r = 0; r < size; r++) {
            if (p.arrivedRank[r]) {
                waiting.add(r);
            } else {
                missing.add(r);
                last.append(last.length() == 0 ? "" : "; ").append("rank ").append(r).append(' ')
                        .append(lastIssued[r] == null ? "never issued a collective" : "last issued " + lastIssued[r]);
            }
        }
        return GroupFailure.timeout(missing, "deadline of " + deadline.toMillis() + " ms passed in " + p.describe()
                + " (" + who + ") with ranks " + missing + " missing (" + last + "); ranks " + waiting + " had issued it. "
                + "Likely causes: a replica is stuck or slower than the deadline allows, a replica failed without "
                + "calling abort(), or the ranks issue different collectives");
    }

    // ---- watchdog ----------------------------------------------------------------------------------------------

    private void watch() {
        while (!stopping) {
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;   // close() stops the watchdog this way
            }
            long started = enqueueStartedAt;
            if (started != 0 && System.nanoTime() - started > deadline.toNanos()) {
                fail(GroupFailure.timeout(List.of(), "queueing a collective took longer than the deadline of "
                        + deadline.toMillis() + " ms (a NCCL call did not return)"));
            }
            boolean locked = false;
            try {
                locked = lock.tryLock(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (locked && failure.get() == null) {
                    inspect();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                fail(GroupFailure.other("the communicator watchdog failed: " + e, e));
            } finally {
                if (locked) {
                    lock.unlock();
                }
            }
        }
    }

    /** One round of the watchdog, under the lock. */
    private void inspect() {
        long now = System.nanoTime();
        for (Iterator<PendingOp> it = pending.values().iterator(); it.hasNext(); ) {
            PendingOp p = it.next();
            if (!p.enqueued) {
                if (now - p.firstArrival > deadline.toNanos()) {
                    fail(stallReport(p, "seen by the watchdog"));
                    return;
                }
                continue;
            }
            List<String> late = new ArrayList<>();
            if (p.done != null) {
                for (Island i : islands) {
                    i.enter();
                    if (!p.done[i.index].isDone()) {
                        late.add("cuda:" + i.device);
                    }
                }
            }
            if (late.isEmpty() && p.awaited >= size) {
                if (p.done != null) {
                    for (Island i : islands) {
                        i.release(p.done[i.index]);
                    }
                }
                p.retired = true;   // complete everywhere; its handles answer isDone() from this flag from now on
                p.done = null;
                it.remove();
            } else if (!late.isEmpty() && now - p.enqueuedAt > deadline.toNanos()) {
                fail(GroupFailure.timeout(List.of(), p.describe() + " was queued on every GPU " + deadline.toMillis()
                        + " ms ago and has not completed on " + late + ": a GPU is hung or far behind (check "
                        + "nvidia-smi; NCCL_DEBUG=WARN shows NCCL's view)"));
                return;
            }
        }
        if (nccl) {
            for (Island i : islands) {
                int s = i.nccl.asyncError();
                if (s != 0 && s != 7) {   // ncclSuccess, ncclInProgress
                    try {
                        i.nccl.checkAsyncError();
                    } catch (RuntimeException e) {
                        fail(GroupFailure.other("NCCL reported an asynchronous error on cuda:" + i.device + ": "
                                + e.getMessage(), e));
                    }
                    return;
                }
            }
        }
    }

    // ---- closing -----------------------------------------------------------------------------------------------

    /**
     * Rank {@code rank} is done: the group breaks for ranks still waiting; the last rank to close frees everything
     * (waits for the communication streams, finalises or aborts the NCCL ranks). Cleanup failures are returned.
     */
    List<Throwable> close(int rank) {
        boolean last;
        lock.lock();
        try {
            if (closed[rank]) {
                return List.of();
            }
            closed[rank] = true;
            last = ++closedCount == size;
        } finally {
            lock.unlock();
        }
        fail(GroupFailure.closed(rank));
        if (!last) {
            return List.of();
        }
        stopping = true;
        watchdog.interrupt();
        List<Throwable> errors = new ArrayList<>();
        join(watchdog);
        Thread a;
        synchronized (this) {
            a = aborter;
        }
        if (a != null) {
            join(a);
        }
        boolean graceful = failure.get().kind() == GroupFailure.Kind.CLOSED;
        lock.lock();
        try {
            for (Island i : islands) {
                drain(i, errors);
            }
            for (Island i : islands) {
                if (i.nccl != null) {
                    Island.run(errors, graceful && errors.isEmpty() ? i.nccl::close : i.nccl::abort);
                }
            }
            readyFree.forEach(ArrayDeque::clear);
            for (CudaEvent e : readyAll) {
                Island.run(errors, e::close);
            }
            readyAll.clear();
            pending.clear();
            releaseIslands(errors);
        } finally {
            lock.unlock();
        }
        return graceful ? errors : List.of();   // after a failure, cleanup errors only echo it
    }

    /** Frees every island's resources (their NCCL ranks are closed or aborted by the caller). */
    private void releaseIslands(List<Throwable> errors) {
        for (Island i : islands) {
            if (i != null) {
                i.close(errors);
            }
        }
    }

    /** Waits, at most the deadline, for the island's communication stream to finish its work. */
    private void drain(Island i, List<Throwable> errors) {
        long limit = System.nanoTime() + deadline.toNanos();
        try {
            i.enter();
            while (!i.stream.isIdle()) {
                if (System.nanoTime() > limit) {
                    errors.add(new CommunicatorException("the communication stream of cuda:" + i.device
                            + " did not finish within " + deadline.toMillis() + " ms of closing"));
                    return;
                }
                Thread.sleep(1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            errors.add(e);
        } catch (RuntimeException e) {
            errors.add(e);
        }
    }

    private static void join(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join(10_000);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The exception for a rank that finds the group broken while doing {@code doing}. */
    CommunicatorException brokenException(int rank, String doing) {
        GroupFailure f = failure.get();
        return f == null ? new CommunicatorException("rank " + rank + " in " + doing + ": failed") : f.toException(rank, doing);
    }
}
