package dev.quadrant.device.cpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of {@code threads - 1} daemon workers ({@code quadrant-cpu-N}) plus the calling thread, for the
 * element-wise and reduction loops of one {@link CpuBackend}.
 *
 * <p>{@link #parallelFor} splits {@code [0, n)} into at most {@code threads} contiguous parts of at least
 * {@code grain} elements; the caller and the workers it wakes claim the parts in order, each taking the next one
 * left, so a worker the OS is slow to schedule (a busy machine) holds up no part it has not claimed: the caller runs
 * it. It returns when all parts are done. The split depends only on {@code n}, {@code grain} and the thread count,
 * and a part computes the same on any thread, so results (including the order of partial sums) are the same from run
 * to run. Work smaller than two grains runs inline with no hand-off.
 *
 * <p>Idle workers park ({@link LockSupport#park}). A worker that has just finished a part first looks for the next
 * job for {@link #WORKER_SPIN_NANOS} (100 us): a training step hands out a job every few hundred microseconds, and
 * waking a parked thread on a virtual machine's idle core took long enough that, on the 2-core host, the caller ran
 * most GEMM parts alone (W1 of {@code CpuThroughputBenchmark}: 10-12% more samples/s with the spin, A/B alternated).
 * The spin never fights another process for a core: a worker that finds itself descheduled (a gap between two looks
 * at its job, or a part that ran with more than 50 us off the CPU by its thread CPU time) stops every worker of the
 * pool spinning for 100 ms, and then they park as soon as a part ends. The caller, which is busy anyway, spins
 * briefly for its workers to finish before it parks too.
 *
 * <p>Thread-safety: one caller at a time (the backend's replica thread). A worker's writes happen-before
 * {@code parallelFor} returns; the caller's writes before the call happen-before the workers read. An exception in
 * any part is rethrown by {@code parallelFor} after every part has finished. {@link #close()} stops and joins the
 * workers; calling {@code parallelFor} afterwards throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (CpuPool pool = new CpuPool(2, "quadrant-cpu-")) {
 *     pool.parallelFor(n, 32_768, (part, from, to) -> { for (int i = from; i < to; i++) y[i] += x[i]; });
 * }
 * }</pre>
 */
public final class CpuPool implements AutoCloseable {

    /** One contiguous part of a parallel loop: elements {@code [from, to)}, numbered {@code part}. */
    @FunctionalInterface
    public interface Body {
        void run(int part, int from, int to);
    }

    /** How long the caller spins for its workers before it parks (nanoseconds). */
    private static final long CALLER_SPIN_NANOS = 20_000;
    /**
     * How long a worker that just finished a part looks for the next job before it parks (nanoseconds; system
     * property {@code quadrant.cpu.workerSpinMicros}, 0 never spins).
     */
    static final long WORKER_SPIN_NANOS = Math.max(0, Long.getLong("quadrant.cpu.workerSpinMicros", 100)) * 1000;
    /** A gap this long between two looks at the job, or this much of a part's time off the CPU: descheduled. */
    private static final long DESCHEDULED_NANOS = 50_000;
    /** How long this pool's workers park at once after one of them found its core shared. */
    private static final long BACK_OFF_NANOS = 100_000_000;
    /** The thread CPU clock, or null where the runtime has none (a jlink'd one without java.management). */
    private static final ThreadMXBean CPU_TIME = cpuClock();
    /** {@link System#nanoTime} before which workers do not spin (a worker found its core shared). */
    private volatile long spinAllowedFrom = System.nanoTime();   // nanoTime's origin is arbitrary: not 0

    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    private final int threads;
    private final Worker[] workers;
    private volatile boolean closed;

    /**
     * Starts {@code threads - 1} workers named {@code namePrefix + N}.
     *
     * @param threads the whole budget, caller included (at least 1)
     */
    public CpuPool(int threads, String namePrefix) {
        if (threads < 1) {
            throw new IllegalArgumentException("CPU thread budget must be >= 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(namePrefix + NEXT_ID.getAndIncrement());
        }
        for (Worker w : workers) {
            w.thread.start();
        }
    }

    /**
     * The JVM's thread CPU clock, or null when it has none: java.management missing from the runtime (then only the
     * spin's own gap test notices a shared core) or thread CPU time unsupported.
     */
    private static ThreadMXBean cpuClock() {
        try {
            ThreadMXBean b = ManagementFactory.getThreadMXBean();
            return b.isCurrentThreadCpuTimeSupported() && b.isThreadCpuTimeEnabled() ? b : null;
        } catch (LinkageError | UnsupportedOperationException e) {
            return null;
        }
    }

    /** The thread budget, caller included. */
    public int threads() {
        return threads;
    }

    /** How many parts {@link #parallelFor} makes of {@code n} elements with this {@code grain}. */
    public int parts(long n, int grain) {
        long byGrain = n / Math.max(1, grain);
        return (int) Math.max(1, Math.min(threads, byGrain));
    }

    /** Runs {@code body} over {@code [0, n)} in {@link #parts} parts; see the class comment. */
    public void parallelFor(int n, int grain, Body body) {
        if (closed) {
            throw new IllegalStateException("the CPU thread pool was closed (its backend was closed)");
        }
        int parts = parts(n, grain);
        if (parts == 1) {
            body.run(0, 0, n);
            return;
        }
        Job job = new Job(body, n, parts, Thread.currentThread());
        for (int w = 0; w < parts - 1; w++) {
            workers[w].submit(job);
        }
        job.work();
        job.awaitAll();
        Throwable t = job.failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        } else if (t instanceof Error e) {
            throw e;
        } else if (t != null) {
            throw new IllegalStateException("a CPU loop part failed", t);
        }
    }

    /** Stops and joins the workers; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w.thread);
        }
        boolean interrupted = false;
        for (Worker w : workers) {
            try {
                w.thread.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Names of the worker threads still alive (for tests and diagnostics). */
    public List<String> liveWorkerNames() {
        List<String> names = new ArrayList<>();
        for (Worker w : workers) {
            if (w.thread.isAlive()) {
                names.add(w.thread.getName());
            }
        }
        return names;
    }

    /**
     * One call of parallelFor: the body, the split, the next part to claim and how many parts are unfinished. The
     * caller and the workers it woke claim parts in index order until none is left, so a worker that the OS has not
     * scheduled yet (another process holds its core) delays nothing: the caller runs its parts. Which thread runs a
     * part never changes what the part computes.
     */
    private static final class Job {
        final Body body;
        final int n;
        final int parts;
        final Thread caller;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger unfinished;
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(Body body, int n, int parts, Thread caller) {
            this.body = body;
            this.n = n;
            this.parts = parts;
            this.caller = caller;
            this.unfinished = new AtomicInteger(parts);
        }

        /** Claims and runs parts until none is left to claim; a failure is kept for the caller to rethrow. */
        void work() {
            for (int p; (p = next.getAndIncrement()) < parts; ) {
                try {
                    int from = (int) ((long) n * p / parts);
                    int to = (int) ((long) n * (p + 1) / parts);
                    body.run(p, from, to);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (unfinished.decrementAndGet() == 0 && Thread.currentThread() != caller) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        }

        /** The caller's wait for parts that workers claimed and still run: a short spin, then parked. */
        void awaitAll() {
            long spinUntil = System.nanoTime() + CALLER_SPIN_NANOS;
            while (unfinished.get() != 0 && System.nanoTime() < spinUntil) {
                Thread.onSpinWait();
            }
            while (unfinished.get() != 0) {
                LockSupport.park(this);
            }
        }
    }

    private final class Worker implements Runnable {
        final Thread thread;
        /**
         * The job handed to this worker, or null; set by the caller, taken by the worker. A worker woken late may still
         * be looking at an old, finished job when the next one comes: taking the job atomically loses neither.
         */
        private final AtomicReference<Job> job = new AtomicReference<>();

        Worker(String name) {
            thread = new Thread(this, name);
            thread.setDaemon(true);
        }

        void submit(Job j) {
            job.set(j);    // publishes the job's fields
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            boolean spin = false;   // only right after a part: a worker woken from park has nothing queued yet
            while (!closed) {
                Job j = job.getAndSet(null);
                if (j == null && spin) {
                    j = spinForJob();
                }
                if (j == null) {
                    LockSupport.park(this);
                    spin = false;
                    continue;
                }
                long wall = System.nanoTime();
                long cpu = CPU_TIME != null ? CPU_TIME.getCurrentThreadCpuTime() : -1;
                j.work();
                long now = System.nanoTime();
                if (cpu >= 0 && (now - wall) - (CPU_TIME.getCurrentThreadCpuTime() - cpu) > DESCHEDULED_NANOS) {
                    spinAllowedFrom = now + BACK_OFF_NANOS;   // the part ran with its core shared
                }
                spin = WORKER_SPIN_NANOS > 0 && now - spinAllowedFrom >= 0;
            }
        }

        /**
         * Looks for the next job for up to {@link #WORKER_SPIN_NANOS}; gives up at once, and stops the pool's workers
         * spinning for {@link #BACK_OFF_NANOS}, if the thread was descheduled meanwhile (a gap between two looks).
         */
        private Job spinForJob() {
            long last = System.nanoTime();
            long until = last + WORKER_SPIN_NANOS;
            Job j;
            while ((j = job.getAndSet(null)) == null && !closed) {
                Thread.onSpinWait();
                long now = System.nanoTime();
                if (now - last > DESCHEDULED_NANOS) {
                    spinAllowedFrom = now + BACK_OFF_NANOS;
                    return null;
                }
                if (now - until >= 0) {
                    return null;
                }
                last = now;
            }
            return j;
        }
    }
}
