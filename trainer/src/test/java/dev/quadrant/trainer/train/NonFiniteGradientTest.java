package dev.quadrant.trainer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.data.Dataset;
import dev.quadrant.trainer.data.EpochOrder;
import dev.quadrant.trainer.parallel.NonFiniteGradientException;
import dev.quadrant.trainer.parallel.NonFinitePolicy;
import dev.quadrant.trainer.parallel.StepRunner;

/**
 * {@code --on-nan}: a training set with one NaN row poisons the gradients of exactly one batch per epoch. Under
 * {@code abort} the run stops with an error naming the step and the first parameter; under {@code skip} that batch's
 * update is dropped (and counted), and the rest of training is unaffected.
 */
class NonFiniteGradientTest {
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
                x[i * f + j] = (float) Math.sin(i * 7 + j) + y[i];
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
        o.lr = 0.01f;
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

    static TrainResult train(TrainOptions o, NonFinitePolicy policy, List<float[]> finalParams) {
        Training.Setup s = Training.setup(o);
        DataSplit data = data();
        try (StepRunner runner = Training.buildRunner(o, s, data, null, policy)) {
            TrainResult r = new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed))
                    .fit(data, runner, List.of());
            runner.consolidate();
            finalParams.add(runner.replicas().get(0).getParameters());
            return r;
        }
    }

    @ParameterizedTest
    @CsvSource({"cpu:1, allreduce", "cpu:2, allreduce", "cpu:2, ps"})
    void abortNamesStepAndFirstParameter(String devices, String strategy) {
        TrainOptions o = options(devices, strategy);
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                () -> train(o, NonFinitePolicy.ABORT, new ArrayList<>()));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("step " + poisonedStep(o, 0) + " (epoch 1): the gradient of layers.0.weight is not"
                + " finite (NaN or infinity)"), msg);
        assertTrue(msg.contains("--on-nan skip") && msg.contains("--lr"), msg);
        assertFalse(msg.contains("\n"), msg);
        assertEquals("layers.0.weight", e.parameter());
    }

    @ParameterizedTest
    @CsvSource({"cpu:1, allreduce", "cpu:2, allreduce", "cpu:2, ps"})
    void skipDropsExactlyThePoisonedStepsAndCountsThem(String devices, String strategy) {
        TrainOptions o = options(devices, strategy);
        List<float[]> params = new ArrayList<>();
        TrainResult r = train(o, NonFinitePolicy.SKIP, params);
        assertEquals(1L, r.epochs().get(0).extra().get("skipped_steps"));
        assertEquals(2L, r.last().extra().get("skipped_steps"));
        assertEquals(2L, r.last().toMap().get("skipped_steps"), "in the --metrics line too");
        for (EpochMetrics m : r.epochs()) {
            assertTrue(Double.isFinite(m.trainLoss()), "the poisoned batch's loss is left out: " + m);
        }
        float[] p = params.get(0);
        for (int i = 0; i < p.length; i++) {
            assertTrue(Float.isFinite(p[i]), "parameter " + i + " is " + p[i]);
        }
    }

    @ParameterizedTest
    @CsvSource({"hogwild", "gossip"})
    void asyncStrategiesSkipToo(String strategy) {
        TrainOptions o = options("cpu:2", strategy);
        List<float[]> params = new ArrayList<>();
        TrainResult r = train(o, NonFinitePolicy.SKIP, params);
        assertEquals(2L, r.last().extra().get("skipped_steps"), "one replica's shard holds the row, once per epoch");
        for (float v : params.get(0)) {
            assertTrue(Float.isFinite(v));
        }
        NonFiniteGradientException e = assertThrows(NonFiniteGradientException.class,
                () -> train(options("cpu:2", strategy), NonFinitePolicy.ABORT, new ArrayList<>()));
        assertTrue(e.getMessage().startsWith("by step "), e.getMessage());
        assertTrue(e.getMessage().contains("layers.0.weight"), e.getMessage());
    }
}
