package dev.quadrant.trainer.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.parallel.NonFiniteGradientException;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;

/**
 * The training loop: for each epoch, a seeded permutation of the training set (the same for any number of replicas),
 * global batches of {@code batch} rows (the last one partial, not dropped) handed to a {@link StepRunner}, then an
 * evaluation of replica 0 on the test split. Stops after {@code epochs} epochs, or after {@code maxSteps} optimizer
 * steps when that is positive. May start where a checkpoint left off ({@link Position}) and tell a
 * {@link Checkpoints} where the state may be saved. Each epoch's metrics include {@code skipped_steps}, the updates
 * dropped so far under {@code --on-nan skip}.
 *
 * <p>Runs on the caller's thread. Not reusable concurrently.
 *
 * <pre>{@code
 * TrainResult r = new Trainer(plan).fit(data, runner, List.of(listener));
 * }</pre>
 */
public final class Trainer {

    /** What to train for: epochs or steps, batch, learning rate and its schedule, seed. */
    public record Plan(int epochs, long maxSteps, int batch, float lr, LrSchedule schedule, long seed) {
        public Plan {
            if (batch <= 0) {
                throw new dev.quadrant.device.UserInputException("--batch must be > 0, got " + batch);
            }
            if (epochs <= 0 && maxSteps <= 0) {
                throw new dev.quadrant.device.UserInputException("--epochs or --steps must be > 0, got epochs "
                        + epochs + " and steps " + maxSteps);
            }
        }
    }

    private static final int REPORT_EVERY = 20;

    private final Plan plan;

    public Trainer(Plan plan) {
        this.plan = plan;
    }

    /** Total optimizer steps this plan takes on {@code trainSize} samples. */
    public long totalSteps(int trainSize) {
        long perEpoch = stepsPerEpoch(trainSize);
        return plan.maxSteps() > 0 ? plan.maxSteps() : perEpoch * plan.epochs();
    }

    private long stepsPerEpoch(long n) {
        return (n + plan.batch() - 1) / plan.batch();
    }

    /** Where training stands: {@code step} steps done, continuing in {@code epoch} (from 0) at batch {@code batchInEpoch}. */
    public record Position(long step, int epoch, int batchInEpoch) {
        /** The start of a fresh run. */
        public static final Position START = new Position(0, 0, 0);

        public Position {
            if (step < 0 || epoch < 0 || batchInEpoch < 0) {
                throw new IllegalArgumentException("position (" + step + ", " + epoch + ", " + batchInEpoch + ")");
            }
        }
    }

    /**
     * Told where the run's state may be saved: after a step that does not end an epoch, and after each epoch's
     * evaluation. Called on the driver thread between steps, so the replicas are idle (the asynchronous strategies
     * may still have queued work; {@link StepRunner#consolidate()} waits for it).
     */
    public interface Checkpoints {
        /**
         * After a step ({@code epochEnd} false) or after an epoch's evaluation ({@code epochEnd} true); {@code next}
         * is where training would continue.
         */
        void after(StepRunner runner, Position next, boolean epochEnd);

        /** Once after the last step and evaluation, with the final position. */
        default void atEnd(StepRunner runner, Position end) {}
    }

    private static final Logger log = LoggerFactory.getLogger(Trainer.class);
    private static final int SKIP_LOG_LIMIT = 5;

    /** Steps per epoch for a training set of {@code trainSize} samples. */
    public long stepsPerEpoch(int trainSize) {
        return stepsPerEpoch((long) trainSize);
    }

    /** Trains with {@code runner} on {@code data} from the start and returns the per-epoch metrics. */
    public TrainResult fit(DataSplit data, StepRunner runner, List<TrainListener> listeners) {
        return fit(data, runner, listeners, Position.START, null);
    }

    /**
     * Trains with {@code runner} on {@code data} from {@code start} (where a checkpoint left off: the runner's
     * replicas already hold its parameters and optimizer state) and returns the metrics of the epochs it ran.
     * {@code checkpoints} (may be null) is told where state may be saved.
     *
     * <p>Resuming is exact: the data order of an epoch, the dropout masks and the learning rate of a step depend
     * only on the seed, the epoch and the step, so that a run stopped after any step and resumed from there
     * computes what the uninterrupted run computes (bit for bit on one replica and with the synchronous
     * strategies).
     *
     * @throws NonFiniteGradientException (with the step and epoch in its message) if a step's gradients are not
     *     finite under {@link dev.quadrant.trainer.parallel.NonFinitePolicy#ABORT}
     */
    public TrainResult fit(DataSplit data, StepRunner runner, List<TrainListener> listeners, Position start,
                           Checkpoints checkpoints) {
        Dataset train = data.train();
        int n = train.size();
        if (n == 0) {
            throw new dev.quadrant.device.UserInputException("the training set '" + train.name() + "' is empty");
        }
        int f = train.features();
        long perEpoch = stepsPerEpoch(n);
        long total = totalSteps(n);
        int epochs = (int) ((total + perEpoch - 1) / perEpoch);
        if (start.batchInEpoch() >= perEpoch || start.step() != start.epoch() * perEpoch + start.batchInEpoch()) {
            throw new IllegalArgumentException("start " + start + " is not a position of a run with " + perEpoch
                    + " steps per epoch");
        }
        for (TrainListener l : listeners) {
            l.onStart(total, epochs, perEpoch);
        }
        float[] hostX = new float[plan.batch() * f];
        int[] hostY = new int[plan.batch()];
        float[] xs = train.x();
        int[] ys = train.y();
        List<EpochMetrics> history = new ArrayList<>();
        long step = start.step();
        Position end = start;
        long skippedSeen = runner.skippedSteps();
        double allSeconds = 0;
        for (int epoch = start.epoch(); epoch < epochs && step < total; epoch++) {
            int[] order = EpochOrder.permutation(plan.seed(), epoch, n);
            long t0 = System.nanoTime();
            long samples = 0;
            long steps = 0;
            long dataNanos = 0;
            double lossSum = 0;
            long lossCount = 0;
            int firstBatch = epoch == start.epoch() ? start.batchInEpoch() : 0;
            for (int b = firstBatch; b < perEpoch && step < total; b++) {
                int from = b * plan.batch();
                int rows = Math.min(plan.batch(), n - from);
                long d0 = System.nanoTime();
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(xs, order[from + i] * f, hostX, i * f, f);
                    hostY[i] = ys[order[from + i]];
                }
                dataNanos += System.nanoTime() - d0;
                steps++;
                float lr = plan.schedule().at(plan.lr(), step, total);
                try {
                    runner.step(hostX, hostY, rows, lr, plan.seed() * 1_000_003L + step);
                } catch (RuntimeException e) {
                    throw withStep(e, runner, step + 1, epoch, lr);
                }
                step++;
                samples += rows;
                skippedSeen = reportSkipped(runner, skippedSeen, step);
                double recent = Double.NaN;
                if (step % REPORT_EVERY == 0 || b == perEpoch - 1 || step == total) {
                    double[] ls = runner.takeLossSum();
                    lossSum += ls[0];
                    lossCount += (long) ls[1];
                    recent = ls[1] > 0 ? ls[0] / ls[1] : Double.NaN;
                }
                for (TrainListener l : listeners) {
                    l.onStep(step, epoch, recent);
                }
                end = b + 1 < perEpoch ? new Position(step, epoch, b + 1) : new Position(step, epoch + 1, 0);
                if (checkpoints != null && b + 1 < perEpoch && step < total) {
                    checkpoints.after(runner, end, false);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            allSeconds += seconds;
            runner.consolidate();
            dev.quadrant.device.cuda.StepClock.Totals times = runner.takeStepTimes();
            double perStep = Math.max(1, times.steps());
            double[] eval = evaluate(runner.replicas().get(0), data.test());
            int testN = data.test().size();
            Map<String, Object> extra = new LinkedHashMap<>(runner.extraMetrics());
            extra.put("skipped_steps", runner.skippedSteps());
            EpochMetrics m = new EpochMetrics(epoch + 1, step, lossCount > 0 ? lossSum / lossCount : Double.NaN,
                    testN > 0 ? eval[0] / testN : Double.NaN, testN > 0 ? eval[1] / testN : Double.NaN,
                    samples / Math.max(seconds, 1e-9), seconds, runner.name(), runner.replicas().size(),
                    runner.bytesMovedPerStep(), times.computeMs() / perStep, times.commMs() / perStep,
                    dataNanos / 1e6 / Math.max(1, steps), extra);
            history.add(m);
            for (TrainListener l : listeners) {
                l.onEpoch(m);
            }
            if (checkpoints != null && end.batchInEpoch() == 0 && step < total) {
                checkpoints.after(runner, end, true);
            }
        }
        if (checkpoints != null) {
            checkpoints.atEnd(runner, end);
        }
        TrainResult result = new TrainResult(history, step, allSeconds);
        for (TrainListener l : listeners) {
            l.onEnd(result);
        }
        return result;
    }

    /** Logs newly skipped steps (the first few one by one, then every hundredth); returns the count seen. */
    private static long reportSkipped(StepRunner runner, long seen, long step) {
        long now = runner.skippedSteps();
        if (now > seen && (now <= SKIP_LOG_LIMIT || now / 100 > seen / 100)) {
            String where = null;
            for (Replica r : runner.replicas()) {
                if (r.lastNonFiniteParameter() != null) {
                    where = r.lastNonFiniteParameter();
                    break;
                }
            }
            log.warn("step {}: update skipped, the gradient of {} is not finite (--on-nan skip; {} skipped so far{})",
                    step, where, now, now == SKIP_LOG_LIMIT ? "; from now on every 100th is reported" : "");
        }
        return now;
    }

    /** Adds the step to a non-finite-gradient failure; other failures pass unchanged. */
    private static RuntimeException withStep(RuntimeException e, StepRunner runner, long step, int epoch, float lr) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof NonFiniteGradientException nf) {
                boolean async = runner.name().equals("hogwild") || runner.name().equals("gossip");
                return new NonFiniteGradientException((async ? "by step " : "step ") + step + " (epoch " + (epoch + 1)
                        + "): " + nf.getMessage() + "; training diverged: lower --lr (now " + lr + "), set "
                        + "--clip-norm, or pass --on-nan skip to drop such steps", nf.parameter(), nf.rank(), e);
            }
        }
        return e;
    }

    /** Loss sum and correct count of {@code replica} on {@code test}. */
    public static double[] evaluate(Replica replica, Dataset test) {
        if (test.size() == 0) {
            return new double[] {0, 0};
        }
        return replica.evaluate(test.x(), test.y(), 0, test.size());
    }
}
