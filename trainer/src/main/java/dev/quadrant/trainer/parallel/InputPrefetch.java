package dev.quadrant.trainer.parallel;

import java.util.ArrayDeque;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.quadrant.device.DType;
import dev.quadrant.device.UploadQueue;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.data.Schema;

/**
 * One replica's loader: a thread of its own ({@code loader-<rank>}) that gathers the rows a replica will need next
 * ({@link #expect}) into host arrays and stages them for upload ({@link UploadQueue#stage}: into pinned memory on a
 * GPU) while the replica computes, so that when the replica gets to them ({@link #take}) they are usually ready and
 * the step only queues the copy. The replica is told what comes next by its
 * strategy (the next micro-batch of the step, or the first of the next step, see {@link StepRunner#prefetch}).
 *
 * <p>Requests are served in order. {@link #take} hands out the arrays of the request asked for (same {@link Samples}
 * and id array, by identity, same rows), dropping the stale requests ahead of it; with no such request it returns
 * null and leaves the pending ones for later loads, and the caller gathers itself. A wrong hint costs a gather,
 * never a wrong batch.
 * At most {@value #SETS} sets of arrays exist; a loader that has filled all of them waits for the replica to
 * {@link #release} one. A gather that fails (a dataset read error) fails the {@link #take} of its request, with the
 * cause.
 *
 * <p>Thread-safety: {@link #expect} may be called from any thread (the asynchronous strategies call it from the
 * driver when they queue a shard); {@link #take}, {@link #release} and {@link #close} from the replica's thread.
 * The gather happens before {@link #take} returns (a {@link Future}'s happens-before).
 */
final class InputPrefetch implements AutoCloseable {
    /** Sets of host arrays: one the replica uploads from, two being filled ahead. */
    static final int SETS = 3;

    /** The host arrays of one load: the input and target of {@code rows} samples (one array of each pair is null). */
    static final class HostSet {
        final float[] inF;
        final int[] inI;
        final float[] tgF;
        final int[] tgI;

        HostSet(Schema schema, int maxRows) {
            int in = schema.input().size();
            int tg = schema.target().size();
            boolean fIn = schema.input().dtype() == DType.FLOAT32;
            boolean fTg = schema.target().dtype() == DType.FLOAT32;
            inF = fIn ? new float[maxRows * in] : null;
            inI = fIn ? null : new int[maxRows * in];
            tgF = fTg ? new float[maxRows * tg] : null;
            tgI = fTg ? null : new int[maxRows * tg];
        }

        /** The rows staged for upload (pinned memory on a GPU), by {@link #stage}; null until then and once uploaded. */
        UploadQueue.Staged stagedIn;
        UploadQueue.Staged stagedTg;

        /** Gathers rows {@code [from, from + rows)} of {@code ids} from {@code source}. */
        void gather(Samples source, long[] ids, int from, int rows) {
            if (inF != null) {
                source.gather(0, ids, from, rows, inF);
            } else {
                source.gather(0, ids, from, rows, inI);
            }
            if (tgF != null) {
                source.gather(1, ids, from, rows, tgF);
            } else {
                source.gather(1, ids, from, rows, tgI);
            }
        }

        /** Stages the first {@code rows} gathered samples through {@code q} (on a GPU: a copy into pinned memory). */
        void stage(UploadQueue q, int rows, int inSize, int tgSize) {
            stagedIn = inF != null ? q.stage(inF, 0, rows * inSize) : q.stage(inI, 0, rows * inSize);
            stagedTg = tgF != null ? q.stage(tgF, 0, rows * tgSize) : q.stage(tgI, 0, rows * tgSize);
        }

        /** Gives back staged memory that will not be uploaded. */
        void unstage() {
            if (stagedIn != null) {
                stagedIn.release();
                stagedIn = null;
            }
            if (stagedTg != null) {
                stagedTg.release();
                stagedTg = null;
            }
        }
    }

    private record Request(Samples source, long[] ids, int from, int rows, Future<HostSet> filled) {
        boolean is(Samples s, long[] i, int f, int r) {
            return source == s && ids == i && from == f && rows == r;
        }
    }

    private final BlockingQueue<HostSet> free = new ArrayBlockingQueue<>(SETS);
    private final ArrayDeque<Request> pending = new ArrayDeque<>();
    private final ExecutorService loader;
    private final UploadQueue uploads;   // stages what is gathered (null: gather only)
    private final int inSize;
    private final int tgSize;
    private long waitNanos;      // the replica's time in take() waiting for its rows
    private long hits;
    private long misses;

    /** A loader that gathers only (the caller stages and uploads). */
    InputPrefetch(int rank, Schema schema, int maxRows) {
        this(rank, schema, maxRows, null);
    }

    /** A loader that gathers and stages through {@code uploads} (any thread may stage, see {@link UploadQueue}). */
    InputPrefetch(int rank, Schema schema, int maxRows, UploadQueue uploads) {
        this.uploads = uploads;
        this.inSize = schema.input().size();
        this.tgSize = schema.target().size();
        for (int i = 0; i < SETS; i++) {
            free.add(new HostSet(schema, maxRows));
        }
        this.loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "loader-" + rank);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts gathering rows {@code [from, from + rows)} of {@code ids} from {@code source} (not copied: immutable). */
    synchronized void expect(Samples source, long[] ids, int from, int rows) {
        if (rows <= 0 || loader.isShutdown()) {
            return;
        }
        Future<HostSet> f = loader.submit(() -> {
            HostSet s = free.take();
            try {
                s.gather(source, ids, from, rows);
                if (uploads != null) {
                    s.stage(uploads, rows, inSize, tgSize);   // into pinned memory, off the replica's thread
                }
            } catch (RuntimeException | Error e) {
                s.unstage();
                free.add(s);
                throw e;
            }
            return s;
        });
        pending.add(new Request(source, ids, from, rows, f));
    }

    /**
     * The gathered arrays of rows {@code [from, from + rows)} of {@code ids} from {@code source}, waiting for the loader
     * if it is still at them; null when nothing of the kind was expected (the caller gathers itself). Stale requests
     * ahead of it are dropped. Give the set back with {@link #release} once uploaded.
     */
    HostSet take(Samples source, long[] ids, int from, int rows) {
        while (true) {
            Request r;
            synchronized (this) {
                if (pending.stream().noneMatch(q -> q.is(source, ids, from, rows))) {
                    misses++;   // not announced (a run's first step): what is pending is for later loads
                    return null;
                }
                r = pending.poll();
            }
            long t0 = System.nanoTime();
            HostSet s = await(r);
            if (r.is(source, ids, from, rows)) {
                waitNanos += System.nanoTime() - t0;
                if (s == null) {
                    misses++;   // cancelled by close(): the caller gathers itself
                } else {
                    hits++;
                }
                return s;
            }
            if (s != null) {
                s.unstage();
                free.add(s);   // a stale hint, ahead of the request asked for: its rows were never taken
            }
        }
    }

    private static HostSet await(Request r) {
        try {
            return r.filled().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.filled().cancel(true);
            throw new IllegalStateException("interrupted while waiting for the loader", e);
        } catch (CancellationException e) {
            return null;
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException re) {
                throw re;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("the loader failed to gather " + r.rows() + " rows of "
                    + r.source().name(), c);
        }
    }

    /** Gives back a set that {@link #take} handed out (its staged rows uploaded or given back), to be filled again. */
    void release(HostSet s) {
        s.unstage();
        free.add(s);
    }

    /** Nanoseconds the replica waited in {@link #take} since the last call, and resets them. */
    long takeWaitNanos() {
        long w = waitNanos;
        waitNanos = 0;
        return w;
    }

    /** Loads served from a request so far. */
    long hits() { return hits; }

    /** Loads the replica gathered itself because nothing was expected. */
    long misses() { return misses; }

    /** Drops what is pending and stops the loader thread (a gather under way is interrupted or finishes). */
    @Override
    public void close() {
        synchronized (this) {
            for (Request r : pending) {
                r.filled().cancel(true);
            }
            pending.clear();
            loader.shutdownNow();
        }
        try {
            loader.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
