package dev.quadrant.trainer.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.quadrant.trainer.data.Augmentation;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.device.DType;
import dev.quadrant.trainer.data.Samples;
import dev.quadrant.trainer.parallel.StepBatch;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.parallel.NonFiniteGradientException;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;

/**
 * The training loop: for each epoch, a seeded permutation of the training set (the same for any number of replicas),
 * global batches of {@code batch * gradAccum} rows (the last one partial, not dropped) handed to a {@link StepRunner}
 * as sample indices, then an evaluation of replica 0 on the test split. Data drawn at random positions (text windows)
 * is step-based instead: step {@code s} draws sample {@code i} at {@code derive(derive(seed, s), i) mod size}, so a
 * run is reproducible and resumable without any state, and it is evaluated every {@code evalEvery} steps and at the
 * end on a fixed set of windows. A listener may stop the run early ({@link TrainListener#stopRequested()}), or interrupt it after any step
 * ({@link TrainListener#interruptRequested()}: the state is checkpointed there and {@link TrainingInterruptedException}
 * thrown). Stops after {@code epochs} epochs, or after {@code maxSteps} optimizer
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

    /**
     * What to train for: epochs or steps, batch (rows per micro-batch), micro-batches per step ({@code gradAccum}),
     * learning rate and its schedule, seed, evaluation: every {@code evalEvery} steps (0: only at epoch ends and
     * the end), over {@code evalBatches} batches of windows for data drawn at random positions; and the augmentation
     * of the training images ({@link Augmentation#NONE}: none), keyed by (seed, epoch, sample).
     */
    public record Plan(int epochs, long maxSteps, int batch, int gradAccum, float lr, LrSchedule schedule, long seed,
                       long evalEvery, int evalBatches, Augmentation augment) {
        /** A plan without accumulation, step evaluations or augmentation. */
        public Plan(int epochs, long maxSteps, int batch, float lr, LrSchedule schedule, long seed) {
            this(epochs, maxSteps, batch, 1, lr, schedule, seed, 0, 0, Augmentation.NONE);
        }

        /** A plan without augmentation. */
        public Plan(int epochs, long maxSteps, int batch, int gradAccum, float lr, LrSchedule schedule, long seed,
                    long evalEvery, int evalBatches) {
            this(epochs, maxSteps, batch, gradAccum, lr, schedule, seed, evalEvery, evalBatches, Augmentation.NONE);
        }

        /** Rows of one optimizer step. */
        public int stepRows() { return Math.multiplyExact(batch, gradAccum); }

        public Plan {
            java.util.Objects.requireNonNull(augment, "augment");
            if (gradAccum < 1) {
                throw new dev.quadrant.device.UserInputException("--grad-accum must be >= 1, got " + gradAccum);
            }
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

    /** Total optimizer steps this plan takes on {@code train}. */
    public long totalSteps(Samples train) {
        long perEpoch = stepsPerEpoch(train);
        return plan.maxSteps() > 0 ? plan.maxSteps() : perEpoch * plan.epochs();
    }

    /**
     * The number of epochs this plan visits on {@code train} (the last one possibly partly); an epoch number is an
     * int (positions, checkpoints, metrics), so a {@code --steps} that would need more epochs than that is refused.
     */
    public int epochCount(Samples train) {
        long perEpoch = stepsPerEpoch(train);
        long total = totalSteps(train);
        long epochs = total / perEpoch + (total % perEpoch == 0 ? 0 : 1);
        if (epochs > Integer.MAX_VALUE) {
            throw new dev.quadrant.device.UserInputException("--steps " + plan.maxSteps() + " with " + perEpoch
                    + " step" + (perEpoch == 1 ? "" : "s") + " per epoch (" + train.size() + " samples, "
                    + plan.stepRows() + " rows per step) would run " + epochs + " epochs, more than the "
                    + Integer.MAX_VALUE + " a run can count; use fewer steps or a larger data set");
        }
        return (int) epochs;
    }

    /**
     * Steps per epoch: {@code ceil(size / stepRows)} for data visited once per epoch; for data drawn at random
     * positions the whole run is one "epoch" of {@code --steps} steps.
     */
    public long stepsPerEpoch(Samples train) {
        if (train.order() == Samples.Order.RANDOM) {
            return Math.max(1, plan.maxSteps());
        }
        return (train.size() + plan.stepRows() - 1) / plan.stepRows();
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


    /** Trains with {@code runner} on {@code data} from the start and returns the per-epoch metrics. */
    public TrainResult fit(DataSplit data, StepRunner runner, List<TrainListener> listeners) {
        return fit(data, runner, listeners, Position.START, null);
    }

    /**
     * Trains with {@code runner} on {@code data} from {@code start} (where a checkpoint left off: the runner's
     * replicas already hold its parameters and optimizer state) and returns the metrics of the epochs it ran.
     * {@code checkpoints} (may be null) is told where state may be saved.
     *
     * <p>Resuming is exact: the data order of an epoch, the augmentation of a sample, the dropout masks and the
     * learning rate of a step depend only on the seed, the epoch, the sample and the step, so that a run stopped after any step and resumed from there
     * computes what the uninterrupted run computes (bit for bit on one replica and with the synchronous
     * strategies).
     *
     * @throws NonFiniteGradientException (with the step and epoch in its message) if a step's gradients are not
     *     finite under {@link dev.quadrant.trainer.parallel.NonFinitePolicy#ABORT}
     * @throws TrainingInterruptedException if a listener interrupted the run, after {@code checkpoints} (if any) was
     *     told to save the state where it stopped ({@link Checkpoints#atEnd})
     */
    public TrainResult fit(DataSplit data, StepRunner runner, List<TrainListener> listeners, Position start,
                           Checkpoints checkpoints) {
        Samples train = data.train();
        long n = train.size();
        if (n == 0) {
            throw new dev.quadrant.device.UserInputException("the training set '" + train.name() + "' is empty");
        }
        boolean random = train.order() == Samples.Order.RANDOM;
        if (!random && n > Integer.MAX_VALUE - 8) {
            throw new dev.quadrant.device.UserInputException(train.name() + ": " + n + " samples are too many for one "
                    + "epoch permutation");
        }
        plan.augment().check(train.schema().input());
        long perEpoch = stepsPerEpoch(train);
        long total = totalSteps(train);
        int epochs = epochCount(train);
        if (start.batchInEpoch() >= perEpoch || start.step() != start.epoch() * perEpoch + start.batchInEpoch()) {
            throw new IllegalArgumentException("start " + start + " is not a position of a run with " + perEpoch
                    + " steps per epoch");
        }
        for (TrainListener l : listeners) {
            l.onStart(total, epochs, perEpoch);
        }
        Replica r0 = runner.replicas().get(0);
        int tokensPerSample = train.schema().input().dtype() == DType.INT32 ? train.schema().input().size() : 0;
        long[] evalIds = data.test().evaluationIds(plan.evalBatches(), plan.batch());
        long[] valIds = data.validation() == null ? null
                : data.validation().evaluationIds(plan.evalBatches(), plan.batch());
        StepPlanner planner = new StepPlanner(plan, train, r0.objective());
        List<EpochMetrics> history = new ArrayList<>();
        long step = start.step();
        Position end = start;
        long skippedSeen = runner.skippedSteps();
        double allSeconds = 0;
        Window w = new Window();
        StepBatch batch = null;   // this step's, planned during the previous one
        for (int epoch = start.epoch(); epoch < epochs && step < total; epoch++) {
            int firstBatch = epoch == start.epoch() ? start.batchInEpoch() : 0;
            w.begin();
            for (long b = firstBatch; b < perEpoch && step < total; b++) {
                long d0 = System.nanoTime();
                if (batch == null) {
                    batch = planner.at(step, epoch, b);
                }
                // the next step's batch, so the replicas' loaders gather it while this step computes
                StepBatch next = step + 1 >= total ? null
                        : b + 1 < perEpoch ? planner.at(step + 1, epoch, b + 1) : planner.at(step + 1, epoch + 1, 0);
                w.dataNanos += System.nanoTime() - d0;
                w.steps++;
                int rows = batch.rows();
                float lr = plan.schedule().at(plan.lr(), step, total);
                try {
                    runner.prefetch(next);
                    runner.step(batch, lr, plan.seed() * 1_000_003L + step);
                } catch (RuntimeException e) {
                    throw withStep(e, runner, step + 1, epoch, lr);
                }
                batch = next;
                step++;
                w.samples += rows;
                skippedSeen = reportSkipped(runner, skippedSeen, step);
                double recent = Double.NaN;
                boolean epochEnd = b == perEpoch - 1 || step == total;
                boolean evalNow = epochEnd || (plan.evalEvery() > 0 && step % plan.evalEvery() == 0);
                if (step % REPORT_EVERY == 0 || evalNow) {
                    readChecks(runner, step, perEpoch, lr);   // the device-side checks of the steps since the last read
                    skippedSeen = reportSkipped(runner, skippedSeen, step);
                    double[] ls = runner.takeLossSum();
                    w.lossSum += ls[0];
                    w.lossCount += (long) ls[1];
                    recent = ls[1] > 0 ? ls[0] / ls[1] : Double.NaN;
                }
                for (TrainListener l : listeners) {
                    l.onStep(step, epoch, recent);
                }
                end = b + 1 < perEpoch ? new Position(step, epoch, (int) (b + 1)) : new Position(step, epoch + 1, 0);
                if (evalNow) {
                    double seconds = w.seconds();
                    allSeconds += seconds;
                    EpochMetrics m = evaluate(runner, data, evalIds, valIds, random ? 0 : epoch + 1, step, w,
                            seconds, tokensPerSample);
                    history.add(m);
                    boolean stop = false;
                    for (TrainListener l : listeners) {
                        l.onEpoch(m);
                        stop |= l.stopRequested();
                    }
                    w.begin();
                    if (stop && step < total) {
                        log.info("stopping after step {}: a listener asked to stop", step);
                        total = step;
                    }
                }
                if (checkpoints != null && step < total) {
                    try {
                        checkpoints.after(runner, end, end.batchInEpoch() == 0);   // a save reads the checks first
                    } catch (NonFiniteGradientException e) {
                        throw withStep(e, runner, step - e.stepsAgo(), stepEpoch(step - e.stepsAgo(), perEpoch), lr,
                                step);
                    }
                }
                if (step < total && interruptRequested(listeners)) {
                    log.info("stopping after step {} of {}: interrupted", step, total);
                    if (checkpoints != null) {
                        checkpoints.atEnd(runner, end);
                    }
                    throw new TrainingInterruptedException(end, total, null);
                }
            }
        }
        if (checkpoints != null) {
            checkpoints.atEnd(runner, end);
        }
        for (Replica r : runner.replicas()) {   // --verbose: what replayed as CUDA graphs
            String graphs = r.backend().stepGraphReport();
            if (!graphs.isEmpty()) {
                if (graphs.contains("capture failed")) {
                    log.warn("replica {}: {}", r.rank(), graphs);
                } else {
                    log.debug("replica {}: {}", r.rank(), graphs);
                }
            }
        }
        TrainResult result = new TrainResult(history, step, allSeconds);
        for (TrainListener l : listeners) {
            l.onEnd(result);
        }
        return result;
    }

    private static boolean interruptRequested(List<TrainListener> listeners) {
        for (TrainListener l : listeners) {
            if (l.interruptRequested()) {
                return true;
            }
        }
        return false;
    }

    /** What one stretch of training between evaluations measured. */
    private static final class Window {
        long t0;
        long samples;
        long steps;
        long dataNanos;
        double lossSum;
        long lossCount;

        void begin() {
            t0 = System.nanoTime();
            samples = 0;
            steps = 0;
            dataNanos = 0;
            lossSum = 0;
            lossCount = 0;
        }

        double seconds() { return (System.nanoTime() - t0) / 1e9; }
    }

    private EpochMetrics evaluate(StepRunner runner, DataSplit data, long[] evalIds, long[] valIds, int epoch,
                                  long step, Window w, double seconds, int tokensPerSample) {
        runner.consolidate();
        dev.quadrant.device.StepClock.Totals times = runner.takeStepTimes();
        double perStep = Math.max(1, times.steps());
        Replica r0 = runner.replicas().get(0);
        Map<String, Object> eval = new LinkedHashMap<>();
        if (valIds != null) { // the held-out validation set: val_loss, val_accuracy (early stopping reads these)
            double[] v = r0.evaluate(data.validation(), valIds);
            r0.objective().metrics(v[0], v[1], (long) v[2], valIds.length)
                    .forEach((k, x) -> eval.put(k.replaceFirst("^test_", "val_"), x));
        }
        double[] e = r0.evaluate(data.test(), evalIds);
        eval.putAll(r0.objective().metrics(e[0], e[1], (long) e[2], evalIds.length));
        Map<String, Object> extra = new LinkedHashMap<>(runner.extraMetrics());
        extra.put("skipped_steps", runner.skippedSteps());
        double sps = w.samples / Math.max(seconds, 1e-9);
        long replicaWait = 0;   // the slowest replica's wait for its rows (its loader's, or its own gathers)
        for (Replica r : runner.replicas()) {
            replicaWait = Math.max(replicaWait, r.takeDataWaitNanos());
        }
        return new EpochMetrics(epoch, step, w.lossCount > 0 ? w.lossSum / w.lossCount : Double.NaN, eval, sps,
                tokensPerSample > 0 ? sps * tokensPerSample : Double.NaN, seconds, runner.name(),
                runner.replicaCount(), runner.bytesMovedPerStep(), times.computeMs() / perStep,
                times.commMs() / perStep, (w.dataNanos + replicaWait) / 1e6 / Math.max(1, w.steps), extra);
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
            // the synchronous strategies' checks are read every REPORT_EVERY steps: "by step" (the first skipped one
            // since the last read named its parameter)
            log.warn("by step {}: update skipped, the gradient of {} is not finite (--on-nan skip; {} skipped so far{})",
                    step, where, now, now == SKIP_LOG_LIMIT ? "; from now on every 100th is reported" : "");
        }
        return now;
    }

    /** Adds the step to a non-finite-gradient failure; other failures pass unchanged. */
    private static RuntimeException withStep(RuntimeException e, StepRunner runner, long step, int epoch, float lr) {
        return withStep(e, runner, step, epoch, lr, -1);
    }

    /** As above; {@code readAt} (when >= 0) is the step at which a device-side check was read. */
    private static RuntimeException withStep(RuntimeException e, StepRunner runner, long step, int epoch, float lr,
                                             long readAt) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof NonFiniteGradientException nf) {
                boolean async = runner.name().equals("hogwild") || runner.name().equals("gossip");
                return new NonFiniteGradientException((async ? "by step " : "step ") + step + " (epoch " + (epoch + 1)
                        + "): " + nf.getMessage() + (readAt >= 0 ? "; stopped at step " + readAt : "")
                        + "; training diverged: lower --lr (now " + lr + "), set "
                        + "--clip-norm, or pass --on-nan skip to drop such steps", nf.parameter(), nf.rank(), e);
            }
        }
        return e;
    }

    /**
     * Reads the runner's device-side checks at step {@code step} (a read point: metrics are read here anyway); under
     * {@code --on-nan abort} a non-finite step since the last read ends the run, named with its own step and epoch.
     */
    private static void readChecks(StepRunner runner, long step, long perEpoch, float lr) {
        try {
            runner.readChecks();
        } catch (NonFiniteGradientException e) {
            long at = step - e.stepsAgo();
            throw withStep(e, runner, at, stepEpoch(at, perEpoch), lr, step);
        }
    }

    /** The 0-based epoch of the 1-based {@code step}. */
    private static int stepEpoch(long step, long perEpoch) {
        return (int) ((Math.max(1, step) - 1) / perEpoch);
    }

}
