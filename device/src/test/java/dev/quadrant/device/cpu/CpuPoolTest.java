package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.Test;

class CpuPoolTest {

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (CpuPool pool = new CpuPool(threads, "test-pool-")) {
                for (int n : new int[] {0, 1, 7, 100, 1000, 12_345}) {
                    for (int grain : new int[] {1, 3, 64, 100_000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        pool.parallelFor(n, grain, (p, from, to) -> {
                            for (int i = from; i < to; i++) {
                                hits.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            assertEquals(1, hits.get(i), "index " + i + " of n=" + n + " grain=" + grain
                                    + " threads=" + threads);
                        }
                    }
                }
            }
        }
    }

    @Test
    void partsFollowGrainAndBudgetAndAreContiguous() {
        try (CpuPool pool = new CpuPool(4, "test-pool-")) {
            assertEquals(1, pool.parts(10, 100));
            assertEquals(1, pool.parts(199, 100));
            assertEquals(2, pool.parts(200, 100));
            assertEquals(4, pool.parts(10_000, 100));
            int n = 1001;
            int[][] ranges = new int[pool.parts(n, 1)][];
            pool.parallelFor(n, 1, (p, from, to) -> ranges[p] = new int[] {from, to});
            assertEquals(0, ranges[0][0]);
            for (int p = 1; p < ranges.length; p++) {
                assertEquals(ranges[p - 1][1], ranges[p][0], "part " + p + " starts where part " + (p - 1) + " ends");
            }
            assertEquals(n, ranges[ranges.length - 1][1]);
        }
    }

    @Test
    void workAboveTheGrainUsesTheWorkersAndTheCaller() {
        try (CpuPool pool = new CpuPool(3, "test-pool-")) {
            Set<String> names = ConcurrentHashMap.newKeySet();
            // each part waits for three threads to be inside a part: only the caller and both workers together pass
            java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(3);
            pool.parallelFor(3, 1, (p, from, to) -> {
                names.add(Thread.currentThread().getName());
                inside.countDown();
                try {
                    assertTrue(inside.await(30, java.util.concurrent.TimeUnit.SECONDS), "3 threads in parts");
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(3, names.size(), "threads seen: " + names);
            assertTrue(names.contains(Thread.currentThread().getName()), "the caller runs a part: " + names);
        }
    }

    @Test
    void aWorkerThatIsLateHoldsUpNoPartItHasNotClaimed() throws Exception {
        try (CpuPool pool = new CpuPool(2, "test-pool-")) {
            Thread worker = workerThreads(pool).get(0);
            // A stand-in for the OS keeping the worker off its core: a first call (on another thread, outside the
            // one-caller contract on purpose) whose worker part blocks; its caller's part waits for that, so the
            // worker is surely held when the second call starts.
            java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread first = new Thread(() -> pool.parallelFor(2, 1, (p, from, to) -> {
                try {
                    if (Thread.currentThread() == worker) {
                        holding.countDown();
                        release.await();
                    } else {
                        assertTrue(holding.await(30, java.util.concurrent.TimeUnit.SECONDS), "the worker woke");
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
            first.start();
            assertTrue(holding.await(30, java.util.concurrent.TimeUnit.SECONDS), "the worker holds a part");
            Set<String> names = ConcurrentHashMap.newKeySet();
            String caller;
            try {   // a pool that handed part 1 to the held worker would wait here until the release
                caller = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                        () -> {
                            pool.parallelFor(2, 1, (p, from, to) -> names.add(Thread.currentThread().getName()));
                            return Thread.currentThread().getName();
                        });
            } finally {
                release.countDown();
                first.join();
            }
            assertEquals(Set.of(caller), names, "the caller ran both parts");
        }
    }

    @Test
    void workersAreDaemonsNamedAfterThePrefix() {
        try (CpuPool pool = new CpuPool(3, "quadrant-cpu-")) {
            List<Thread> workers = workerThreads(pool);
            assertEquals(2, workers.size());
            for (Thread t : workers) {
                assertTrue(t.isDaemon(), t.getName() + " is a daemon");
                assertTrue(t.getName().matches("quadrant-cpu-\\d+"), t.getName());
            }
        }
    }

    @Test
    void idleWorkersParkInsteadOfSpinning() throws InterruptedException {
        try (CpuPool pool = new CpuPool(3, "test-pool-")) {
            pool.parallelFor(1000, 1, (p, from, to) -> { });
            for (Thread t : workerThreads(pool)) {
                // A parked thread is WAITING; a spinning one would stay RUNNABLE. Poll (not a timing assertion):
                // after its part the worker looks for the next job for WORKER_SPIN_NANOS, then parks.
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (t.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
                    Thread.sleep(1);
                }
                assertEquals(Thread.State.WAITING, t.getState(), t.getName() + " after the loop");
            }
        }
    }

    @Test
    void closeStopsAndJoinsTheWorkers() {
        CpuPool pool = new CpuPool(4, "test-pool-");
        List<Thread> workers = workerThreads(pool);
        assertEquals(3, workers.size());
        pool.parallelFor(100, 1, (p, from, to) -> { });
        pool.close();
        for (Thread t : workers) {
            assertTrue(!t.isAlive(), t.getName() + " still alive after close");
        }
        assertEquals(List.of(), pool.liveWorkerNames());
        pool.close();   // idempotent
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pool.parallelFor(10, 1, (p, from, to) -> { }));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aFailingPartIsRethrownAfterAllPartsAndThePoolStaysUsable() {
        try (CpuPool pool = new CpuPool(3, "test-pool-")) {
            IllegalStateException boom = new IllegalStateException("boom in part 2");
            AtomicIntegerArray finished = new AtomicIntegerArray(3);
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () ->
                    pool.parallelFor(3, 1, (p, from, to) -> {
                        finished.set(p, 1);
                        if (p == 2) {
                            throw boom;
                        }
                    }));
            assertSame(boom, thrown);
            for (int p = 0; p < 3; p++) {
                assertEquals(1, finished.get(p), "part " + p + " ran");
            }
            AtomicIntegerArray hits = new AtomicIntegerArray(30);
            pool.parallelFor(30, 1, (p, from, to) -> {
                for (int i = from; i < to; i++) {
                    hits.incrementAndGet(i);
                }
            });
            for (int i = 0; i < 30; i++) {
                assertEquals(1, hits.get(i));
            }
        }
    }

    @Test
    void writesOfWorkersAreVisibleToTheCaller() {
        try (CpuPool pool = new CpuPool(2, "test-pool-")) {
            for (int round = 0; round < 2000; round++) {
                int[] plain = new int[2];   // not volatile: visibility comes from parallelFor's happens-before
                int r = round;
                pool.parallelFor(2, 1, (p, from, to) -> plain[p] = r + 1);
                if (plain[0] != round + 1 || plain[1] != round + 1) {
                    fail("round " + round + ": saw " + plain[0] + ", " + plain[1]);
                }
            }
        }
    }

    @Test
    void budgetBelowOneIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CpuPool(0, "x-"));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
    }

    /** The live worker threads of a pool, found by the names it reports. */
    static List<Thread> workerThreads(CpuPool pool) {
        List<String> names = pool.liveWorkerNames();
        List<Thread> threads = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (names.contains(t.getName())) {
                threads.add(t);
            }
        }
        assertEquals(names.size(), threads.size(), "worker threads found for " + names);
        return threads;
    }
}
