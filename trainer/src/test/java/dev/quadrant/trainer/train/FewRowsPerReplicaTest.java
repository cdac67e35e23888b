package dev.quadrant.trainer.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fewer rows per step than replicas (issue 13, item 8): {@code --devices cpu:3 --batch 1} leaves two replicas without
 * rows on every step. They must not pull the result back toward where they started: with one row per step only
 * replica 0 trains, so every strategy must end where one replica ends.
 */
class FewRowsPerReplicaTest {

    private static float[] train(String devices, String strategy) {
        TrainOptions o = new TrainOptions();
        o.data = "synthetic:6x3x60";
        o.model = "mlp:5";
        o.batch = 1;
        o.steps = 30;
        o.optimizer = "sgd";
        o.lr = 0.05f;
        o.devices = devices;
        o.threads = 1;
        o.strategy = strategy;
        return Training.run(o, Training.setup(o), null, null, List.of()).parameters();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gossip", "hogwild", "allreduce", "ps"})
    void idleReplicasDoNotDiluteTheResult(String strategy) {
        float[] one = train("cpu:1", strategy);
        float[] three = train("cpu:3", strategy);
        if (strategy.equals("hogwild")) {
            // the server applies replica 0's pushes as they come: the same updates in the same order as one replica
            double worst = 0;
            for (int i = 0; i < one.length; i++) {
                worst = Math.max(worst, Math.abs(one[i] - three[i]));
            }
            assertTrue(worst < 1e-5, "hogwild cpu:3 --batch 1 differs from cpu:1 by " + worst);
        } else {
            assertArrayEquals(one, three, strategy + ": cpu:3 with one row per step ends where cpu:1 ends");
        }
    }
}
