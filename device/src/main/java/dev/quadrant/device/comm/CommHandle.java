package dev.quadrant.device.comm;

/**
 * A collective started by {@link Communicator#allReduceAsync}; {@link #await()} orders the caller after it.
 *
 * <pre>{@code
 * CommHandle h = comm.allReduceAsync(grads, bucket.offset(), bucket.size(), ReduceOp.AVERAGE);
 * ... backward of the next layers ...
 * h.await();               // the bucket now holds the average over all ranks
 * }</pre>
 *
 * <p>Thread-safety: any thread may call {@link #await()} and {@link #isDone()}, any number of times.
 * Memory: the completion of the operation happens-before {@code await()} returns normally.
 */
public interface CommHandle {
    /**
     * Waits until the operation has completed on this rank.
     *
     * <p>On a host communicator this blocks the calling thread. A device communicator (NCCL) instead makes the
     * rank's compute stream wait for the communication stream's event, without blocking the host; the
     * effect for the rank's later work is the same.
     *
     * @throws CommunicatorException if the operation failed (the communicator is then broken for every rank);
     *         the same exception on every call
     */
    void await();

    /** True once the operation has completed, normally or not. Never blocks. */
    boolean isDone();
}
