package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * The synchronous strategies are exact: N replicas with global batch B end with the same parameters as one replica
 * with batch B after 50 steps, up to float32 summation order (max |difference| <= 1e-5 of the largest parameter),
 * including a global batch that does not divide evenly (30 rows on 4 replicas: 8, 8, 7, 7) and the epoch's last,
 * partial batch.
 *
 * <p>Where exactness ends: a ReLU unit whose pre-activation lies within float32 rounding of 0 can switch on in one run
 * and off in the other, and Adam scales a gradient that is pure rounding noise up to a full step. Either turns a
 * 1e-7 summation-order difference into an O(lr) one after a few dozen steps on large models (seen: 4e-4 of the largest
 * parameter with ReLU and momentum on the default synthetic model, 1e-7 with GELU or tanh). The large-model case
 * below therefore uses GELU and momentum; the small model is exact with ReLU and Adam too.
 */
class StrategyEquivalenceTest {

    static float[] train(String strategy, int replicas, String optimizer) {
        return train(strategy, replicas, optimizer, "synthetic:20x4x700", "mlp:16-12", "relu");
    }

    static float[] train(String strategy, int replicas, String optimizer, String dataSpec, String model, String activation) {
        TrainOptions o = new TrainOptions();
        o.data = dataSpec;
        o.model = model;
        o.activation = activation;
        o.batch = 30;
        o.steps = 50;       // 700 / 30 = 24 batches per epoch: crosses two partial last batches
        o.optimizer = optimizer;
        o.lr = optimizer.startsWith("adam") ? 1e-3f : model.equals("mlp:16-12") ? 0.05f : 0.01f;
        o.seed = 11;
        o.threads = replicas;
        o.devices = "cpu:" + replicas;
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        try (StepRunner runner = Training.buildRunner(o, s, data)) {
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.lr, s.schedule(), o.seed)).fit(data, runner, List.of());
            List<float[]> all = new ArrayList<>();
            for (var r : runner.replicas()) {
                all.add(r.getParameters());
            }
            for (int r = 1; r < all.size(); r++) {
                assertTrue(java.util.Arrays.equals(all.get(0), all.get(r)),
                        strategy + ": replica " + r + " differs from replica 0 by " + maxDiff(all.get(0), all.get(r)));
            }
            return all.get(0);
        }
    }

    @ParameterizedTest(name = "{0} x{1} {2}")
    @CsvSource({"allreduce,2,momentum", "allreduce,4,momentum", "ps,2,momentum", "ps,4,momentum",
        "allreduce,4,sgd", "allreduce,4,adam", "ps,4,nesterov"})
    void sameParametersAsOneReplica(String strategy, int replicas, String optimizer) {
        float[] one = train("allreduce", 1, optimizer);
        float[] many = train(strategy, replicas, optimizer);
        double scale = maxAbs(one);
        double diff = maxDiff(one, many);
        int worst = worst(one, many);
        assertTrue(diff <= 1e-5 * scale, strategy + " with " + replicas + " replicas (" + optimizer + "): worst index "
                + worst + ": 1 replica " + one[worst] + ", " + replicas + " replicas " + many[worst] + ", |diff| " + diff
                + " > tolerance " + 1e-5 * scale + " (1e-5 of the largest parameter " + scale + ")");
    }

    @ParameterizedTest(name = "{0} x{1} on the default synthetic model")
    @CsvSource({"allreduce,4", "ps,4", "allreduce,2"})
    void sameParametersOnALargerModel(String strategy, int replicas) {
        float[] one = train("allreduce", 1, "momentum", "synthetic:784x10x1500", "mlp:512-256", "gelu");
        float[] many = train(strategy, replicas, "momentum", "synthetic:784x10x1500", "mlp:512-256", "gelu");
        double scale = maxAbs(one);
        int worst = worst(one, many);
        double diff = Math.abs(one[worst] - many[worst]);
        assertTrue(diff <= 1e-5 * scale, strategy + " x" + replicas + " (784-512-256-10, gelu, momentum): worst index "
                + worst + ": 1 replica " + one[worst] + ", " + replicas + " replicas " + many[worst] + ", |diff| " + diff
                + " > tolerance " + 1e-5 * scale);
    }

    static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    static double maxDiff(float[] a, float[] b) {
        return Math.abs(a[worst(a, b)] - b[worst(a, b)]);
    }

    static int worst(float[] a, float[] b) {
        int w = 0;
        double m = -1;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (d > m) {
                m = d;
                w = i;
            }
        }
        return w;
    }
}
