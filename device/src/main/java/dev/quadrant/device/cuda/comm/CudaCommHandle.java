package dev.quadrant.device.cuda.comm;

import dev.quadrant.device.comm.CommHandle;
import dev.quadrant.device.comm.CommunicatorException;

/**
 * The {@link CommHandle} of a {@link CudaCommunicator} collective: {@link #await()} waits until every rank has
 * issued the collective, then makes this rank's compute stream wait for its end on the GPU (the host does not wait
 * for the GPU). Thread-safe; {@link #await()} may be called any number of times and throws the same exception each
 * time once it has failed.
 */
final class CudaCommHandle implements CommHandle {
    private final CudaCommGroup group;
    private final int rank;
    private final PendingOp op;
    private boolean waited;                 // guarded by this
    private CommunicatorException failed;   // guarded by this

    CudaCommHandle(CudaCommGroup group, int rank, PendingOp op) {
        this.group = group;
        this.rank = rank;
        this.op = op;
    }

    @Override
    public synchronized void await() {
        if (failed != null) {
            throw failed;
        }
        if (waited) {
            return;
        }
        try {
            group.awaitQueued(rank, op);
            waited = true;
        } catch (CommunicatorException e) {
            failed = e;
            throw e;
        }
    }

    @Override
    public boolean isDone() {
        return group.isDone(rank, op);
    }

    /** The collective (for tests of its retirement). */
    PendingOp op() { return op; }

    @Override
    public String toString() {
        return "CommHandle[rank " + rank + ", " + op.describe() + "]";
    }
}
