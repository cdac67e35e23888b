package dev.quadrant.device.comm;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The helper thread ({@code comm-<rank>}, daemon) that runs one rank's async collectives in submission order. Tasks
 * must not throw. {@link #stop} runs what was queued before it, ends the thread and joins it.
 */
final class CommWorker {
    private static final Runnable STOP = () -> { };
    private final BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private boolean stopped;  // guarded by this

    CommWorker(String name) {
        thread = new Thread(this::loop, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues {@code task}; false if the worker was stopped (the task will never run). */
    synchronized boolean submit(Runnable task) {
        if (stopped) {
            return false;
        }
        queue.add(task);
        return true;
    }

    /**
     * Lets the queued tasks finish and waits up to {@code timeoutMillis} for the thread to end; then interrupts it
     * and waits again. Restores the caller's interrupt flag if it was interrupted meanwhile.
     */
    void stop(long timeoutMillis) {
        synchronized (this) {
            if (!stopped) {
                stopped = true;
                queue.add(STOP);
            }
        }
        boolean interrupted = false;
        for (int attempt = 0; attempt < 2 && thread.isAlive(); attempt++) {
            if (attempt == 1) {
                thread.interrupt();
            }
            try {
                thread.join(timeoutMillis);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        while (true) {
            Runnable task;
            try {
                task = queue.take();
            } catch (InterruptedException e) {
                // Only stop() interrupts, once the group is broken: what is queued fails fast; run it so that
                // every handle completes.
                for (Runnable rest = queue.poll(); rest != null; rest = queue.poll()) {
                    if (rest != STOP) {
                        rest.run();
                    }
                }
                return;
            }
            if (task == STOP) {
                return;
            }
            task.run();
        }
    }
}
