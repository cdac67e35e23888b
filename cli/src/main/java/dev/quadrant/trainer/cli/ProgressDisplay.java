package dev.quadrant.trainer.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import dev.quadrant.trainer.train.EpochMetrics;
import dev.quadrant.trainer.train.TrainListener;
import dev.quadrant.trainer.train.TrainResult;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows training progress. On a terminal: a progress bar (me.tongfei:progressbar) as wide as the terminal, with the
 * epoch, the recent loss, the step rate and an ETA from a smoothed rate; epoch summaries and log lines are printed
 * above it ({@link TerminalBar}). Without one (a pipe, a file, CI): plain lines, one per evaluation and a progress
 * line every {@code logEvery} steps, or every {@link #LOG_SECONDS} seconds when {@code logEvery} is 0. Numbers are
 * printed by {@link Numbers#readable}.
 *
 * <p>A listener a library user can add too (module {@code quadrant-cli}):
 *
 * <pre>{@code
 * try (ProgressDisplay progress = ProgressDisplay.create(new PrintWriter(System.out, true), 0)) {
 *     Training.run(options, List.of(progress));
 * }
 * }</pre>
 *
 * <p>Called on the driver thread; the bar's own render thread reads the rate through a volatile field.
 */
public final class ProgressDisplay implements TrainListener, AutoCloseable {
    /** Seconds between progress lines without a terminal and without {@code --log-every}. */
    public static final double LOG_SECONDS = 30;
    /** Time constant of the smoothed step rate, in seconds. */
    private static final double RATE_SECONDS = 10;

    private final PrintWriter out;
    private final boolean terminal;
    private final long logEvery;
    private TerminalBar screen;
    private ProgressBar bar;
    private int epochs;
    private long total;
    private double loss = Double.NaN;   // the latest reported training loss
    private volatile double rate;       // smoothed steps per second, 0 until measured
    private long rateStep = -1;         // the step and time the rate was last updated at
    private long rateNanos;
    private long loggedStep;
    private long loggedNanos;
    private EpochMetrics first;         // the first evaluation, compared with the second for the warm-up note
    private int evaluations;

    /**
     * A display writing to {@code out}: a bar when {@code terminal}, else plain lines.
     *
     * @param logEvery without a terminal, a progress line every this many steps; 0: every {@link #LOG_SECONDS} s
     */
    public ProgressDisplay(PrintWriter out, boolean terminal, long logEvery) {
        dev.quadrant.trainer.train.OptionChecks.LOG_EVERY.check(logEvery);
        this.out = out;
        this.terminal = terminal;
        this.logEvery = logEvery;
    }

    /** A display for standard output: a bar if it is a terminal (and not CI, not a dumb terminal), lines otherwise. */
    public static ProgressDisplay create(PrintWriter out, long logEvery) {
        boolean tty = System.console() != null && System.getenv("CI") == null && !"dumb".equals(System.getenv("TERM"));
        return new ProgressDisplay(out, tty, logEvery);
    }

    @Override
    public void onStart(long totalSteps, int epochs, long stepsPerEpoch) {
        this.epochs = epochs;
        this.total = totalSteps;
        out.printf(Locale.ROOT, "training: %d epochs x %d steps = %d steps%n", epochs, stepsPerEpoch, totalSteps);
        out.flush();
        loggedNanos = System.nanoTime();
        if (terminal) {
            screen = new TerminalBar(System.out);
            screen.routeStderr();
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(totalSteps).setConsumer(screen)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(250).continuousUpdate()
                    .setEtaFunction(state -> eta(state.getMax() - state.getCurrent())).build();
        }
    }

    private Optional<Duration> eta(long stepsLeft) {
        double r = rate;
        return r > 0 ? Optional.of(Duration.ofSeconds(Math.round(stepsLeft / r))) : Optional.empty();
    }

    @Override
    public void onStep(long step, int epoch, double recentLoss) {
        if (!Double.isNaN(recentLoss)) {
            loss = recentLoss;
        }
        updateRate(step);
        if (bar != null) {
            bar.stepTo(step);
            bar.setExtraMessage(status(epoch));
        } else if (logEvery > 0 ? step % logEvery == 0
                : System.nanoTime() - loggedNanos >= (long) (LOG_SECONDS * 1e9)) {
            if (step != loggedStep) {
                Duration left = eta(total - step).orElse(null);
                String status = status(epoch);
                out.printf(Locale.ROOT, "step %d/%d%s%s%n", step, total, status.isEmpty() ? "" : "  " + status,
                        left == null ? "" : "  ETA " + clock(left));
                out.flush();
                loggedStep = step;
                loggedNanos = System.nanoTime();
            }
        }
    }

    /** Epoch, loss and rate, as the bar and the progress lines show them. */
    private String status(int epoch) {
        StringBuilder s = new StringBuilder();
        if (epochs > 1) {
            s.append("epoch ").append(epoch + 1).append('/').append(epochs).append("  ");
        }
        if (!Double.isNaN(loss)) { // reported every 20 steps
            s.append("loss ").append(Numbers.readable(loss)).append("  ");
        }
        if (rate > 0) {
            s.append(String.format(Locale.ROOT, "%.1f steps/s", rate));
        }
        return s.toString().strip();
    }

    /** Exponentially smoothed steps per second over about {@link #RATE_SECONDS} seconds, sampled at most 4 times a second. */
    private void updateRate(long step) {
        long now = System.nanoTime();
        if (rateStep < 0) {
            rateStep = step;
            rateNanos = now;
            return;
        }
        double dt = (now - rateNanos) / 1e9;
        if (dt < 0.25 || step <= rateStep) {
            return;
        }
        double instant = (step - rateStep) / dt;
        double a = 1 - Math.exp(-dt / RATE_SECONDS);
        rate = rate == 0 ? instant : rate + a * (instant - rate);
        rateStep = step;
        rateNanos = now;
    }

    static String clock(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    @Override
    public void onEpoch(EpochMetrics m) {
        StringBuilder eval = new StringBuilder();
        for (var e : m.eval().entrySet()) {
            if (e.getValue() instanceof Number n && !e.getKey().endsWith("perplexity")) {
                eval.append("  ").append(e.getKey()).append(' ').append(Numbers.readable(n.doubleValue()));
            }
        }
        String where = m.epoch() > 0 ? String.format(Locale.ROOT, "epoch %d/%d  step %d", m.epoch(), epochs, m.step())
                : String.format(Locale.ROOT, "step %d/%d", m.step(), total);
        String speed = Double.isNaN(m.tokensPerSecond())
                ? String.format(Locale.ROOT, "%.0f samples/s", m.samplesPerSecond())
                : String.format(Locale.ROOT, "%.0f tokens/s", m.tokensPerSecond());
        String line = String.format(Locale.ROOT, "%s  train_loss %s%s  %s  %.1f s", where,
                Numbers.readable(m.trainLoss()), eval, speed, m.seconds());
        Runnable print = () -> {
            out.println(line);
            out.flush();
        };
        if (screen != null) {
            screen.above(print);
        } else {
            print.run();
        }
        String note = warmUpNote(m);
        if (note != null) {
            Runnable n = () -> {
                out.println(note);
                out.flush();
            };
            if (screen != null) {
                screen.above(n);
            } else {
                n.run();
            }
        }
        rateStep = -1; // the evaluation's time is not the steps'
        loggedNanos = System.nanoTime();
    }

    /**
     * After the second evaluation: a line that says so when the first stretch ran markedly slower than the second
     * (by step rate, so stretches of different lengths compare). The usual reason is the JVM's warm-up: the JIT
     * compiles the hot loops (GEMM packing, element-wise kernels, the optimizer) during the first seconds, and the
     * first touch of the activation buffers faults their pages in. Null otherwise.
     */
    String warmUpNote(EpochMetrics m) {
        evaluations++;
        if (evaluations == 1) {
            first = m;
            return null;
        }
        if (evaluations != 2 || first == null || first.seconds() <= 0 || m.seconds() <= 0) {
            return null;
        }
        double firstRate = first.samplesPerSecond();
        double secondRate = m.samplesPerSecond();
        if (!(firstRate > 0) || secondRate < 1.3 * firstRate) {
            return null;
        }
        return String.format(Locale.ROOT, "note: the first %s ran at %.0f%% of the second's speed: JVM warm-up (the "
                + "JIT compiles the hot loops in the first seconds, and buffers are touched for the first time); "
                + "the later rates are the run's", first.epoch() > 0 ? "epoch" : "stretch",
                100 * firstRate / secondRate);
    }

    @Override
    public void onEnd(TrainResult result) {
        close();
    }

    /** Removes the bar (if any) and gives standard error back; also after an interrupted or failed run. */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
        if (screen != null) {
            screen.close();
            screen = null;
        }
    }
}
