package dev.quadrant.trainer.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainResult;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C (SIGINT) and SIGTERM during {@code quadrant train}: the first one asks the run to stop after the step in
 * progress ({@link #interruptRequested()}), where the trainer writes a checkpoint if {@code --checkpoint-dir} is set;
 * a second one aborts at once ({@link Runtime#halt}, exit status 130 or 143, no checkpoint). Before the first step
 * and after the last there is nothing to save, so the first signal aborts at once.
 *
 * <p>Thread-safety: the handlers run on the JVM's signal thread and only write volatile fields (or halt); the trainer
 * reads them on the driver thread between steps. The replica threads are never interrupted, so a step ends as it
 * would have, and a replica that fails still fails the step and ends the run with its error. Installed by
 * {@link #install} for one run; {@link #close} restores the handlers found, so the JVM's own (shut down with
 * status 128 + signal) apply again.
 *
 * <pre>{@code
 * try (StopOnSignal stop = StopOnSignal.install()) {
 *     Training.run(options, List.of(stop));
 * } catch (TrainingInterruptedException e) {
 *     return stop.exitStatus();   // 130 after Ctrl-C
 * }
 * }</pre>
 */
final class StopOnSignal implements TrainListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StopOnSignal.class);

    /** The signals handled and their exit statuses (128 + signal number, as a shell reports a killed process). */
    private static final Map<String, Integer> STATUS = Map.of("INT", 130, "TERM", 143);

    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
    private volatile String received;    // "SIGINT", "SIGTERM", or null
    private volatile int status;
    private volatile boolean training;

    private StopOnSignal() {}

    /** Handles SIGINT and SIGTERM from now until {@link #close}; a signal the JVM does not let us handle is left. */
    static StopOnSignal install() {
        StopOnSignal s = new StopOnSignal();
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                Signal signal = new Signal(name);
                SignalHandler old = Signal.handle(signal, s::handle);
                if (old == SignalHandler.SIG_IGN) {
                    Signal.handle(signal, old); // ignored by whoever started us (nohup, a background job): keep it so
                } else {
                    s.previous.put(signal, old);
                }
            } catch (IllegalArgumentException e) {
                log.debug("SIG{} cannot be handled here ({}); it ends the run as usual", name, e.getMessage());
            }
        }
        return s;
    }

    private void handle(Signal signal) {
        int code = STATUS.getOrDefault(signal.getName(), 128 + signal.getNumber());
        String name = "SIG" + signal.getName();
        if (received != null || !training) {
            String why = received != null ? "second " + name + " (after " + received + "): aborting now, without a "
                    + "checkpoint" : name + " before training started or after it ended: stopping now";
            writeRaw("\nquadrant: " + why + "\n");
            Runtime.getRuntime().halt(code);
        }
        status = code;
        received = name;
        // through System.err, which the progress bar routes above itself (it may wait for the bar's lock; halting does not)
        System.err.println("quadrant: " + name + ": stopping after the current step (press Ctrl-C again to abort at once)");
    }

    /** Writes to the standard error descriptor itself: no lock a stopped thread might hold (the handler may halt). */
    private static void writeRaw(String text) {
        try {
            @SuppressWarnings("resource") // the descriptor stays open
            FileOutputStream err = new FileOutputStream(FileDescriptor.err);
            err.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // standard error is gone: nothing left to tell
        }
    }

    /** The signal received ({@code SIGINT}, {@code SIGTERM}), or null. */
    String received() { return received; }

    /** The exit status for the signal received: 130 (SIGINT), 143 (SIGTERM); 0 if none. */
    int exitStatus() { return status; }

    @Override
    public void onStart(long totalSteps, int epochs, long stepsPerEpoch) {
        training = true;
    }

    @Override
    public boolean interruptRequested() { return received != null; }

    @Override
    public void onEnd(TrainResult result) {
        training = false;
    }

    @Override
    public void close() {
        training = false;
        previous.forEach(Signal::handle);
        previous.clear();
    }
}
