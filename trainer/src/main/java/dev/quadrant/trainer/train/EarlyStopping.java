package dev.quadrant.trainer.train;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.device.UserInputException;

/**
 * Stops training cleanly when a validation metric has not improved for {@code patience} evaluations in a row: the
 * run then ends as if its steps were done (final evaluation, checkpoint and {@code --save} included), through
 * {@link TrainListener#stopRequested}. A loss improves by falling, an accuracy by rising, by more than
 * {@code minDelta}. {@link #best} and {@link #bestStep} say where the metric was best.
 *
 * <pre>{@code
 * o.valFraction = 0.1;                                     // hold out 10% of the training set
 * EarlyStopping stop = new EarlyStopping("val_loss", 3, 0);
 * Training.run(o, List.of(stop));
 * }</pre>
 *
 * <p>Select on a validation set ({@code val_*}: {@code --val-fraction}, or a text's own validation split), never on
 * the test set: {@link #forMetric} refuses {@code test_*} metrics. Called on the driver thread.
 */
public final class EarlyStopping implements TrainListener {
    private static final Logger log = LoggerFactory.getLogger(EarlyStopping.class);

    private final String metric;
    private final int patience;
    private final double minDelta;
    private final boolean higherIsBetter;
    private double best = Double.NaN;
    private long bestStep = -1;
    private int since;
    private boolean stop;

    /**
     * @param metric the key of an evaluation metric, e.g. {@code val_loss} or {@code val_accuracy}
     * @param patience evaluations without improvement before stopping, at least 1
     * @param minDelta the least change that counts as an improvement, at least 0
     * @throws UserInputException if {@code patience < 1}, {@code minDelta} is negative or not finite, or
     *     {@code metric} is a test-set metric
     */
    public EarlyStopping(String metric, int patience, double minDelta) {
        if (patience < 1) {
            throw new UserInputException("--early-stop " + patience + ": expected a number of evaluations >= 1");
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new UserInputException("early stopping: minimum improvement " + minDelta + ": expected a finite "
                    + "value >= 0");
        }
        if (metric.startsWith("test_")) {
            throw new UserInputException("--early-stop-metric " + metric + ": early stopping on the test set makes "
                    + "the test score optimistic; hold out a validation set with --val-fraction F and use val_"
                    + metric.substring("test_".length()));
        }
        this.metric = metric;
        this.patience = patience;
        this.minDelta = minDelta;
        this.higherIsBetter = metric.endsWith("accuracy");
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        Object v = m.eval().get(metric);
        if (!(v instanceof Number n)) {
            throw new UserInputException("--early-stop-metric " + metric + ": the evaluations report no such metric; "
                    + "they report " + String.join(", ", m.eval().keySet())
                    + (metric.startsWith("val_") ? " (a classifier has val_* metrics with --val-fraction F)" : ""));
        }
        double x = n.doubleValue();
        boolean better = Double.isNaN(best) ? !Double.isNaN(x)
                : higherIsBetter ? x > best + minDelta : x < best - minDelta;
        if (better) {
            best = x;
            bestStep = m.step();
            since = 0;
        } else if (++since >= patience) {
            stop = true;
            log.info(String.format(Locale.ROOT, "early stopping after step %d: %s has not improved for %d "
                    + "evaluations (best %.6g at step %d)", m.step(), metric, since, best, bestStep));
        }
    }

    @Override
    public boolean stopRequested() { return stop; }

    /** The best value seen, or NaN before the first evaluation. */
    public double best() { return best; }

    /** The step of the best value, or -1. */
    public long bestStep() { return bestStep; }

    /** Whether it asked the run to stop. */
    public boolean stopped() { return stop; }
}
