package dev.quadrant.device.comm;

/**
 * The collectives one rank of a replica group takes part in: every rank of the group calls the same operations in
 * the same order with the same count (each with its own buffer and offset), like MPI and NCCL.
 *
 * <pre>{@code
 * // on the thread of replica r, with comms = LocalCommunicator.create(n, Duration.ofMinutes(5))
 * Communicator<FloatBuffer> comm = comms.get(r);
 * comm.broadcast(params, 0, paramCount, 0);               // start from rank 0's parameters
 * ... backward into grads ...
 * comm.allReduce(grads, 0, paramCount, ReduceOp.AVERAGE); // every rank now holds the same average
 * }</pre>
 *
 * <h2>The buffer type</h2>
 * {@code B} is the memory the implementation moves: {@code java.nio.FloatBuffer} (direct, native byte order for
 * speed) for host memory ({@link LocalCommunicator}). The GPU communicator implements the same interface over its
 * device buffer type: {@code dev.quadrant.device.cuda.comm.CudaCommunicator implements Communicator<CudaBuffer>},
 * {@code CudaBuffer} being a device address plus its CUDA device. It adds a device-local layer for replicas that
 * share a GPU (NCCL refuses two ranks on one device); across GPUs the per-GPU partial goes through one NCCL call
 * ({@code ncclAllReduce}, {@code ncclReduce}, {@code ncclBroadcast} with {@code ncclSum}; {@code AVERAGE} divides
 * afterwards; {@link #reduceScatter} and {@link #allGather} go through an all-reduce, so their shards need not be
 * equal), enqueued on the GPU's communication stream after events recorded on the ranks' compute streams; the
 * blocking forms then make the compute stream wait on an event recorded after the NCCL call (no host
 * synchronisation), and {@link CommHandle#await()} does the same for the async form.
 * The deadline becomes a watchdog thread that polls {@code ncclCommGetAsyncError} and the events, and
 * {@link #abort} becomes {@code ncclCommAbort}. Offsets and counts are in elements of {@code B} in every
 * implementation. Code that must run on both (the parallel strategies) is generic in {@code B} or works on tensors
 * through a small adapter that unwraps a tensor's storage to its {@code B}.
 *
 * <h2>Shards</h2>
 * {@link #reduceScatter} and {@link #allGather} split {@code [offset, offset + count)} into {@link #size()}
 * contiguous shards, rank {@code i} owning shard {@code i} as given by {@link Shards} (the first
 * {@code count % size} shards are one element longer), in every implementation.
 *
 * <h2>Thread-safety</h2>
 * One object per rank. The collectives of one rank must be issued from one thread at a time (normally the
 * replica's thread); a second thread that issues one while another is in progress on the same rank gets an
 * {@link IllegalStateException}. {@link #rank()}, {@link #size()}, {@link #abort} and {@link #close()} may be
 * called from any thread at any time. Operations of one rank take effect in the order they were issued: a
 * blocking call first waits for the rank's earlier async calls.
 *
 * <h2>Memory</h2>
 * Actions of every rank before it calls a collective happen-before the actions of every rank after that collective
 * returns (as for {@link java.util.concurrent.CyclicBarrier}): other ranks read this rank's buffer during the call
 * and write into it, so a rank must not touch the region between calling and returning (for the async form,
 * between calling and {@link CommHandle#await()}). The implementation never changes a buffer's position, limit or
 * mark, and never touches elements outside {@code [offset, offset + count)}. The regions of different ranks must
 * not overlap.
 *
 * <h2>Failure model: all or none</h2>
 * A communicator is broken, for every rank and for good, by the first of: a rank calling {@link #abort}; a wait
 * that outlives the deadline ({@link CommunicatorTimeoutException}, naming the ranks that have not arrived); a
 * thread interrupted while it waits (its interrupt flag is restored and its rank aborts with the
 * {@link InterruptedException}); ranks that disagree on the operation, count, reduce op or root; a rank that
 * passes invalid arguments (it gets {@link IllegalArgumentException}, the others a {@link RankFailedException}
 * naming it); a rank calling {@link #close()}. Then every current and future wait on every rank throws a
 * {@link CommunicatorException} that says why ({@link RankFailedException} with the failing rank's own exception
 * as its cause, {@link CommunicatorTimeoutException}, or the base class). The contents of the regions passed to a
 * failed operation are unspecified. A broken communicator cannot be repaired: create a new group.
 *
 * @param <B> the buffer type the implementation moves (see above)
 */
public interface Communicator<B> extends AutoCloseable {

    /** This rank's number, {@code 0 <= rank < size}. */
    int rank();

    /** Number of ranks in the group. */
    int size();

    /**
     * Combines {@code [offset, offset + count)} of every rank's buffer with {@code op}; on return every rank's
     * region holds the same, bit-identical result.
     */
    void allReduce(B buf, int offset, int count, ReduceOp op);

    /**
     * Starts {@link #allReduce} and returns at once, so that gradient buckets can be reduced while backward goes
     * on. The region must not be touched until {@link CommHandle#await()} has returned. Argument errors are thrown
     * here, not from the handle.
     */
    CommHandle allReduceAsync(B buf, int offset, int count, ReduceOp op);

    /**
     * Combines the ranks' regions with {@code op}, but each rank receives only its own shard (see {@link Shards}):
     * on return this rank's shard holds the result for that shard, and the rest of its region is unchanged.
     */
    void reduceScatter(B buf, int offset, int count, ReduceOp op);

    /**
     * The inverse of {@link #reduceScatter}: on entry each rank's shard of its region holds its contribution; on
     * return every rank's whole region holds every rank's shard.
     */
    void allGather(B buf, int offset, int count);

    /**
     * Combines the ranks' regions with {@code op} into rank {@code root}'s region only (all-to-one); the other
     * ranks' regions are unchanged.
     */
    void reduce(B buf, int offset, int count, ReduceOp op, int root);

    /** Copies rank {@code root}'s region into every other rank's region (one-to-all). */
    void broadcast(B buf, int offset, int count, int root);

    /** Returns once every rank has called it. */
    void barrier();

    /**
     * Declares that this rank has failed with {@code cause}: breaks the communicator for every rank (see the failure
     * model above). Does nothing if it is already broken. Never blocks; any thread may call it.
     */
    void abort(Throwable cause);

    /**
     * Releases this rank's resources (the helper thread of the async form) and breaks the group for the other ranks
     * still waiting on this one. Call it once every rank is done; idempotent; does not throw.
     */
    @Override
    void close();
}
