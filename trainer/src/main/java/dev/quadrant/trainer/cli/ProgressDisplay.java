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

    @Override
    public void onStart(long totalSteps, int epochs, long stepsPerEpoch) {
        this.epochs = epochs;
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
                bar.setExtraMessage(String.format(Locale.ROOT, "epoch %d loss %.4f", epoch + 1, recentLoss));
            }
        }
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        if (bar != null) {
            bar.pause();
            System.out.println();
        }
        out.printf(Locale.ROOT, "epoch %d/%d  step %d  train_loss %.4f  test_loss %.4f  test_accuracy %.4f  %.0f samples/s  %.1f s%n",
                m.epoch(), epochs, m.step(), m.trainLoss(), m.testLoss(), m.testAccuracy(), m.samplesPerSecond(), m.seconds());
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
