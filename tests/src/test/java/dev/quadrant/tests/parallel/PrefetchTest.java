package dev.quadrant.tests.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.quadrant.trainer.data.DataSplit;
import dev.quadrant.trainer.parallel.Replica;
import dev.quadrant.trainer.parallel.StepRunner;
import dev.quadrant.trainer.train.TrainOptions;
import dev.quadrant.trainer.train.Trainer;
import dev.quadrant.trainer.train.Training;

/**
 * Prefetching changes when rows are gathered, never what is computed: a run whose loaders gather each next
 * micro-batch and step ahead ends with the same parameters, bit for bit, as one whose runner ignores the hints (every
 * step's first rows gathered on the replica's thread), for one replica, all-reduce and the parameter server, with
 * gradient accumulation and across epoch ends; and the loaders did serve every load but the run's first.
 */
class PrefetchTest {

    record Run(float[] params, long hits, long misses) {}

    static Run train(String strategy, int replicas, int accum, boolean hints) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:20x4x300";
        o.model = "mlp:16-12";
        o.batch = 16;
        o.gradAccum = accum;
        o.steps = 30;   // 300 / (16 * accum) steps per epoch: crosses epoch ends and their partial batches
        o.optimizer = "momentum";
        o.lr = 0.05f;
        o.seed = 5;
        o.threads = replicas;
        o.devices = "cpu:" + replicas;
        o.strategy = strategy;
        Training.Setup s = Training.setup(o);
        DataSplit data = Training.loadData(o);
        try (StepRunner runner = Training.buildRunner(o, s, data)) {
            StepRunner driven = hints ? runner : ignoringHints(runner);
            new Trainer(new Trainer.Plan(o.epochs, o.steps, o.batch, o.gradAccum, o.lr, s.schedule(), o.seed, 0, 0))
                    .fit(data, driven, List.of());
            long hits = 0;
            long misses = 0;
            for (Replica r : runner.replicas()) {
                hits += r.loadCounts()[0];
                misses += r.loadCounts()[1];
            }
            return new Run(runner.replicas().get(0).getParameters(), hits, misses);
        }
    }

    /** {@code runner} with {@link StepRunner#prefetch} swallowed. */
    static StepRunner ignoringHints(StepRunner runner) {
        InvocationHandler h = (proxy, method, args) -> {
            if (method.getName().equals("prefetch")) {
                return null;
            }
            try {
                return method.invoke(runner, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (StepRunner) Proxy.newProxyInstance(PrefetchTest.class.getClassLoader(), new Class<?>[] {StepRunner.class}, h);
    }

    @ParameterizedTest(name = "{0} x{1}, {2} micro-batches")
    @CsvSource({"allreduce,1,1", "allreduce,1,3", "allreduce,2,2", "ps,2,1", "ps,2,2"})
    void sameBitsWithAndWithoutPrefetch(String strategy, int replicas, int accum) {
        Run with = train(strategy, replicas, accum, true);
        Run without = train(strategy, replicas, accum, false);
        assertArrayEquals(without.params(), with.params(), strategy + ": prefetching changed the parameters");
        long loads = 30L * accum * replicas;
        assertEquals(replicas, with.misses(), "only the first step's rows are not prefetched (one per replica)");
        assertEquals(loads - replicas, with.hits());
        // without hints, only the micro-batches after a step's first are known ahead
        assertEquals(30L * replicas, without.misses());
        assertEquals(loads - 30L * replicas, without.hits());
    }
}
