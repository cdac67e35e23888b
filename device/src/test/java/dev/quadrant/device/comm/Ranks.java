package dev.quadrant.device.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Test support: runs one body per rank on its own thread ({@code replica-<r>}) and collects what each threw. */
final class Ranks {
    /** The body of one rank. */
    interface Body {
        void run(int rank) throws Exception;
    }

    private Ranks() {}

    /** Runs {@code body} for ranks {@code 0..n-1} concurrently; element r is what rank r threw, or null. */
    static List<Throwable> run(int n, Body body) {
        Throwable[] thrown = new Throwable[n];
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            int rank = r;
            Thread t = new Thread(() -> {
                try {
                    body.run(rank);
                } catch (Throwable e) {
                    thrown[rank] = e;
                }
            }, "replica-" + r);
            threads.add(t);
            t.start();
        }
        join(threads, 120);
        return java.util.Arrays.asList(thrown);
    }

    /** Like {@link #run} but fails the test if any rank threw. */
    static void runOk(int n, Body body) {
        List<Throwable> thrown = run(n, body);
        for (int r = 0; r < n; r++) {
            if (thrown.get(r) != null) {
                throw new AssertionError("rank " + r + " threw", thrown.get(r));
            }
        }
    }

    static void join(List<Thread> threads, long seconds) {
        long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(limit - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while joining " + t.getName());
            }
            if (t.isAlive()) {
                fail(t.getName() + " still running after " + seconds + " s: a collective hangs");
            }
        }
    }

    static FloatBuffer direct(int floats) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(floats, 4)).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Closes every rank and checks that no {@code comm-} helper thread is left alive. */
    static void closeAll(List<? extends Communicator<?>> comms) {
        comms.forEach(Communicator::close);
        assertNoCommThreads();
    }

    static void assertNoCommThreads() {
        List<String> left = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("comm-") && t.isAlive()) {
                left.add(t.getName() + " (" + t.getState() + ")");
            }
        }
        assertEquals(List.of(), left, "comm- threads still running after close()");
    }

    /** Waits (bounded) until {@code t} is parked, i.e. blocked in a collective's wait. */
    static void awaitParked(Thread t) throws InterruptedException {
        long limit = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
            if (System.nanoTime() > limit) {
                fail(t.getName() + " never started waiting; state " + t.getState());
            }
            Thread.sleep(1);
        }
    }
}
