package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The all-or-none failure model of {@link LocalCommunicator}: deadlines that name the missing ranks, abort,
 * interruption, disagreeing ranks, bad arguments, close. Deadlines are short (200 ms) where the test expects them
 * to pass and long (60 s) where it must not, so that a test that passes cannot have been rescued by a deadline.
 */
class LocalCommunicatorFailureTest {
    private static final Duration SHORT = Duration.ofMillis(200);
    private static final Duration LONG = Duration.ofSeconds(60);
    /** The brief's bound for an abort to reach every waiter; the waits would otherwise last LONG. */
    private static final Duration ABORT_REACHES_ALL = Duration.ofSeconds(1);

    private final List<LocalCommunicator> opened = new ArrayList<>();

    private List<LocalCommunicator> group(int n, Duration deadline) {
        List<LocalCommunicator> comms = LocalCommunicator.create(n, deadline);
        opened.addAll(comms);
        return comms;
    }

    @AfterEach
    void closeAndCheckThreads() {
        Ranks.closeAll(opened);
    }

    @Test
    void deadlineNamesTheRanksThatHaveNotArrived() {
        List<LocalCommunicator> comms = group(4, SHORT);
        FloatBuffer[] bufs = {Ranks.direct(10), Ranks.direct(10)};
        Ranks.runOk(4, r -> comms.get(r).barrier());
        List<Throwable> thrown = Ranks.run(2, r -> comms.get(r).allReduce(bufs[r], 0, 10, ReduceOp.SUM));
        for (int r = 0; r < 2; r++) {
            CommunicatorTimeoutException e = assertInstanceOf(CommunicatorTimeoutException.class, thrown.get(r));
            assertEquals(List.of(2, 3), e.missingRanks(), e.getMessage());
            assertTrue(e.getMessage().contains("ranks [2, 3] missing"), e.getMessage());
            assertTrue(e.getMessage().contains("allReduce #1 (10 floats, SUM)"), e.getMessage());
            assertTrue(e.getMessage().contains("rank 2 last entered barrier #0"), e.getMessage());
            assertTrue(e.getMessage().contains("ranks [0, 1] were waiting"), e.getMessage());
        }
        // the late ranks find the communicator broken, with the same verdict
        CommunicatorTimeoutException late = assertThrows(CommunicatorTimeoutException.class,
                () -> comms.get(3).allReduce(Ranks.direct(10), 0, 10, ReduceOp.SUM));
        assertEquals(List.of(2, 3), late.missingRanks());
    }

    @Test
    void abortFromOneRankBreaksEveryWait() throws Exception {
        List<LocalCommunicator> comms = group(4, LONG);
        RuntimeException boom = new IllegalStateException("replica 3 ran out of data");
        Throwable[] thrown = new Throwable[3];
        List<Thread> waiters = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            int rank = r;
            FloatBuffer buf = Ranks.direct(1000);
            Thread t = new Thread(() -> {
                try {
                    switch (rank) {
                        case 0 -> comms.get(0).allReduce(buf, 0, 1000, ReduceOp.SUM);
                        case 1 -> comms.get(1).allReduceAsync(buf, 0, 1000, ReduceOp.SUM).await();
                        default -> comms.get(2).barrier();
                    }
                } catch (Throwable e) {
                    thrown[rank] = e;
                }
            }, "replica-" + r);
            waiters.add(t);
            t.start();
        }
        for (Thread t : waiters) {
            Ranks.awaitParked(t);
        }
        long start = System.nanoTime();
        comms.get(3).abort(boom);
        assertTimeoutPreemptively(ABORT_REACHES_ALL, () -> {
            for (Thread t : waiters) {
                t.join();
            }
        }, "an abort must end every wait well before the 60 s deadline");
        System.out.printf("abort reached all 3 waiters in %.1f ms%n", (System.nanoTime() - start) / 1e6);
        for (int r = 0; r < 3; r++) {
            RankFailedException e = assertInstanceOf(RankFailedException.class, thrown[r], "rank " + r);
            assertEquals(3, e.failedRank(), e.getMessage());
            assertSame(boom, e.getCause(), "rank " + r + " must carry rank 3's own exception");
            assertTrue(e.getMessage().contains("rank 3 failed: java.lang.IllegalStateException: replica 3 ran out"),
                    e.getMessage());
        }
        // future waits on every rank, the aborting one included, fail the same way at once
        for (LocalCommunicator c : comms) {
            RankFailedException e = assertThrows(RankFailedException.class, c::barrier);
            assertSame(boom, e.getCause());
        }
        comms.get(0).abort(new RuntimeException("second failure"));
        assertSame(boom, assertThrows(RankFailedException.class, comms.get(1)::barrier).getCause(),
                "the first failure wins");
    }

    @Test
    void interruptRestoresTheFlagAndAbortsTheRank() throws Exception {
        List<LocalCommunicator> comms = group(3, LONG);
        Throwable[] thrown = new Throwable[2];
        AtomicBoolean flagAfter = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                try {
                    comms.get(rank).allReduce(Ranks.direct(5), 0, 5, ReduceOp.AVERAGE);
                } catch (Throwable e) {
                    thrown[rank] = e;
                    if (rank == 0) {
                        flagAfter.set(Thread.currentThread().isInterrupted());
                    }
                }
            }, "replica-" + r);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            Ranks.awaitParked(t);
        }
        threads.get(0).interrupt();
        Ranks.join(threads, 30);
        for (int r = 0; r < 2; r++) {
            RankFailedException e = assertInstanceOf(RankFailedException.class, thrown[r], "rank " + r);
            assertEquals(0, e.failedRank(), e.getMessage());
            assertInstanceOf(InterruptedException.class, e.getCause());
        }
        assertTrue(flagAfter.get(), "the interrupted thread's flag must be restored");
    }

    @Test
    void ranksThatDisagreeFailTogetherWithoutTouchingData() {
        List<LocalCommunicator> comms = group(2, LONG);
        FloatBuffer[] bufs = {Ranks.direct(11), Ranks.direct(11)};
        for (FloatBuffer b : bufs) {
            for (int i = 0; i < 11; i++) {
                b.put(i, i);
            }
        }
        List<Throwable> thrown = Ranks.run(2, r -> comms.get(r).allReduce(bufs[r], 0, 10 + r, ReduceOp.SUM));
        for (int r = 0; r < 2; r++) {
            CommunicatorException e = assertInstanceOf(CommunicatorException.class, thrown.get(r));
            assertEquals(CommunicatorException.class, e.getClass(), "a disagreement is nobody's failure alone");
            assertTrue(e.getMessage().contains("ranks disagree"), e.getMessage());
            assertTrue(e.getMessage().contains("allReduce #0 (11 floats, SUM)"), e.getMessage());
            for (int i = 0; i < 11; i++) {
                assertEquals(i, bufs[r].get(i), "rank " + r + " element " + i + " changed");
            }
        }
    }

    @Test
    void aBarrierAgainstAnAllReduceIsADisagreement() {
        List<LocalCommunicator> comms = group(2, LONG);
        List<Throwable> thrown = Ranks.run(2, r -> {
            if (r == 0) {
                comms.get(0).barrier();
            } else {
                comms.get(1).allReduce(Ranks.direct(3), 0, 3, ReduceOp.SUM);
            }
        });
        for (Throwable t : thrown) {
            assertTrue(assertInstanceOf(CommunicatorException.class, t).getMessage().contains("barrier #0"), t.getMessage());
        }
    }

    @Test
    void badArgumentsOnOneRankFailThatRankAndBreakTheOthers() {
        List<LocalCommunicator> comms = group(2, LONG);
        List<Throwable> thrown = Ranks.run(2, r -> comms.get(r).allReduce(Ranks.direct(8), r == 1 ? 5 : 0, 4,
                ReduceOp.SUM));
        IllegalArgumentException bad = assertInstanceOf(IllegalArgumentException.class, thrown.get(1));
        assertTrue(bad.getMessage().contains("region [5, 9) does not fit in a buffer with limit 8"), bad.getMessage());
        RankFailedException e = assertInstanceOf(RankFailedException.class, thrown.get(0));
        assertEquals(1, e.failedRank());
        assertSame(bad, e.getCause());
    }

    @Test
    void twoThreadsIssuingOnOneRankIsRefused() throws Exception {
        List<LocalCommunicator> comms = group(2, LONG);
        FloatBuffer buf0 = Ranks.direct(4);
        Throwable[] thrown = new Throwable[1];
        Thread first = new Thread(() -> {
            try {
                comms.get(0).allReduce(buf0, 0, 4, ReduceOp.SUM);
            } catch (Throwable e) {
                thrown[0] = e;
            }
        }, "replica-0");
        first.start();
        Ranks.awaitParked(first);
        IllegalStateException e = assertThrows(IllegalStateException.class, comms.get(0)::barrier);
        assertTrue(e.getMessage().contains("already being issued by thread 'replica-0'"), e.getMessage());
        comms.get(1).allReduce(Ranks.direct(4), 0, 4, ReduceOp.SUM);  // the group is still healthy
        Ranks.join(List.of(first), 30);
        assertNull(thrown[0]);
    }

    @Test
    void closeBreaksWaitersAndEndsTheHelperThread() throws Exception {
        List<LocalCommunicator> comms = group(2, LONG);
        Throwable[] thrown = new Throwable[1];
        Thread waiter = new Thread(() -> {
            try {
                comms.get(0).allReduceAsync(Ranks.direct(4), 0, 4, ReduceOp.SUM).await();
            } catch (Throwable e) {
                thrown[0] = e;
            }
        }, "replica-0");
        waiter.start();
        Ranks.awaitParked(waiter);
        comms.get(1).close();
        Ranks.join(List.of(waiter), 30);
        CommunicatorException e = assertInstanceOf(CommunicatorException.class, thrown[0]);
        assertTrue(e.getMessage().contains("rank 1 closed its communicator"), e.getMessage());
        comms.get(0).close();
        comms.get(0).close();
        Ranks.assertNoCommThreads();
        assertThrows(CommunicatorException.class, () -> comms.get(0).allReduceAsync(Ranks.direct(4), 0, 4, ReduceOp.SUM));
        assertThrows(CommunicatorException.class, comms.get(1)::barrier);
    }

    @Test
    void createRejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> LocalCommunicator.create(0, LONG));
        assertThrows(IllegalArgumentException.class, () -> LocalCommunicator.create(2, Duration.ZERO));
    }
}
