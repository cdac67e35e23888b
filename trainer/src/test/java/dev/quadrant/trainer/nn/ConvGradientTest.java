package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.UserInputException;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The image modules' backward (Conv2d, MaxPool2d, AvgPool2d, GlobalAvgPool, a tiny LeNet-like stack) against float64
 * central differences on the {@link ReferenceBackend}; tolerance as {@link ModuleGradientTest}. Max pooling is checked
 * on random inputs (distinct values with probability 1, so no ties within {@link ModuleCheck#EPS}).
 */
class ConvGradientTest {
    private static final double TOL = 1e-6;
    private ReferenceBackend ref;

    @BeforeEach
    void open() { ref = new ReferenceBackend(); }

    @AfterEach
    void close() { ref.close(); }

    private void check(String what, Supplier<Module> m, int[] in, int rows, ModuleCheck.Objective objective) {
        try (ModuleCheck c = new ModuleCheck(ref, m.get(), in, DType.FLOAT32, 0, rows, objective, 5)) {
            assertEquals(c.model.layout().entries().size(), c.checkAll(what, true, TOL), what);
        }
    }

    private void check(String what, Supplier<Module> m, int[] in) {
        check(what, m, in, 2, ModuleCheck.Objective.WEIGHTED_SUM);
    }

    @Test
    void conv2d() {
        check("conv 3x3 s1 p1 c3", () -> new Conv2d(4, 3, 1, 1), new int[] {5, 5, 3});
        check("conv 3x3 s2 p0 7x5", () -> new Conv2d(2, 3, 2, 0), new int[] {7, 5, 1});
        check("conv 5x5 s1 p2 7x5", () -> new Conv2d(3, 5, 1, 2), new int[] {7, 5, 3});
        check("conv 3x3 s2 p1 7x5", () -> new Conv2d(2, 3, 2, 1), new int[] {7, 5, 3});
        check("conv 1x1 image", () -> new Conv2d(3, 1, 1, 0), new int[] {1, 1, 3});
        check("conv 3x3 p1 on 1x1", () -> new Conv2d(2, 3, 1, 1), new int[] {1, 1, 1});
        check("conv 3x2 non-square, no bias", () -> new Conv2d(3, new Window2d(3, 2, 1, 2, 1, 0), false),
                new int[] {7, 5, 3});
    }

    @Test
    void pooling() {
        check("maxpool 2 s2", () -> new MaxPool2d(2, 2, 0), new int[] {6, 4, 3});
        check("maxpool 3 s2 p1 7x5", () -> new MaxPool2d(3, 2, 1), new int[] {7, 5, 2});
        check("avgpool 2 s2", () -> new AvgPool2d(2, 2, 0), new int[] {6, 4, 3});
        check("avgpool 3 s1 p1 7x5", () -> new AvgPool2d(3, 1, 1), new int[] {7, 5, 2});
        check("global avg pool", GlobalAvgPool::new, new int[] {7, 5, 3});
    }

    @Test
    void tinyLeNetUnderCrossEntropy() {
        check("tiny lenet", () -> new Sequential(List.of(
                new Conv2d(3, 3, 1, 1), new Act(Activation.RELU), new MaxPool2d(2, 2, 0),
                new Conv2d(4, 3, 1, 0), new Act(Activation.TANH), new AvgPool2d(2, 1, 0),
                new Flatten(), new Linear(5), new Act(Activation.GELU), new Linear(3))),
                new int[] {8, 8, 2}, 3, ModuleCheck.Objective.CROSS_ENTROPY);
        check("conv, global pool", () -> new Sequential(List.of(
                new Conv2d(4, 3, 2, 1), new Act(Activation.TANH), new GlobalAvgPool(), new Linear(3))),
                new int[] {7, 5, 2}, 3, ModuleCheck.Objective.CROSS_ENTROPY);
    }

    @Test
    void lenetShapesAndNames() {
        Model m = ModelSpec.parse("lenet").build(new ModelFactory.Inputs(new int[] {28, 28, 1}, DType.FLOAT32, 10,
                Activation.RELU, 0f));
        assertArrayEquals(new int[] {10}, m.outputShape());
        List<String> names = m.layout().entries().stream().map(ParamLayout.Entry::name).toList();
        assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.3.weight", "layers.3.bias",
                "layers.7.weight", "layers.7.bias", "layers.9.weight", "layers.9.bias",
                "layers.11.weight", "layers.11.bias"), names);
        assertArrayEquals(new int[] {6, 1, 5, 5}, m.layout().entry("layers.0.weight").shape());
        assertArrayEquals(new int[] {120, 400}, m.layout().entry("layers.7.weight").shape());
        assertEquals("lenet", ModelSpec.parse("lenet").toString());
        m.close();
    }

    @Test
    void errors() {
        UserInputException flat = assertThrows(UserInputException.class, () -> ModelSpec.parse("lenet").build(
                new ModelFactory.Inputs(new int[] {784}, DType.FLOAT32, 10, Activation.RELU, 0f)));
        assertTrue(flat.getMessage().contains("--model lenet takes images [H, W, C]") && flat.getMessage()
                .contains("[784]"), flat.getMessage());
        UserInputException big = assertThrows(UserInputException.class,
                () -> new Model(new Conv2d(2, 5, 1, 0), new int[] {3, 3, 1}, DType.FLOAT32));
        assertTrue(big.getMessage().contains("Conv2d") && big.getMessage().contains("[3, 3, 1]"), big.getMessage());
        UserInputException stride = assertThrows(UserInputException.class, () -> new Conv2d(2, 3, 0, 0));
        assertTrue(stride.getMessage().contains("stride 0"), stride.getMessage());
        assertThrows(UserInputException.class,
                () -> new Model(new Conv2d(2, 3, 1, 0), new int[] {5, 5}, DType.FLOAT32));
    }

    @Test
    void heInitByFanIn() {
        Model m = new Model(new Conv2d(64, 5, 1, 0), new int[] {9, 9, 4}, DType.FLOAT32);
        float[] p = m.initialValues(1, Initializer.HE);
        double ss = 0;
        int n = 64 * 4 * 25;
        for (int i = 0; i < n; i++) {
            ss += p[i] * (double) p[i];
        }
        double std = Math.sqrt(ss / n);
        double want = Math.sqrt(2.0 / (4 * 25));
        assertTrue(Math.abs(std - want) < 0.05 * want, "std " + std + ", He by fan-in 100: " + want);
        m.close();
    }
}
