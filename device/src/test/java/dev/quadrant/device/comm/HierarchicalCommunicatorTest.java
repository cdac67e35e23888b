package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

/**
 * The hierarchical communicator with P "processes" of K replicas each in one JVM: the process link is a
 * {@link LocalCommunicator} of P ranks (the real job uses MPI; {@code MpiTrainingTest} in tests/ runs that). Every
 * collective is checked against the float64 sum of all P*K contributions, bit-identical on every rank, for several
 * shapes of job and every root.
 */
class HierarchicalCommunicatorTest {
    static final Duration DEADLINE = Duration.ofSeconds(20);

    /** One process's link: rank {@code p} of a local communicator of processes. */
    record FakeLink(LocalCommunicator procs) implements ProcessLink {
        public int rank() { return procs.rank(); }
        public int size() { return procs.size(); }
        public void allReduce(FloatBuffer b, int o, int n) { procs.allReduce(b, o, n, ReduceOp.SUM); }
        public void reduce(FloatBuffer b, int o, int n, int root) { procs.reduce(b, o, n, ReduceOp.SUM, root); }
        public void broadcast(FloatBuffer b, int o, int n, int root) { procs.broadcast(b, o, n, root); }
        public void barrier() { procs.barrier(); }
        public void fail(Throwable cause) { procs.abort(cause); }
        public String describe() { return "fake link"; }
    }

    /** Every global rank of a job of {@code p} processes with {@code k} replicas, index = global rank. */
    static List<HierarchicalCommunicator> job(int p, int k) {
        List<HierarchicalCommunicator> all = new ArrayList<>();
        for (LocalCommunicator proc : LocalCommunicator.create(p, DEADLINE)) {
            all.addAll(HierarchicalCommunicator.create(k, new FakeLink(proc), DEADLINE));
        }
        return all;
    }

    interface RankBody { void run(HierarchicalCommunicator c, FloatBuffer buf) throws Exception; }

    /** Runs {@code body} on one thread per rank, each with its own buffer; returns the buffers. */
    static List<FloatBuffer> onEveryRank(List<HierarchicalCommunicator> comms, int floats, RankBody body)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(comms.size());
        List<FloatBuffer> bufs = new ArrayList<>();
        List<Future<?>> fs = new ArrayList<>();
        try {
            for (HierarchicalCommunicator c : comms) {
                FloatBuffer b = ByteBuffer.allocateDirect(4 * floats).order(ByteOrder.nativeOrder()).asFloatBuffer();
                bufs.add(b);
                fs.add(pool.submit(() -> {
                    body.run(c, b);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return bufs;
    }

    static float value(int rank, int i) { return (float) new Random(31L * rank + i).nextGaussian(); }

    @Test
    void everyCollectiveMatchesTheSumOverAllReplicasOfAllProcesses() throws Exception {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int[] pk : new int[][] {{2, 2}, {3, 1}, {2, 3}, {1, 3}}) {
                check(pk[0], pk[1]);
            }
        });
    }

    private void check(int p, int k) throws Exception {
        int n = p * k;
        int off = 5;
        int count = 101;
        String job = p + " processes x " + k + " replicas";
        List<HierarchicalCommunicator> comms = job(p, k);
        for (int g = 0; g < n; g++) {
            assertEquals(g, comms.get(g).rank(), job);
            assertEquals(n, comms.get(g).size(), job);
        }
        // all-reduce (blocking and async, in issue order) and average
        List<FloatBuffer> out = onEveryRank(comms, off + 2 * count, (c, b) -> {
            for (int i = 0; i < 2 * count; i++) {
                b.put(off + i, value(c.rank(), i));
            }
            CommHandle h = c.allReduceAsync(b, off, count, ReduceOp.SUM);
            c.allReduce(b, off + count, count, ReduceOp.AVERAGE);
            h.await();
        });
        for (int i = 0; i < 2 * count; i++) {
            double want = 0;
            for (int g = 0; g < n; g++) {
                want += value(g, i);
            }
            if (i >= count) {
                want /= n;
            }
            float first = out.get(0).get(off + i);
            assertEquals(want, first, 1e-5, job + " all-reduce element " + i);
            for (int g = 1; g < n; g++) {
                assertEquals(first, out.get(g).get(off + i), 0f, job + ": rank " + g + " differs at " + i);
            }
        }
        // reduce to and broadcast from every root
        for (int root = 0; root < n; root++) {
            int r0 = root;
            out = onEveryRank(comms, count, (c, b) -> {
                for (int i = 0; i < count; i++) {
                    b.put(i, value(c.rank(), i));
                }
                c.reduce(b, 0, count, ReduceOp.SUM, r0);
            });
            for (int g = 0; g < n; g++) {
                double want = 0;
                for (int h = 0; h < n; h++) {
                    want += g == root ? value(h, 7) : (h == g ? value(h, 7) : 0);
                }
                assertEquals(want, out.get(g).get(7), 1e-5, job + " reduce to " + root + ", rank " + g);
            }
            out = onEveryRank(comms, count, (c, b) -> {
                for (int i = 0; i < count; i++) {
                    b.put(i, value(c.rank(), i));
                }
                c.broadcast(b, 0, count, r0);
            });
            for (int g = 0; g < n; g++) {
                assertEquals(value(root, count - 1), out.get(g).get(count - 1), 0f, job + " broadcast from " + root);
            }
        }
        // reduce-scatter leaves the rest alone; all-gather fills every shard
        out = onEveryRank(comms, count, (c, b) -> {
            for (int i = 0; i < count; i++) {
                b.put(i, value(c.rank(), i));
            }
            c.reduceScatter(b, 0, count, ReduceOp.SUM);
            c.barrier();
        });
        for (int g = 0; g < n; g++) {
            int from = Shards.offset(count, n, g);
            int len = Shards.length(count, n, g);
            for (int i = 0; i < count; i++) {
                double want = 0;
                for (int h = 0; h < n; h++) {
                    want += value(h, i);
                }
                float got = out.get(g).get(i);
                if (i >= from && i < from + len) {
                    assertEquals(want, got, 1e-5, job + " reduce-scatter rank " + g + " element " + i);
                } else {
                    assertEquals(value(g, i), got, 0f, job + " reduce-scatter touched rank " + g + " element " + i);
                }
            }
        }
        out = onEveryRank(comms, count, (c, b) -> {
            for (int i = 0; i < count; i++) {
                b.put(i, 1000 + c.rank());
            }
            c.allGather(b, 0, count);
        });
        for (int g = 0; g < n; g++) {
            for (int i = 0; i < count; i++) {
                int owner = 0;
                while (i >= Shards.offset(count, n, owner) + Shards.length(count, n, owner)) {
                    owner++;
                }
                assertEquals(1000 + owner, out.get(g).get(i), 0f, job + " all-gather rank " + g + " element " + i);
            }
        }
        comms.forEach(HierarchicalCommunicator::close);
    }

    /** A replica failing in one process breaks the other processes' waits too (all or none), no hang. */
    @Test
    void aReplicaFailureInOneProcessStopsEveryProcess() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            List<HierarchicalCommunicator> comms = job(2, 2);
            RuntimeException boom = new RuntimeException("replica 3 ran out of memory");
            ExecutionFailure failures = new ExecutionFailure();
            try {
                onEveryRank(comms, 16, (c, b) -> {
                    if (c.rank() == 3) {
                        c.abort(boom);
                        return;
                    }
                    try {
                        c.allReduce(b, 0, 16, ReduceOp.SUM);
                        fail("rank " + c.rank() + " finished an all-reduce that rank 3 never joined");
                    } catch (CommunicatorException e) {
                        failures.add(c.rank(), e);
                    }
                });
            } finally {
                comms.forEach(HierarchicalCommunicator::close);
            }
            assertEquals(List.of(0, 1, 2), failures.ranks());
            for (CommunicatorException e : failures.errors) {
                assertTrue(causeChainHas(e, boom), "rank got " + e + " without the failing replica's cause");
            }
        });
    }

    @Test
    void badRootsAreRefused() {
        List<HierarchicalCommunicator> comms = job(1, 1);
        FloatBuffer b = FloatBuffer.allocate(4);
        assertThrows(IllegalArgumentException.class, () -> comms.get(0).broadcast(b, 0, 4, 1));
        comms.forEach(HierarchicalCommunicator::close);
    }

    static boolean causeChainHas(Throwable t, Throwable want) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c == want) {
                return true;
            }
        }
        return false;
    }

    static final class ExecutionFailure {
        final List<Integer> ranks = new ArrayList<>();
        final List<CommunicatorException> errors = new ArrayList<>();

        synchronized void add(int rank, CommunicatorException e) {
            ranks.add(rank);
            errors.add(e);
        }

        synchronized List<Integer> ranks() { return ranks.stream().sorted().toList(); }
    }
}
