package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.tests.TestData;
import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * A GPT on Tiny Shakespeare under the synchronous strategies: N replicas with global batch B end with the parameters of
 * one replica with batch B after 30 steps (max |difference| <= 1e-5 of the largest parameter), with dropout off and on
 * (the masks are keyed by the sample's row in the global batch, so sharding does not change them); and
 * {@code --grad-accum K} with micro-batches of B/K rows equals one step of B rows, on one replica and on two.
 */
class GptEquivalenceTest {
    static final String TEXT = "text:" + TestData.dataset("tinyshakespeare").resolve("input.txt");

    static float[] train(String strategy, int replicas, float dropout, int batch, int accum) {
        TrainOptions o = new TrainOptions();
        o.data = TEXT;
        o.model = "gpt:layers=2,heads=2,dim=24,ctx=16,dropout=" + dropout;
        o.batch = batch;
        o.gradAccum = accum;
        o.steps = 30;
        o.optimizer = "adamw";
        o.lr = 1e-3f;
        o.betas = "0.9,0.99";
        o.weightDecay = 0.1f;
        o.schedule = "cosine:5:1e-4";
        o.clipNorm = 1f;
        o.seed = 5;
        o.threads = Math.min(2, replicas);
        o.devices = "cpu:" + replicas;
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o, s);
        try (StepRunner runner = Training.buildRunner(o, s, data)) {
            new Trainer(Training.plan(o, s, data)).fit(data, runner, List.of());
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

    static void assertClose(float[] one, float[] many, String what) {
        double scale = StrategyEquivalenceTest.maxAbs(one);
        int worst = StrategyEquivalenceTest.worst(one, many);
        double diff = Math.abs(one[worst] - many[worst]);
        assertTrue(diff <= 1e-5 * scale, what + ": worst index " + worst + ": reference " + one[worst] + ", other "
                + many[worst] + ", |diff| " + diff + " > tolerance " + 1e-5 * scale + " (1e-5 of the largest "
                + "parameter " + scale + ")");
    }

    @ParameterizedTest(name = "{0} x{1}, dropout {2}")
    @CsvSource({"allreduce,2,0", "allreduce,4,0", "ps,2,0", "ps,4,0", "allreduce,2,0.1", "allreduce,4,0.1",
        "ps,4,0.1"})
    void sameParametersAsOneReplica(String strategy, int replicas, float dropout) {
        float[] one = train("allreduce", 1, dropout, 12, 1);
        float[] many = train(strategy, replicas, dropout, 12, 1);
        assertClose(one, many, strategy + " x" + replicas + " dropout " + dropout);
    }

    @ParameterizedTest(name = "grad-accum {1} on {0} replica(s), dropout {2}")
    @CsvSource({"1,4,0", "1,4,0.1", "2,2,0.1"})
    void accumulationEqualsALargerBatch(int replicas, int accum, float dropout) {
        float[] big = train("allreduce", 1, dropout, 12, 1);
        float[] micro = train("allreduce", replicas, dropout, 12 / accum, accum);
        assertClose(big, micro, "--grad-accum " + accum + " x --batch " + (12 / accum) + " on " + replicas
                + " replica(s) vs --batch 12");
    }
}
