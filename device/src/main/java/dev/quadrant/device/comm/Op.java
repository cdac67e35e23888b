package dev.quadrant.device.comm;

import java.nio.FloatBuffer;

/**
 * One collective as one rank issued it: what the other ranks of a {@link LocalGroup} read from this rank's slot.
 * Immutable, so a slot is always read whole.
 */
record Op(Kind kind, long seq, FloatBuffer buf, int offset, int count, ReduceOp reduceOp, int root) {

    enum Kind {
        ALL_REDUCE("allReduce"), REDUCE_SCATTER("reduceScatter"), ALL_GATHER("allGather"), REDUCE("reduce"),
        BROADCAST("broadcast"), BARRIER("barrier");

        final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    static Op barrier(long seq) {
        return new Op(Kind.BARRIER, seq, null, 0, 0, null, -1);
    }

    /** True if another rank's op is the same collective (buffers and offsets may differ). */
    boolean matches(Op o) {
        return kind == o.kind && seq == o.seq && count == o.count && reduceOp == o.reduceOp && root == o.root;
    }

    /** E.g. {@code allReduce #5 (1000 floats, SUM)}: names the op in stall reports and errors. */
    String describe() {
        if (kind == Kind.BARRIER) {
            return kind.label + " #" + seq;
        }
        return kind.label + " #" + seq + " (" + count + " floats" + (reduceOp == null ? "" : ", " + reduceOp)
                + (root < 0 ? "" : ", root " + root) + ")";
    }
}
