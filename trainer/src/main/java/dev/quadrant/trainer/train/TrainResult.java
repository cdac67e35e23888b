package dev.quadrant.trainer.train;

import java.util.List;

/** The outcome of {@link Trainer#fit}: per-epoch metrics and the totals. */
public record TrainResult(List<EpochMetrics> epochs, long steps, double seconds) {

    /** Metrics of the last epoch. */
    public EpochMetrics last() { return epochs.get(epochs.size() - 1); }
}
