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
 * replica normalises by its own shard), which is why it is not the default. Every replica ends equal to replica 0.
 */
class ConvnetEquivalenceTest {
    static final String RESNET = "resnet:widths=4-8,blocks=1";

    static List<dev.quadrant.trainer.nn.ParamLayout.Entry> layout;

    static float[] train(String model, String strategy, int replicas, int batch) {
        TrainOptions o = new TrainOptions();
        o.data = "idx:" + TestData.dataset("mnist");
        o.model = model;
        o.batch = batch;
        o.steps = Integer.getInteger("eqsteps", 30);
        o.optimizer = System.getProperty("eqopt", "adam");
        o.lr = Float.parseFloat(System.getProperty("eqlr", "1e-3"));
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
            layout = runner.replicas().get(0).parameters().layout().entries();
            List<float[]> all = new ArrayList<>();
            for (var r : runner.replicas()) {
                all.add(r.getParameters());
            }
            for (int r = 1; r < all.size(); r++) {
                assertTrue(java.util.Arrays.equals(all.get(0), all.get(r)), strategy + ": replica " + r
                        + " differs from replica 0 by " + StrategyEquivalenceTest.maxDiff(all.get(0), all.get(r)));
            }
            return all.get(0);
        }
    }

    @ParameterizedTest(name = "{0} x{1}")
    @CsvSource({"allreduce,2", "allreduce,4", "ps,2", "ps,4"})
    void synchronisedBatchNormKeepsNReplicasEqualToOne(String strategy, int replicas) {
        String m = System.getProperty("eqmodel", RESNET);
        float[] one = train(m, "allreduce", 1, 16);
        float[] many = train(m, strategy, replicas, 16);
        String keep = System.getProperty("eqlr", "1e-3");
        System.setProperty("eqlr", "1e-30");
        float[] init = train(m, "allreduce", 1, 16);
        System.setProperty("eqlr", keep);
        for (var e : layout) {
            double g = 0;
            for (long i = e.offset(); i < e.offset() + e.size(); i++) {
                g = Math.max(g, Math.abs(one[(int) i] - init[(int) i]));
            }
            System.out.println("MOVE " + e.name() + " " + g);
            double d = 0;
            for (long i = e.offset(); i < e.offset() + e.size(); i++) {
                d = Math.max(d, Math.abs(one[(int) i] - many[(int) i]));
            }
            System.out.println("DIFF " + e.name() + " " + d);
        }
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
