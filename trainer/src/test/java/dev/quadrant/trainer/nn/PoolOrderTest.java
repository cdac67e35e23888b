package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.quadrant.device.Activation;
import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.cpu.CpuBackend;

/**
 * LeNet runs a non-decreasing activation after its max-pool instead of before ({@link LeNetSpec}): the outputs and the
 * parameter gradients are the same bits both ways, on random images (many windows wholly negative, where ReLU is
 * flat); GELU, which is not monotone, keeps its place.
 */
class PoolOrderTest {
    @ParameterizedTest
    @EnumSource(value = Activation.class, names = {"RELU", "TANH"})
    void poolThenActivationIsActivationThenPoolBitForBit(Activation f) {
        Supplier<Module> actFirst = () -> new Sequential(List.of(new Conv2d(6, 5, 1, 2), new Act(f),
                new MaxPool2d(2, 2, 0), new Conv2d(4, 3, 1, 0), new Act(f), new MaxPool2d(2, 2, 0), new Flatten(),
                new Linear(5)));
        Supplier<Module> poolFirst = () -> new Sequential(List.of(new Conv2d(6, 5, 1, 2), new MaxPool2d(2, 2, 0),
                new Act(f), new Conv2d(4, 3, 1, 0), new MaxPool2d(2, 2, 0), new Act(f), new Flatten(),
                new Linear(5)));
        try (Backend be = new CpuBackend(2);
             ModuleCheck a = check(be, actFirst.get());
             ModuleCheck b = check(be, poolFirst.get())) {
            assertArrayEquals(values(be, a.model.forward(a.x, a.context)), values(be, b.model.forward(b.x, b.context)),
                    "outputs");
            a.gradients(false);
            b.gradients(false);
            float[] ga = values(be, a.params.gradients());
            float[] gb = values(be, b.params.gradients());
            assertEquals(ga.length, gb.length);
            for (int i = 0; i < ga.length; i++) {
                assertEquals(Float.floatToRawIntBits(ga[i]), Float.floatToRawIntBits(gb[i]), "gradient " + i);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void lenetPutsOnlyMonotoneActivationsAfterThePool(Activation f) {
        Model m = new LeNetSpec().build(new ModelFactory.Inputs(new int[] {28, 28, 1}, DType.FLOAT32, 10, f, 0f));
        String d = m.describe();
        boolean poolFirst = d.indexOf("MaxPool") < d.indexOf(new Act(f).describe());
        assertEquals(f != Activation.GELU, poolFirst, d);
    }

    private static ModuleCheck check(Backend be, Module m) {
        return new ModuleCheck(be, m, new int[] {12, 12, 1}, DType.FLOAT32, 0, 4, ModuleCheck.Objective.WEIGHTED_SUM,
                5);
    }

    private static float[] values(Backend be, Tensor t) {
        float[] v = new float[t.intSize()];
        be.download(t, v, 0);
        return v;
    }
}
