package dev.quadrant.trainer.train;

import java.io.IOException;
import java.nio.file.Path;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.MetricsRepair;
import dev.quadrant.trainer.io.MetricsWriter;

/**
 * Writes {@code --metrics FILE}: one JSON object per epoch, flushed as it is written; appended to for a resumed run.
 * The file is opened when training starts ({@link #onStart}), so a run refused while its options, data and model are
 * checked leaves no file behind. {@link Training#run} adds one for {@code TrainOptions.metrics}; a library user may
 * add one to any listener list.
 *
 * <pre>{@code
 * try (MetricsFileListener m = new MetricsFileListener(Path.of("runs/m.jsonl"), false)) {
 *     trainer.fit(data, runner, List.of(m));
 * }
 * }</pre>
 */
public final class MetricsFileListener implements TrainListener, AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MetricsFileListener.class);

    private final Path file;
    private final boolean append;
    private final long resumeStep; // -1: append without repair
    private MetricsWriter writer; // null until onStart

    /** Writes {@code file}, appending to it when {@code append} (a resumed run), else replacing it. */
    public MetricsFileListener(Path file, boolean append) {
        this(file, append, -1);
    }

    private MetricsFileListener(Path file, boolean append, long resumeStep) {
        this.file = file;
        this.append = append;
        this.resumeStep = resumeStep;
    }

    /**
     * Appends to {@code file} for a run resumed from a checkpoint at {@code step}: when training starts, the file is
     * first cut back to its last complete record at or before that step ({@link MetricsRepair}), and the cut is
     * logged.
     */
    public static MetricsFileListener resumedAt(Path file, long step) {
        return new MetricsFileListener(file, true, step);
    }

    @Override
    public void onStart(long totalSteps, int epochs, long stepsPerEpoch) {
        if (writer != null) {
            throw new IllegalStateException("--metrics file " + file + " is already open: one run per listener");
        }
        try {
            if (resumeStep >= 0) {
                MetricsRepair.Result r = MetricsRepair.keepUpTo(file, resumeStep);
                if (r.changed()) {
                    log.warn("--metrics {}: resuming at step {}: {}", file, resumeStep, r);
                }
            }
            this.writer = append ? MetricsWriter.append(file) : MetricsWriter.create(file);
        } catch (IOException e) {
            throw new UserInputException("cannot write --metrics file " + file + ": " + e, e);
        }
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        try {
            writer.write(m.toMap());
        } catch (IOException e) {
            throw new UserInputException("cannot write --metrics file " + file + ": " + e, e);
        }
    }

    @Override
    public void close() {
        if (writer == null) {
            return;
        }
        try {
            writer.close();
        } catch (IOException e) {
            throw new UserInputException("cannot close --metrics file " + file + ": " + e, e);
        }
    }
}
