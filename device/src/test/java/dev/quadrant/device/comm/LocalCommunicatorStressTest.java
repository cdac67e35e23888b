package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * 50 random runs of n replicas issuing a random (but common) sequence of collectives, one rank throwing at a random
 * step, sometimes with an async collective of its own in flight. Every rank must stop within 5 s of the failure with
 * the original exception as the cause, no thread may be left, and the whole test is bounded, so a hang fails it.
 */
class LocalCommunicatorStressTest {
    private static final int RUNS = 50;
    private static final long STOP_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void aRandomRankFailingAtARandomStepStopsEveryRank() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int run = 0; run < RUNS; run++) {
                oneRun(run);
            }
        });
        Ranks.assertNoCommThreads();
    }

    private static void oneRun(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 2 + rnd.nextInt(7);
        int steps = 1 + rnd.nextInt(12);
        int failRank = rnd.nextInt(n);
        int failStep = rnd.nextInt(steps);
        boolean failWithAsyncInFlight = rnd.nextBoolean();
        int count = 1 + rnd.nextInt(5000);
        String run = "run " + seed + " (n=" + n + ", steps=" + steps + ", rank " + failRank + " fails at step "
                + failStep + (failWithAsyncInFlight ? " with an async collective in flight" : "") + ")";
        List<LocalCommunicator> comms = LocalCommunicator.create(n, Duration.ofSeconds(30));
        RuntimeException[] original = new RuntimeException[1];
        long[] failedAt = new long[1];
        long[] stoppedAt = new long[n];
        List<Throwable> thrown = Ranks.run(n, r -> {
            LocalCommunicator comm = comms.get(r);
            FloatBuffer buf = Ranks.direct(count);
            try {
                for (int step = 0; step < steps; step++) {
                    SplittableRandom common = new SplittableRandom(seed * 1000 + step);  // same op on every rank
                    int kind = step == failStep && failWithAsyncInFlight ? 5 : common.nextInt(8);
                    CommHandle pending = null;
                    if (kind == 1 || kind == 5) {
                        pending = comm.allReduceAsync(buf, 0, count / 2, ReduceOp.AVERAGE);
                    }
                    if (r == failRank && step == failStep) {
                        RuntimeException e = new IllegalStateException("replica " + r + " failed at step " + step);
                        original[0] = e;
                        failedAt[0] = System.nanoTime();
                        throw e;
                    }
                    switch (kind) {
                        case 0 -> comm.allReduce(buf, 0, count, ReduceOp.SUM);
                        case 2 -> comm.reduceScatter(buf, 0, count, ReduceOp.SUM);
                        case 3 -> comm.broadcast(buf, 0, count, step % n);
                        case 4 -> comm.barrier();
                        case 5 -> comm.allReduce(buf, count / 2, count - count / 2, ReduceOp.SUM);
                        case 6 -> new ParameterServerExchange<>(comm, 0).exchange(buf, 0, count, ReduceOp.SUM);
                        case 7 -> comm.allGather(buf, 0, count);
                        default -> { }
                    }
                    if (pending != null) {
                        pending.await();
                    }
                }
            } catch (CommunicatorException e) {
                stoppedAt[r] = System.nanoTime();
                throw e;
            } catch (RuntimeException e) {
                comm.abort(e);  // what a replica runner does with its own failure
                stoppedAt[r] = System.nanoTime();
                throw e;
            }
        });
        Ranks.closeAll(comms);
        for (int r = 0; r < n; r++) {
            Throwable t = thrown.get(r);
            if (r == failRank) {
                assertSame(original[0], t, run + ": rank " + r + " must end with its own exception");
                continue;
            }
            RankFailedException e = assertInstanceOf(RankFailedException.class, t, run + ": rank " + r);
            assertEquals(failRank, e.failedRank(), run + ": " + e.getMessage());
            assertSame(original[0], e.getCause(), run + ": rank " + r + " must carry the original exception");
            long late = stoppedAt[r] - failedAt[0];
            assertTrue(late < STOP_WITHIN_NANOS, run + ": rank " + r + " stopped " + late / 1e6 + " ms after the failure");
        }
    }
}
