package dev.quadrant.device.cuda.comm;

import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.device.comm.ReduceOp;

/**
 * One collective (number {@code seq}) as the ranks of a {@link CudaCommGroup} publish it: each rank's buffer, offset
 * and the event recorded on its compute stream when it issued the call. When the last rank has published, the device
 * work is queued ({@link CollectiveWork}) and {@link #done} holds one event per GPU, recorded after it. Guarded by the
 * group's lock.
 */
final class PendingOp {
    final long seq;
    final OpKind kind;
    final int count;
    final ReduceOp op;
    final int root;
    final CudaBuffer[] bufs;
    final int[] offsets;
    final CudaEvent[] ready;
    final boolean[] arrivedRank;
    final long firstArrival;
    int arrived;
    boolean enqueued;
    long enqueuedAt;
    CudaEvent[] done;   // per island, after enqueue (null for a barrier, and once retired)
    boolean retired;    // completed on every GPU and awaited by every rank; its events were recycled
    int awaited;

    PendingOp(long seq, OpKind kind, int count, ReduceOp op, int root, int size) {
        this.seq = seq;
        this.kind = kind;
        this.count = count;
        this.op = op;
        this.root = root;
        this.bufs = new CudaBuffer[size];
        this.offsets = new int[size];
        this.ready = new CudaEvent[size];
        this.arrivedRank = new boolean[size];
        this.firstArrival = System.nanoTime();
    }

    boolean matches(OpKind k, int c, ReduceOp o, int r) {
        return kind == k && count == c && op == o && root == r;
    }

    /** Byte address of rank {@code r}'s region plus {@code element} floats. */
    long x(int r, long element) {
        return bufs[r].at((long) offsets[r] + element);
    }

    static String describe(OpKind kind, long seq, int count, ReduceOp op, int root) {
        if (kind == OpKind.BARRIER) {
            return kind.label + " #" + seq;
        }
        return kind.label + " #" + seq + " (" + count + " floats" + (op == null ? "" : ", " + op)
                + (root < 0 ? "" : ", root " + root) + ")";
    }

    String describe() {
        return describe(kind, seq, count, op, root);
    }
}
