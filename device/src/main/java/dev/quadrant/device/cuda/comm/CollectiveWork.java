package dev.quadrant.device.cuda.comm;

import dev.quadrant.bindings.cuda.Cuda;
import dev.quadrant.bindings.cuda.CudaEvent;
import dev.quadrant.bindings.cuda.Nccl;
import dev.quadrant.device.comm.ReduceOp;
import dev.quadrant.device.comm.Shards;

/**
 * The device work of one collective, queued by the last rank to publish it, on each GPU's communication stream:
 * <ol>
 *   <li>the stream waits for every local rank's "issued" event (its compute stream reached the call);</li>
 *   <li>device-local layer: the local ranks' regions are summed in rank order into the GPU's scratch
 *       ({@code add_f32}: {@code s = x0 + x1, s = s + x2, ...}), or copied there;</li>
 *   <li>NCCL layer, when the group has one: one NCCL rank per GPU, all calls in one {@code ncclGroupStart/End}
 *       because one thread issues them for every GPU;</li>
 *   <li>{@code AVERAGE} divides by the number of ranks ({@code div_f32}), and the result is copied back into the
 *       local ranks' regions; then an event per GPU marks the end.</li>
 * </ol>
 * A GPU with a single rank skips the scratch where it can (NCCL then works in place on the rank's region). The sum
 * runs in rank order within a GPU, and in NCCL's order across GPUs; every rank receives the same bits (copies of one
 * result). {@code allGather} sums each rank's shard into a zeroed buffer, which is exact except that a {@code -0.0}
 * arrives as {@code +0.0}. Across processes ({@link CudaCommGroup.Job}) the NCCL communicator spans every GPU of
 * the job, roots and shards are global ranks, an average divides by the job's rank count, and a barrier also waits
 * for the other processes ({@code ProcessLink.barrier}). Stateless; called under the group's lock.
 */
final class CollectiveWork {
    private CollectiveWork() {}

    static void run(CudaCommGroup g, PendingOp p) {
        if (p.kind == OpKind.BARRIER) {
            if (g.job != null) {
                g.job.link().barrier();   // every local rank is here; now every process
            }
            return;
        }
        for (Island i : g.islands) {
            i.enter();
            for (int r : i.ranks) {
                i.stream.waitFor(p.ready[r]);
            }
        }
        switch (p.kind) {
            case ALL_REDUCE -> allReduce(g, p);
            case REDUCE -> reduce(g, p);
            case BROADCAST -> broadcast(g, p);
            case REDUCE_SCATTER -> reduceScatter(g, p);
            case ALL_GATHER -> allGather(g, p);
            default -> throw new IllegalStateException(p.kind.toString());
        }
        p.done = new CudaEvent[g.islands.length];
        for (Island i : g.islands) {
            i.enter();
            CudaEvent e = i.event();
            e.record(i.stream);
            p.done[i.index] = e;
        }
    }

    private static void copy(Island i, long dst, long src, long floats) {
        if (dst != src) {
            Cuda.memcpyAsync(dst, src, 4 * floats, i.stream);
        }
    }

    /** {@code dst = x(r0) + x(r1) + ...} over the island's ranks, left to right (a copy for one rank). */
    private static void sumInto(Island i, PendingOp p, long dst) {
        int[] rs = i.ranks;
        if (rs.length == 1) {
            copy(i, dst, p.x(rs[0], 0), p.count);
            return;
        }
        i.kernels.add(i.stream, p.x(rs[0], 0), p.x(rs[1], 0), dst, p.count);
        for (int k = 2; k < rs.length; k++) {
            i.kernels.add(i.stream, dst, p.x(rs[k], 0), dst, p.count);
        }
    }

    private static void average(CudaCommGroup g, Island i, PendingOp p, long at, long floats) {
        if (p.op == ReduceOp.AVERAGE && g.jobSize > 1) {
            i.kernels.divide(i.stream, at, floats, g.jobSize);
        }
    }

    private static void ncclAllReduce(CudaCommGroup g, long[] buf, long count) {
        if (!g.hasNccl()) {
            return;
        }
        Nccl.groupStart();
        try {
            for (Island i : g.islands) {
                i.nccl.allReduce(buf[i.index], buf[i.index], count, Nccl.DataType.FLOAT32, Nccl.Op.SUM, i.stream);
            }
        } finally {
            Nccl.groupEnd();
        }
    }

    private static void allReduce(CudaCommGroup g, PendingOp p) {
        long[] at = new long[g.islands.length];
        for (Island i : g.islands) {
            i.enter();
            if (i.ranks.length == 1) {
                at[i.index] = p.x(i.ranks[0], 0);   // in place on the only rank's region
            } else {
                at[i.index] = i.scratch(p.count);
                sumInto(i, p, at[i.index]);
            }
        }
        ncclAllReduce(g, at, p.count);
        for (Island i : g.islands) {
            i.enter();
            average(g, i, p, at[i.index], p.count);
            for (int r : i.ranks) {
                copy(i, p.x(r, 0), at[i.index], p.count);
            }
        }
    }

    private static void reduce(CudaCommGroup g, PendingOp p) {
        int localRoot = g.localRank(p.root);
        Island rootIsland = localRoot < 0 ? null : g.islandOf(localRoot);
        for (Island i : g.islands) {
            i.enter();
            sumInto(i, p, i.scratch(p.count));
        }
        if (g.hasNccl()) {
            Nccl.groupStart();
            try {
                for (Island i : g.islands) {
                    long s = i.scratch(p.count);
                    i.nccl.reduce(s, s, p.count, Nccl.DataType.FLOAT32, Nccl.Op.SUM, g.ncclRoot(p.root), i.stream);
                }
            } finally {
                Nccl.groupEnd();
            }
        }
        if (rootIsland == null) {
            return;   // the root is in another process
        }
        rootIsland.enter();
        long s = rootIsland.scratch(p.count);
        average(g, rootIsland, p, s, p.count);
        copy(rootIsland, p.x(localRoot, 0), s, p.count);
    }

    private static void broadcast(CudaCommGroup g, PendingOp p) {
        int localRoot = g.localRank(p.root);
        Island rootIsland = localRoot < 0 ? null : g.islandOf(localRoot);
        long[] at = new long[g.islands.length];
        for (Island i : g.islands) {
            i.enter();
            at[i.index] = i == rootIsland ? p.x(localRoot, 0)
                    : i.ranks.length == 1 ? p.x(i.ranks[0], 0) : i.scratch(p.count);
        }
        if (g.hasNccl()) {
            Nccl.groupStart();
            try {
                for (Island i : g.islands) {
                    i.nccl.broadcast(at[i.index], at[i.index], p.count, Nccl.DataType.FLOAT32, g.ncclRoot(p.root),
                            i.stream);
                }
            } finally {
                Nccl.groupEnd();
            }
        }
        for (Island i : g.islands) {
            i.enter();
            for (int r : i.ranks) {
                copy(i, p.x(r, 0), at[i.index], p.count);
            }
        }
    }

    private static void reduceScatter(CudaCommGroup g, PendingOp p) {
        long[] at = new long[g.islands.length];
        for (Island i : g.islands) {
            i.enter();
            at[i.index] = i.scratch(p.count);
            sumInto(i, p, at[i.index]);
        }
        ncclAllReduce(g, at, p.count);
        for (Island i : g.islands) {
            i.enter();
            average(g, i, p, at[i.index], p.count);
            for (int r : i.ranks) {
                int from = Shards.offset(p.count, g.jobSize, g.rankBase + r);
                int len = Shards.length(p.count, g.jobSize, g.rankBase + r);
                copy(i, p.x(r, from), at[i.index] + 4L * from, len);
            }
        }
    }

    private static void allGather(CudaCommGroup g, PendingOp p) {
        long[] at = new long[g.islands.length];
        for (Island i : g.islands) {
            i.enter();
            at[i.index] = i.scratch(p.count);
            Cuda.memsetAsync(at[i.index], 0, 4L * p.count, i.stream);
            for (int r : i.ranks) {
                int from = Shards.offset(p.count, g.jobSize, g.rankBase + r);
                copy(i, at[i.index] + 4L * from, p.x(r, from), Shards.length(p.count, g.jobSize, g.rankBase + r));
            }
        }
        ncclAllReduce(g, at, p.count);
        for (Island i : g.islands) {
            i.enter();
            for (int r : i.ranks) {
                copy(i, p.x(r, 0), at[i.index], p.count);
            }
        }
    }
}
