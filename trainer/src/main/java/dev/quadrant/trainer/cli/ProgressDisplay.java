package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.util.Locale;

import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress: a progress bar (me.tongfei:progressbar) when standard output is a terminal, plain lines
 * (one per epoch) otherwise, so logs and CI output stay readable.
 */
final class ProgressDisplay implements TrainListener {
    private final PrintWriter out;
    private final boolean terminal;
    private ProgressBar bar;
    private int epochs;

    private ProgressDisplay(PrintWriter out, boolean terminal) {
        this.out = out;
        this.terminal = terminal;
    }

    static ProgressDisplay create(PrintWriter out) {
        return new ProgressDisplay(out, System.console() != null && System.getenv("CI") == null);
    }

    private long total;

    @Override
    public void onStart(long totalSteps, int epochs, long stepsPerEpoch) {
        this.epochs = epochs;
        this.total = totalSteps;
        out.printf(Locale.ROOT, "training: %d epochs x %d steps = %d steps%n", epochs, stepsPerEpoch, totalSteps);
        if (terminal) {
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate().build();
        }
    }

    @Override
    public void onStep(long step, int epoch, double recentLoss) {
        if (bar != null) {
            bar.stepTo(step);
            if (!Double.isNaN(recentLoss)) {
                bar.setExtraMessage(epochs > 1 ? String.format(Locale.ROOT, "epoch %d loss %.4f", epoch + 1, recentLoss)
                        : String.format(Locale.ROOT, "loss %.4f", recentLoss));
            }
        }
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        if (bar != null) {
            bar.pause();
            System.out.println();
        }
        StringBuilder eval = new StringBuilder();
        for (var e : m.eval().entrySet()) {
            if (e.getValue() instanceof Number n && !e.getKey().endsWith("perplexity")) {
                eval.append(String.format(Locale.ROOT, "  %s %.4f", e.getKey(), n.doubleValue()));
            }
        }
        String where = m.epoch() > 0 ? String.format(Locale.ROOT, "epoch %d/%d  step %d", m.epoch(), epochs, m.step())
                : String.format(Locale.ROOT, "step %d/%d", m.step(), total);
        String rate = Double.isNaN(m.tokensPerSecond())
                ? String.format(Locale.ROOT, "%.0f samples/s", m.samplesPerSecond())
                : String.format(Locale.ROOT, "%.0f tokens/s", m.tokensPerSecond());
        out.printf(Locale.ROOT, "%s  train_loss %.4f%s  %s  %.1f s%n", where, m.trainLoss(), eval, rate, m.seconds());
        out.flush();
        if (bar != null) {
            bar.resume();
        }
    }

    @Override
    public void onEnd(dev.quadrant.trainer.train.TrainResult result) {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
