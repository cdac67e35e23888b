package dev.quadrant.device.cuda.comm;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.Communicator;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.cuda.CudaBackend;

/**
 * One rank of a group of replicas on GPUs of one JVM, each with its own {@link CudaBackend} (and so its own compute
 * stream); several ranks may share a GPU.
 *
 * <pre>{@code
 * List<CudaCommunicator> comms = CudaCommunicator.create(backends, Duration.ofMinutes(5));   // cuda:0x2,1x2
 * // on replica r's thread, after backward queued the bucket's gradients:
 * CommHandle h = comms.get(r).allReduceAsync(CudaBuffer.of(grads), (int) grads.offset(), n, ReduceOp.SUM);
 * ... more backward ...
 * h.await();   // the compute stream now waits for the sum; the host does not
 * }</pre>
 *
 * <h2>Layers</h2>
 * Ranks that share a GPU are reduced on that GPU: their regions are summed in rank order into a scratch buffer by a
 * kernel ({@code add_f32}) on the GPU's communication stream, and the result is copied back (device to device). NCCL
 * refuses two ranks on one device, so across GPUs there is one NCCL rank per GPU ({@code ncclCommInitAll}, created
 * up front with a warm-up all-reduce so that the first step is not slow), and its calls for all GPUs are issued in
 * one {@code ncclGroupStart/End}. With {@link Layers#AUTO} NCCL runs even for one GPU when it is usable, so a
 * one-GPU machine exercises both layers. See {@link CollectiveWork} for each collective.
 *
 * <h2>Streams, not the host</h2>
 * A collective starts on the GPU when every rank's compute stream has reached the call (an event recorded there when
 * the rank issued it) and runs on the GPU's communication stream; {@link CommHandle#await()} and the blocking forms
 * make the rank's compute stream wait for its end. The host waits only for the other ranks to issue the collective.
 * So gradient buckets are reduced while backward goes on, without any host synchronisation.
 *
 * <h2>Failures</h2>
 * All or none, as {@link Communicator} describes: a rank that waits longer than the deadline for the others breaks the
 * group with a {@link dev.quadrant.device.comm.CommunicatorTimeoutException} naming the ranks that have not issued the
 * collective; a watchdog thread also breaks it when a collective issued by some ranks is not issued by the others
 * within the deadline, when queued work does not complete on a GPU within the deadline, or on an asynchronous NCCL
 * error. Breaking aborts every NCCL rank ({@code ncclCommAbort}) so nothing stays blocked on a GPU.
 *
 * <p>Thread-safety: as {@link Communicator}: one issuing thread per rank at a time; {@link #abort} and
 * {@link #close()} from any thread.
 */
public final class CudaCommunicator implements Communicator<CudaBuffer> {
    private final CudaCommGroup group;
    private final int rank;
    private final AtomicReference<Thread> issuer = new AtomicReference<>();
    private long seq;   // guarded by issuer

    private CudaCommunicator(CudaCommGroup group, int rank) {
        this.group = group;
        this.rank = rank;
    }

    /** A group over {@code ranks} (rank {@code i} computes on {@code ranks.get(i)}), NCCL where usable. */
    public static List<CudaCommunicator> create(List<CudaBackend> ranks, Duration deadline) {
        return create(ranks, deadline, Layers.AUTO, 0);
    }

    /**
     * A group over {@code ranks}.
     *
     * @param deadline      the longest a rank waits for the others, and a collective may run on a GPU
     * @param layers        whether NCCL may be used
     * @param reserveFloats scratch to allocate up front on every GPU (the largest collective expected, e.g. the
     *                      parameter count), so that training never allocates
     * @throws dev.quadrant.device.UserInputException if the ranks span several GPUs and NCCL is not usable
     */
    public static List<CudaCommunicator> create(List<CudaBackend> ranks, Duration deadline, Layers layers,
                                                long reserveFloats) {
        if (ranks.isEmpty()) {
            throw new IllegalArgumentException("a communicator group needs at least one rank");
        }
        Objects.requireNonNull(deadline, "deadline");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("communicator deadline must be positive, got " + deadline);
        }
        List<CudaCommGroup.Endpoint> ends = new ArrayList<>();
        for (CudaBackend b : ranks) {
            ends.add(new CudaCommGroup.Endpoint(b.device().index(), b.stream(), b.kernelTarget(), b::flushQueued));
        }
        CudaCommGroup g = CudaCommGroup.create(ends, deadline, layers, reserveFloats);
        List<CudaCommunicator> out = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            out.add(new CudaCommunicator(g, r));
        }
        return List.copyOf(out);
    }

    /**
     * This process's ranks of one group over every GPU of a job of several processes: one NCCL communicator
     * ({@code ncclCommInitRank}) over all of them, NCCL rank = global rank = {@code rankBase + i} for
     * {@code ranks.get(i)}, of {@code jobSize}. Every process calls this with the same {@code ncclId} (made by one
     * process with {@link dev.quadrant.bindings.cuda.Nccl#uniqueId()} and sent to the others) and the same number of
     * ranks; each rank needs a GPU of its own.
     *
     * @param link the processes' link: barriers wait for every process, and an {@link #abort} ends the job
     * @throws dev.quadrant.device.UserInputException if two ranks share a GPU or NCCL is not usable
     */
    public static List<CudaCommunicator> createInJob(List<CudaBackend> ranks, Duration deadline, long reserveFloats,
                                                     int rankBase, int jobSize, byte[] ncclId,
                                                     dev.quadrant.device.comm.ProcessLink link) {
        if (ranks.isEmpty()) {
            throw new IllegalArgumentException("a communicator group needs at least one rank");
        }
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(link, "link");
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("communicator deadline must be positive, got " + deadline);
        }
        if (rankBase < 0 || rankBase + ranks.size() > jobSize) {
            throw new IllegalArgumentException("ranks " + rankBase + ".." + (rankBase + ranks.size() - 1)
                    + " do not fit in a job of " + jobSize);
        }
        List<CudaCommGroup.Endpoint> ends = new ArrayList<>();
        for (CudaBackend b : ranks) {
            ends.add(new CudaCommGroup.Endpoint(b.device().index(), b.stream(), b.kernelTarget(), b::flushQueued));
        }
        CudaCommGroup g = CudaCommGroup.createInJob(ends, deadline, reserveFloats,
                new CudaCommGroup.Job(rankBase, jobSize, ncclId.clone(), link));
        List<CudaCommunicator> out = new ArrayList<>();
        for (int r = 0; r < ranks.size(); r++) {
            out.add(new CudaCommunicator(g, r));
        }
        return List.copyOf(out);
    }

    /** The global rank (the local one inside one process). */
    @Override
    public int rank() { return group.rankBase + rank; }

    /** The number of ranks over the job (of this group inside one process). */
    @Override
    public int size() { return group.jobSize; }

    /** The rank of this replica's GPU in the NCCL communicator, or -1 without NCCL. */
    public int ncclRank() {
        Island i = group.islandOf(rank);
        return i.nccl == null ? -1 : i.nccl.rank();
    }

    /** The number of ranks of the NCCL communicator, or 0 without NCCL. */
    public int ncclRanks() {
        Island i = group.islandOf(rank);
        return i.nccl == null ? 0 : i.nccl.ranks();
    }

    /** E.g. {@code "4 ranks (2 on cuda:0, 2 on cuda:1): device-local sums, then NCCL 2.29.3 ..."}. */
    public String describe() { return group.describe(); }

    /** True if collectives go through NCCL (one rank per GPU). */
    public boolean usesNccl() { return group.hasNccl(); }

    /** How long the NCCL warm-up took at creation (0 without NCCL). */
    public double warmupMillis() { return group.warmupMillis(); }

    @Override
    public void allReduce(CudaBuffer buf, int offset, int count, ReduceOp op) {
        blocking(OpKind.ALL_REDUCE, buf, offset, count, op, -1);
    }

    @Override
    public CommHandle allReduceAsync(CudaBuffer buf, int offset, int count, ReduceOp op) {
        enter();
        try {
            return new CudaCommHandle(group, rank, issue(OpKind.ALL_REDUCE, buf, offset, count, op, -1));
        } finally {
            issuer.set(null);
        }
    }

    @Override
    public void reduceScatter(CudaBuffer buf, int offset, int count, ReduceOp op) {
        blocking(OpKind.REDUCE_SCATTER, buf, offset, count, op, -1);
    }

    @Override
    public void allGather(CudaBuffer buf, int offset, int count) {
        blocking(OpKind.ALL_GATHER, buf, offset, count, null, -1);
    }

    @Override
    public void reduce(CudaBuffer buf, int offset, int count, ReduceOp op, int root) {
        blocking(OpKind.REDUCE, buf, offset, count, op, root);
    }

    @Override
    public void broadcast(CudaBuffer buf, int offset, int count, int root) {
        blocking(OpKind.BROADCAST, buf, offset, count, null, root);
    }

    /** Returns once every rank has called it (a host rendezvous; no GPU work). */
    @Override
    public void barrier() {
        blocking(OpKind.BARRIER, null, 0, 0, null, -1);
    }

    @Override
    public void abort(Throwable cause) {
        Objects.requireNonNull(cause, "cause");
        group.fail(GroupFailure.rankFailed(rank, cause));
        if (group.job != null) {
            group.job.link().fail(cause);   // the other processes' ranks wait in NCCL for this one
        }
    }

    /**
     * This rank is done. The group breaks for ranks still waiting; the last rank to close frees the streams, scratch,
     * events and NCCL ranks. Does not throw: a cleanup failure after a clean run is printed to standard error.
     */
    @Override
    public void close() {
        List<Throwable> errors = group.close(rank);
        if (!errors.isEmpty()) {
            System.err.println("quadrant: freeing the CUDA communicators failed: " + errors.get(0));
        }
    }

    private void blocking(OpKind kind, CudaBuffer buf, int offset, int count, ReduceOp op, int root) {
        enter();
        try {
            new CudaCommHandle(group, rank, issue(kind, buf, offset, count, op, root)).await();
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

    private PendingOp issue(OpKind kind, CudaBuffer buf, int offset, int count, ReduceOp op, int root) {
        long s = seq;
        String what = PendingOp.describe(kind, s, count, op, root);
        group.checkHealthy(rank, what);
        if (kind != OpKind.BARRIER) {
            try {
                check(what, kind, buf, offset, count, op, root);
            } catch (IllegalArgumentException e) {
                abort(e);
                throw e;
            }
        }
        seq++;
        return group.publish(rank, s, kind, buf, offset, count, op, root);
    }

    private void check(String what, OpKind kind, CudaBuffer buf, int offset, int count, ReduceOp op, int root) {
        String where = "rank " + rank + " " + what + ": ";
        if (buf == null) {
            throw new IllegalArgumentException(where + "buffer is null");
        }
        if (buf.device() != group.deviceOf(rank)) {
            throw new IllegalArgumentException(where + "buffer is on cuda:" + buf.device() + ", this rank computes on cuda:"
                    + group.deviceOf(rank));
        }
        if (offset < 0 || count < 0 || (long) offset + count > buf.floats()) {
            throw new IllegalArgumentException(where + "region [" + offset + ", " + ((long) offset + count)
                    + ") does not fit in a buffer of " + buf.floats() + " floats");
        }
        if (root != -1 && (root < 0 || root >= group.jobSize)) {
            throw new IllegalArgumentException(where + "root " + root + " is not a rank of a group of " + group.jobSize);
        }
        if (kind.reduces() && op == null) {
            throw new IllegalArgumentException(where + "reduce op is null");
        }
    }
}
