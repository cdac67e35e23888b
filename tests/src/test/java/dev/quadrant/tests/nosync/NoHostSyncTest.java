package dev.quadrant.tests.nosync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.parallel.NonFiniteGradientException;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
import dev.quadrant.trainer.nn.Backward;
import dev.quadrant.trainer.parallel.GradientClipper;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepBatch;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.TrainResult;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * "A step never waits for the host": with {@code --clip-norm 1} and either {@code --on-nan} policy, the synchronous
 * strategies make no host wait ({@link SyncCounter#WAITS}) inside a step on the CPU backend, and the device-side
 * checks still catch the poisoned batch: {@code skip} drops exactly the poisoned steps (counted in
 * {@code skipped_steps}), {@code abort} ends the run naming the step and the parameter. A strategy that checks on the
 * host (hogwild) shows the counter sees waits. The same on the stub CUDA libraries: {@link NoHostSyncFakesTest}.
 */
class NoHostSyncTest {
    static final int ROWS = 64;
    static final int BATCH = 8;
    static final int POISONED_ROW = 13;

    static DataSplit data() {
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

    static TrainOptions options(String devices, String strategy) {
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
    static long poisonedStep(TrainOptions o, int epoch) {
        int[] order = EpochOrder.permutation(o.seed, epoch, ROWS);
        for (int i = 0; i < ROWS; i++) {
            if (order[i] == POISONED_ROW) {
                return (long) epoch * (ROWS / BATCH) + i / BATCH + 1;
            }
        }
        throw new AssertionError();
    }

    static TrainResult train(TrainOptions o, NonFinitePolicy policy, SyncCounter c, Training.BackendFactory backends) {
        Training.Setup s = Training.setup(o);
        DataSplit data = data();
        try (StepRunner runner = c.marking(Training.buildRunner(o, s, data, null, policy, c.wrap(backends)))) {
            return new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, runner, List.of());
        }
    }

    /** Runs the checks of one strategy on {@code devices} with {@code backends}; shared with the stubs' test. */
    static void noWaitInsideASyncStep(String devices, String strategy, NonFinitePolicy policy,
                                      Training.BackendFactory backends) {
        TrainOptions o = options(devices, strategy);
        SyncCounter c = new SyncCounter();
        String what = strategy + " on " + devices + " --on-nan " + policy + ": ";
        if (policy == NonFinitePolicy.SKIP) {
            TrainResult r = train(o, policy, c, backends);
            assertEquals(2L, r.last().extra().get("skipped_steps"), what + "one poisoned step per epoch, skipped");
            assertTrue(Double.isFinite(r.last().trainLoss()), what + "the diverged batches' losses are left out");
            assertEquals(16, c.steps.get(), what + c);
        } else {
            NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                    () -> train(o, policy, c, backends));
            assertTrue(e.getMessage().startsWith("step " + poisonedStep(o, 0) + " (epoch 1): the gradient of "
                    + "layers.0.weight is not finite"), what + e.getMessage());
            assertEquals("layers.0.weight", e.parameter());
            assertTrue(c.steps.get() > poisonedStep(o, 0), what + "it stops at the next read, after the step: " + c);
        }
        assertEquals(0, c.inSteps.get(), what + "host waits inside a step: " + c);
        assertTrue(c.outside.get() > 0, what + "the metric reads are seen by the counter: " + c);
    }

    @ParameterizedTest(name = "{1} on {0}, --on-nan {2}")
    @CsvSource({"cpu:1, allreduce, SKIP", "cpu:1, allreduce, ABORT", "cpu:2, allreduce, SKIP", "cpu:2, allreduce, ABORT",
        "cpu:2, ps, SKIP", "cpu:2, ps, ABORT"})
    void noHostWaitInsideAStepOnTheCpu(String devices, String strategy, NonFinitePolicy policy) {
        noWaitInsideASyncStep(devices, strategy, policy, Training.BackendFactory.DEFAULT);
    }

    /**
     * The control: the step as it was before the checks moved to the device (host-side {@code l2Norm} for clipping,
     * {@code allFinite} before the update), run through the same counter, waits at least twice per step.
     */
    @Test
    void theHostSideStepOfBeforeWaitsAndIsCounted() {
        SyncCounter c = new SyncCounter();
        TrainOptions o = options("cpu:1", "allreduce");
        Training.Setup s = Training.setup(o);
        DataSplit data = data();
        try (StepRunner guarded = Training.buildRunner(o, s, data, null, NonFinitePolicy.SKIP,
                c.wrap(Training.BackendFactory.DEFAULT))) {
            Replica rep = guarded.replicas().get(0);
            StepRunner hostSide = new StepRunner() {
                @Override
                public String name() { return "host-side single"; }

                @Override
                public List<Replica> replicas() { return List.of(rep); }

                @Override
                public void step(StepBatch batch, float lr, long seed) {
                    rep.zeroGradients();
                    rep.computeGradients(batch, 0, batch.rows(), 1f / Math.max(1, batch.lossTerms()), seed,
                            Backward.IGNORE);
                    GradientClipper.clip(rep.backend(), rep.parameters().gradients(), o.clipNorm);
                    rep.applyUpdate(lr);
                }

                @Override
                public long skippedSteps() { return rep.skippedUpdates(); }

                @Override
                public void close() {}
            };
            TrainResult r = new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, c.marking(hostSide), List.of());
            assertEquals(2L, r.last().extra().get("skipped_steps"));
        }
        assertTrue(c.inSteps.get() >= 2 * c.steps.get(), "l2Norm and allFinite in every step: " + c);
        assertTrue(c.inStepByMethod.containsKey("l2Norm") && c.inStepByMethod.containsKey("allFinite"), c.toString());
    }
}
