package dev.quadrant.trainer.parallel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * One named thread per replica ({@code replica-0}, {@code replica-1}, ...) and the all-or-none way to run work on
 * them.
 *
 * <p>{@link #runAll} runs a task on every replica's thread and waits for all. When one replica throws, the
 * {@code onFailure} action runs at once (it aborts the communicator, so every other replica's waits break), the
 * others are given {@code stopDeadline} to finish, and a {@link ReplicaFailedException} naming the first failing
 * replica and carrying its exception is thrown to the caller. After a failure the group is closed: no thread is
 * left running. {@link #submit} queues work on one replica without waiting (for the asynchronous strategies);
 * {@link #drain} waits for all queued work and reports a failure the same way.
 *
 * <p>Thread-safety: the methods are called from one driver thread.
 */
public final class ReplicaThreads implements AutoCloseable {

    /** Work for the replica of a given rank. */
    @FunctionalInterface
    public interface RankTask {
        void run(int rank) throws Exception;
    }

    private final List<ExecutorService> threads = new ArrayList<>();
    private final List<List<Future<?>>> pending = new ArrayList<>();
    private final Consumer<Throwable> onFailure;
    private final Duration stopDeadline;
    private volatile boolean closed;

    /**
     * @param n            number of replicas
     * @param onFailure    called once, on the driver thread, with the first failure (e.g. {@code comm::abort})
     * @param stopDeadline how long the other replicas get to stop after a failure
     */
    public ReplicaThreads(int n, Consumer<Throwable> onFailure, Duration stopDeadline) {
        this.onFailure = onFailure;
        this.stopDeadline = stopDeadline;
        for (int r = 0; r < n; r++) {
            String name = "replica-" + r;
            threads.add(Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, name);
                t.setDaemon(true);
                return t;
            }));
            pending.add(new ArrayList<>());
        }
    }

    public int size() { return threads.size(); }

    /** Runs {@code task} on every replica's thread and waits for all of them (all or none, see the class comment). */
    public void runAll(RankTask task) {
        for (int r = 0; r < threads.size(); r++) {
            submit(r, task);
        }
        drain();
    }

    /** Queues {@code task} on replica {@code rank}'s thread and returns at once. */
    public void submit(int rank, RankTask task) {
        if (closed) {
            throw new IllegalStateException("the replica threads were closed after a failure or by close()");
        }
        pending.get(rank).add(threads.get(rank).submit(() -> {
            task.run(rank);
            return null;
        }));
    }

    /** Number of tasks queued on {@code rank} that have not finished (finished ones are forgotten). */
    public int queued(int rank) {
        List<Future<?>> p = pending.get(rank);
        p.removeIf(f -> f.isDone() && !failed(f));
        return p.size();
    }

    /** Waits until replica {@code rank} has at most {@code max} queued tasks; reports a failure like {@link #drain}. */
    public void awaitQueueAtMost(int rank, int max) {
        List<Future<?>> p = pending.get(rank);
        while (true) {
            checkFailures();
            p.removeIf(f -> f.isDone() && !failed(f));
            if (p.size() <= max) {
                return;
            }
            try {
                p.get(0).get(50, TimeUnit.MILLISECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // a failure is picked up by checkFailures on the next turn
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(-1, e);
            }
        }
    }

    /** Waits for every queued task on every replica; throws {@link ReplicaFailedException} after a failure. */
    public void drain() {
        for (int r = 0; r < threads.size(); r++) {
            for (Future<?> f : pending.get(r)) {
                while (true) {
                    checkFailures();
                    try {
                        f.get(50, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        // keep watching the other replicas for failures
                    } catch (ExecutionException e) {
                        break; // reported by checkFailures
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        fail(-1, e);
                    }
                }
            }
        }
        checkFailures();
        for (List<Future<?>> p : pending) {
            p.clear();
        }
    }

    private static boolean failed(Future<?> f) {
        return f.isDone() && !f.isCancelled() && cause(f) != null;
    }

    private static Throwable cause(Future<?> f) {
        try {
            f.get(0, TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e;
        } catch (TimeoutException | java.util.concurrent.CancellationException e) {
            return null;
        }
    }

    /** If any task failed: abort everything and throw, preferring a root cause over a communicator's echo of it. */
    private void checkFailures() {
        int firstRank = -1;
        Throwable first = null;
        for (int r = 0; r < pending.size(); r++) {
            for (Future<?> f : pending.get(r)) {
                Throwable c = failed(f) ? cause(f) : null;
                if (c != null && (first == null || isEcho(first) && !isEcho(c))) {
                    first = c;
                    firstRank = r;
                }
            }
        }
        if (first != null) {
            fail(firstRank, first);
        }
    }

    /** A communicator exception that only reports another replica's failure. */
    private static boolean isEcho(Throwable t) {
        return t instanceof dev.quadrant.device.comm.CommunicatorException && t.getCause() != null;
    }

    private void fail(int rank, Throwable cause) {
        onFailure.accept(cause);
        shutdown();
        // a replica that failed only because another one did carries that one's exception as its cause
        int r = rank;
        Throwable root = cause;
        if (cause instanceof dev.quadrant.device.comm.RankFailedException rf && rf.getCause() != null) {
            root = rf.getCause();
            r = rf.failedRank();
        }
        if (root instanceof RuntimeException re && root instanceof dev.quadrant.device.UserInputException) {
            throw re;
        }
        if (root instanceof dev.quadrant.device.comm.CommunicatorTimeoutException te && !te.missingRanks().isEmpty()) {
            // the replica that reported the timeout did nothing wrong: name the ones that did not arrive
            throw new ReplicaFailedException(te.missingRanks().get(0), "(replicas " + te.missingRanks()
                    + " did not arrive at a collective within the deadline)", root);
        }
        throw new ReplicaFailedException(r, "", root);
    }

    private void shutdown() {
        closed = true;
        for (ExecutorService t : threads) {
            t.shutdownNow();
        }
        long until = System.nanoTime() + stopDeadline.toNanos();
        for (ExecutorService t : threads) {
            try {
                t.awaitTermination(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Stops the threads (after waiting for queued work to finish or fail). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ExecutorService t : threads) {
            t.shutdown();
        }
        shutdown();
    }
}
