package dev.quadrant.device.comm;

import java.nio.FloatBuffer;

/**
 * The arithmetic and copies of the host collectives, over ranges of several ranks' buffers.
 *
 * <p>Parallelisation: each rank's thread calls these on its own disjoint range (its shard), so the work is split
 * evenly and no two threads write the same element. Within a range, elements are processed in blocks of
 * {@link #BLOCK}: the block of every rank is bulk-copied (memcpy) into a small float array that stays in L1/L2, added
 * there in a plain loop the JIT vectorises, and the result bulk-copied out. Sums run in rank order 0..n-1 in
 * float32, so every rank and every run get bit-identical results. Only absolute bulk methods are used: buffer
 * positions and limits are never touched, so ranks may share buffer objects.
 */
final class HostReduce {
    /** Elements per block: two scratch arrays of 16 KiB each fit in L1 with room to spare. */
    static final int BLOCK = 4096;
    /** Elements per bulk copy between breakage checks, so that an abort stops a large copy quickly. */
    private static final int COPY_CHUNK = 1 << 20;

    private HostReduce() {}

    /**
     * Reduces elements {@code [from, from + len)} (relative to each op's offset) over all ranks' ops with
     * {@code reduceOp} and writes the result into every rank's buffer ({@code target < 0}) or only rank
     * {@code target}'s. {@code acc} and {@code tmp} are scratch arrays of at least {@link #BLOCK} elements.
     */
    static void reduce(Op[] ops, int from, int len, ReduceOp reduceOp, int target, float[] acc, float[] tmp,
                       Rendezvous health, int rank, String doing) {
        int n = ops.length;
        float divisor = n;
        boolean average = reduceOp == ReduceOp.AVERAGE;
        for (int done = 0; done < len; done += BLOCK) {
            int m = Math.min(BLOCK, len - done);
            int at = from + done;
            ops[0].buf().get(ops[0].offset() + at, acc, 0, m);
            for (int k = 1; k < n; k++) {
                ops[k].buf().get(ops[k].offset() + at, tmp, 0, m);
                if (average && k == n - 1) {  // the division rides on the last pass: one pass less over the block
                    for (int j = 0; j < m; j++) {
                        acc[j] = (acc[j] + tmp[j]) / divisor;
                    }
                } else {
                    for (int j = 0; j < m; j++) {
                        acc[j] += tmp[j];
                    }
                }
            }
            if (average && n == 1) {
                for (int j = 0; j < m; j++) {
                    acc[j] /= divisor;
                }
            }
            if (target < 0) {
                for (Op op : ops) {
                    op.buf().put(op.offset() + at, acc, 0, m);
                }
            } else {
                ops[target].buf().put(ops[target].offset() + at, acc, 0, m);
            }
            health.checkHealthy(rank, doing);
        }
    }

    /** Copies {@code len} elements at {@code from} (relative to the offsets) from {@code src}'s buffer to {@code dst}'s. */
    static void copy(Op src, Op dst, int from, int len, Rendezvous health, int rank, String doing) {
        for (int done = 0; done < len; done += COPY_CHUNK) {
            int m = Math.min(COPY_CHUNK, len - done);
            dst.buf().put(dst.offset() + from + done, src.buf(), src.offset() + from + done, m);
            health.checkHealthy(rank, doing);
        }
    }
}
