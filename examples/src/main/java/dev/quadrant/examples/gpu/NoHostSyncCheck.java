package dev.quadrant.examples.gpu;

import java.util.ArrayList;
import java.util.List;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.parallel.NonFiniteGradientException;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * "A step never waits for the host", as a check runnable anywhere (JUnit on the CPU and the stubs, {@code GpuChecks
 * nosync} on a GPU host): a small MLP trained 2 epochs with Adam, {@code --clip-norm 1}, on data with one NaN row
 * (one poisoned step per epoch). Passes when no host wait ({@link HostWaitCounter#WAITS}) happens inside a step and
 * the device-side checks still act: under {@code skip} exactly the 2 poisoned steps are skipped and the running loss
 * stays finite; under {@code abort} the run ends naming the poisoned step and {@code layers.0.weight}, after it. Stateless.
 */
public final class NoHostSyncCheck {
    public static final int ROWS = 64;
    public static final int BATCH = 8;
    public static final int POISONED_ROW = 13;

    private NoHostSyncCheck() {}

    /** The layouts and strategies checked on a host with {@code gpus} GPUs, both policies each. */
    public static List<Check> all(Training.BackendFactory backends, int gpus) {
        List<String[]> runs = new ArrayList<>(List.of(new String[] {"cuda:0", "allreduce"},
                new String[] {"cuda:0x2", "allreduce"}, new String[] {"cuda:0x2", "ps"}));
        if (gpus >= 2) {
            runs.add(new String[] {"cuda:0,1", "allreduce"});
            runs.add(new String[] {"cuda:0,1", "ps"});
        }
        List<Check> out = new ArrayList<>();
        for (String[] r : runs) {
            for (NonFinitePolicy p : NonFinitePolicy.values()) {
                out.add(run(r[0], r[1], p, backends));
            }
        }
        return out;
    }

    public static DataSplit data() {
        int f = 4;
        float[] x = new float[ROWS * f];
        int[] y = new int[ROWS];
        for (int i = 0; i < ROWS; i++) {
            y[i] = i % 2;
            for (int j = 0; j < f; j++) {
                x[i * f + j] = (float) Math.sin(i * 7 + j) * 4 + y[i];
            }
        }
        x[POISONED_ROW * f + 2] = Float.NaN;
        Dataset train = new Dataset("poisoned", f, 2, x, y);
        return new DataSplit(train, train.rows("test", 0, 16));
    }

    public static TrainOptions options(String devices, String strategy) {
        TrainOptions o = new TrainOptions();
        o.model = "mlp:8";
        o.batch = BATCH;
        o.epochs = 2;
        o.lr = 0.05f;
        o.optimizer = "adam";
        o.clipNorm = 1f;
        o.devices = devices;
        o.strategy = strategy;
        o.threads = 2;
        return o;
    }

    /** The 1-based step of epoch {@code epoch} whose batch holds the poisoned row. */
    public static long poisonedStep(TrainOptions o, int epoch) {
        int[] order = EpochOrder.permutation(o.seed, epoch, ROWS);
        for (int i = 0; i < ROWS; i++) {
            if (order[i] == POISONED_ROW) {
                return (long) epoch * (ROWS / BATCH) + i / BATCH + 1;
            }
        }
        throw new AssertionError();
    }

    public static TrainResult train(TrainOptions o, NonFinitePolicy policy, HostWaitCounter c, Training.BackendFactory backends) {
        Training.Setup s = Training.setup(o);
        DataSplit data = data();
        try (StepRunner runner = c.marking(Training.buildRunner(o, s, data, null, policy, c.wrap(backends)))) {
            return new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, runner, List.of());
        }
    }

    /** One run of {@code strategy} on {@code devices} under {@code policy}, checked (see the class comment). */
    public static Check run(String devices, String strategy, NonFinitePolicy policy, Training.BackendFactory backends) {
        TrainOptions o = options(devices, strategy);
        HostWaitCounter c = new HostWaitCounter();
        String name = "no host wait in a step: " + strategy + " on " + devices + " --clip-norm 1 --on-nan " + policy;
        String acted;
        boolean ok;
        if (policy == NonFinitePolicy.SKIP) {
            TrainResult r = train(o, policy, c, backends);
            Object skipped = r.last().extra().get("skipped_steps");
            ok = Long.valueOf(2).equals(skipped) && Double.isFinite(r.last().trainLoss()) && c.steps.get() == 16;
            acted = "skipped_steps " + skipped + " (want 2), train_loss " + r.last().trainLoss();
        } else {
            long want = poisonedStep(o, 0);
            try {
                train(o, policy, c, backends);
                return new Check(name, false, "no NonFiniteGradientException: the poisoned step " + want + " went by");
            } catch (NonFiniteGradientException e) {
                ok = e.getMessage().startsWith("step " + want + " (epoch 1): the gradient of layers.0.weight is not "
                        + "finite") && c.steps.get() > want;
                acted = "stopped after " + c.steps + " steps with: " + e.getMessage();
            }
        }
        ok &= c.inSteps.get() == 0 && c.outside.get() > 0;
        return new Check(name, ok, c + "; " + acted);
    }
}
