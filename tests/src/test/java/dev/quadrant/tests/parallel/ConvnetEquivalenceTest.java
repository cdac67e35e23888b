package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.tests.TestData;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * A ResNet with BatchNorm on MNIST images under the synchronous strategies: with the default, synchronised batch
 * statistics, N replicas with global batch B end with the parameters AND running statistics of one replica with batch
 * B after 30 steps (max |difference| <= 1e-5 of the largest value); with {@code norm=batch-local} they do not (each
 * replica normalises by its own shard), which is why it is not the default. Every replica ends with replica 0's
 * parameters (and, when synchronised, its running statistics; local ones are each replica's own).
 */
class ConvnetEquivalenceTest {
    static final String RESNET = "resnet:widths=4-8,blocks=1";

    static float[] train(String model, String strategy, int replicas, int batch) {
        TrainOptions o = new TrainOptions();
        o.data = "idx:" + TestData.dataset("mnist");
        o.model = model;
        o.batch = batch;
        o.steps = 30;
        o.optimizer = "adam";
        o.lr = 1e-3f;
        o.weightDecay = 0f;
        o.clipNorm = 1f;
        o.seed = 3;
        o.threads = Math.min(2, replicas);
        o.devices = "cpu:" + replicas;
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o, s);
        try (StepRunner runner = Training.buildRunner(o, s, data)) {
            new Trainer(Training.plan(o, s, data)).fit(data, runner, List.of());
            var layout = runner.replicas().get(0).parameters().layout().entries();
            List<float[]> all = new ArrayList<>();
            for (var r : runner.replicas()) {
                all.add(r.getParameters());
            }
            for (int r = 1; r < all.size(); r++) {     // trainable parameters always; state too when synchronised
                for (var e : layout) {
                    if (e.trainable() || !model.contains("batch-local")) {
                        int from = Math.toIntExact(e.offset());
                        int to = from + Math.toIntExact(e.size());
                        assertTrue(java.util.Arrays.equals(all.get(0), from, to, all.get(r), from, to), strategy
                                + ": replica " + r + " differs from replica 0 in " + e.name());
                    }
                }
            }
            return all.get(0);
        }
    }

    @ParameterizedTest(name = "{0} x{1}")
    @CsvSource({"allreduce,2", "allreduce,4", "ps,2", "ps,4"})
    void synchronisedBatchNormKeepsNReplicasEqualToOne(String strategy, int replicas) {
        float[] one = train(RESNET, "allreduce", 1, 16);
        float[] many = train(RESNET, strategy, replicas, 16);
        GptEquivalenceTest.assertClose(one, many, RESNET + " " + strategy + " x" + replicas);
    }

    @Test
    void localBatchStatisticsChangeWhatIsTrained() {
        String local = RESNET + ",norm=batch-local";
        float[] one = train(local, "allreduce", 1, 16);
        float[] two = train(local, "allreduce", 2, 16);
        double scale = StrategyEquivalenceTest.maxAbs(one);
        double diff = StrategyEquivalenceTest.maxDiff(one, two);
        assertTrue(diff > 1e-3 * scale, "batch-local statistics on 2 replicas should differ from 1 replica; max |diff| "
                + diff + " of largest " + scale);
    }
}
