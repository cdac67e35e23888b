package dev.quadrant.trainer.cli;

import java.io.IOException;
import java.nio.file.Path;

import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.io.MetricsWriter;
import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;

/** Writes {@code --metrics FILE}: one JSON object per epoch, flushed as it is written; appended to for a resumed run. */
final class MetricsFileListener implements TrainListener, AutoCloseable {
    private final Path file;
    private final MetricsWriter writer;

    MetricsFileListener(Path file, boolean append) {
        this.file = file;
        try {
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
        try {
            writer.close();
        } catch (IOException e) {
            throw new UserInputException("cannot close --metrics file " + file + ": " + e, e);
        }
    }
}
