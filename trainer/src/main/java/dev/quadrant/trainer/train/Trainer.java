package dev.quadrant.trainer.train;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.optim.LrSchedule;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;

/**
 * The training loop: for each epoch, a seeded permutation of the training set (the same for any number of replicas),
 * global batches of {@code batch} rows (the last one partial, not dropped) handed to a {@link StepRunner}, then an
 * evaluation of replica 0 on the test split. Stops after {@code epochs} epochs, or after {@code maxSteps} optimizer
 * steps when that is positive.
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

    private long stepsPerEpoch(int n) {
        return (n + (long) plan.batch() - 1) / plan.batch();
    }

    /** Trains with {@code runner} on {@code data} and returns the per-epoch metrics. */
    public TrainResult fit(DataSplit data, StepRunner runner, List<TrainListener> listeners) {
        Dataset train = data.train();
        int n = train.size();
        if (n == 0) {
            throw new dev.quadrant.device.UserInputException("the training set '" + train.name() + "' is empty");
        }
        int f = train.features();
        long perEpoch = stepsPerEpoch(n);
        long total = totalSteps(n);
        int epochs = (int) ((total + perEpoch - 1) / perEpoch);
        for (TrainListener l : listeners) {
            l.onStart(total, epochs, perEpoch);
        }
        float[] hostX = new float[plan.batch() * f];
        int[] hostY = new int[plan.batch()];
        float[] xs = train.x();
        int[] ys = train.y();
        List<EpochMetrics> history = new ArrayList<>();
        long step = 0;
        double allSeconds = 0;
        for (int epoch = 0; epoch < epochs && step < total; epoch++) {
            int[] order = EpochOrder.permutation(plan.seed(), epoch, n);
            long t0 = System.nanoTime();
            long samples = 0;
            long steps = 0;
            long dataNanos = 0;
            double lossSum = 0;
            long lossCount = 0;
            for (int b = 0; b < perEpoch && step < total; b++) {
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
                runner.step(hostX, hostY, rows, lr, plan.seed() * 1_000_003L + step);
                step++;
                samples += rows;
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
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            allSeconds += seconds;
            runner.consolidate();
            dev.quadrant.device.cuda.StepClock.Totals times = runner.takeStepTimes();
            double perStep = Math.max(1, times.steps());
            double[] eval = evaluate(runner.replicas().get(0), data.test());
            int testN = data.test().size();
            EpochMetrics m = new EpochMetrics(epoch + 1, step, lossCount > 0 ? lossSum / lossCount : Double.NaN,
                    testN > 0 ? eval[0] / testN : Double.NaN, testN > 0 ? eval[1] / testN : Double.NaN,
                    samples / Math.max(seconds, 1e-9), seconds, runner.name(), runner.replicas().size(),
                    runner.bytesMovedPerStep(), times.computeMs() / perStep, times.commMs() / perStep,
                    dataNanos / 1e6 / Math.max(1, steps), runner.extraMetrics());
            history.add(m);
            for (TrainListener l : listeners) {
                l.onEpoch(m);
            }
        }
        TrainResult result = new TrainResult(history, step, allSeconds);
        for (TrainListener l : listeners) {
            l.onEnd(result);
        }
        return result;
    }

    /** Loss sum and correct count of {@code replica} on {@code test}. */
    public static double[] evaluate(Replica replica, Dataset test) {
        if (test.size() == 0) {
            return new double[] {0, 0};
        }
        return replica.evaluate(test.x(), test.y(), 0, test.size());
    }
}
