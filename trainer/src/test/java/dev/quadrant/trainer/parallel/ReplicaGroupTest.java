package dev.quadrant.trainer.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.BackendProvider;
import dev.quadrant.device.Device;
import dev.quadrant.device.StepClock;
import dev.quadrant.device.UserInputException;
import dev.quadrant.trainer.nn.Initializer;
import dev.quadrant.trainer.nn.ModelSpec;
import dev.quadrant.trainer.optim.OptimizerConfig;
import dev.quadrant.trainer.optim.OptimizerKind;

/**
 * The checks before step 1 (layouts agree, naming the replica and both values; CPU and GPU replicas are not mixed) and
 * the step clock on host replicas (compute and exposed communication measured, per step).
 */
class ReplicaGroupTest {

    static Replica replica(int rank, String model) {
        return new Replica(rank, BackendProvider.of(Device.Kind.CPU).create(Device.cpu(), 1), ModelSpec.parse(model),
                new dev.quadrant.trainer.data.Schema(dev.quadrant.trainer.data.Field.floats("x", 6),
                        dev.quadrant.trainer.data.Field.ints("label", 3)),
                dev.quadrant.trainer.objective.Classification.INSTANCE, Activation.RELU, 0f, 8,
                OptimizerConfig.of(OptimizerKind.SGD, 0.1f, 0f));
    }

    @Test
    void aReplicaWithAnotherLayoutIsNamedWithBothValues() {
        List<Replica> rs = List.of(replica(0, "mlp:8"), replica(1, "mlp:8"), replica(2, "mlp:9"));
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ReplicaGroup.checkLayouts(rs));
            assertTrue(e.getMessage().startsWith("replica 2 (cpu:0) has "), e.getMessage());
            assertTrue(e.getMessage().contains("parameters, replica 0 has"), e.getMessage());
        } finally {
            rs.forEach(Replica::close);
        }
    }

    @Test
    void cpuAndGpuReplicasAreNotMixed() {
        UserInputException e = assertThrows(UserInputException.class,
                () -> Strategies.check("allreduce", List.of(Device.cpu(), Device.cuda(0))));
        assertTrue(e.getMessage().contains("cannot be mixed"), e.getMessage());
        Strategies.check("gossip", List.of(Device.cuda(0), Device.cuda(0), Device.cuda(1)));   // accepted now
    }

    @Test
    void hostClocksMeasureComputeAndExposedCommunication() {
        List<Replica> rs = new ArrayList<>(List.of(replica(0, "mlp:8"), replica(1, "mlp:8")));
        rs.get(0).setParameters(rs.get(0).model().initialValues(1, Initializer.HE));
        float[] x = new float[16 * 6];
        int[] y = new int[16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) / 7f;
        }
        var data = dev.quadrant.trainer.data.ArraySamples.of("host", dev.quadrant.trainer.data.Field.floats("x", 6),
                dev.quadrant.trainer.data.Field.ints("label", 3), x, y);
        StepBatch batch = StepBatch.first(data, 16, 1, dev.quadrant.trainer.objective.Classification.INSTANCE);
        try (StepRunner runner = Strategies.create("allreduce", rs, 0f)) {
            for (int s = 0; s < 5; s++) {
                runner.step(batch, 0.1f, s);
            }
            StepClock.Totals t = runner.takeStepTimes();
            assertEquals(10, t.steps(), "5 steps on 2 replicas");
            assertTrue(t.computeMs() > 0, "compute measured: " + t);
            assertTrue(t.commMs() >= 0, "exposed communication measured: " + t);
            assertEquals(0, runner.takeStepTimes().steps(), "take() resets");
        }
    }
}
