package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.quadrant.device.Activation;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The general modules' backward (Linear, Act, Residual, Sequential, Dropout with a fixed mask) against float64
 * central differences on the {@link ReferenceBackend}, on {@code [rows, T, D]} inputs as a transformer uses them and
 * on plain vectors. Objective {@code sum(out * R)}; tolerance as {@link TransformerGradientTest}.
 */
class ModuleGradientTest {
    private static final double TOL = 1e-6;
    private ReferenceBackend ref;

    @BeforeEach
    void open() { ref = new ReferenceBackend(); }

    @AfterEach
    void close() { ref.close(); }

    private void check(String what, Supplier<Module> m, int[] in, int rows, ForwardContext ctx) {
        try (ModuleCheck c = new ModuleCheck(ref, m.get(), in, DType.FLOAT32, 0, rows,
                ModuleCheck.Objective.WEIGHTED_SUM, 3)) {
            c.context = ctx;
            assertEquals(c.model.layout().entries().size(), c.checkAll(what, true, TOL), what);
        }
    }

    @ParameterizedTest(name = "rows {0}")
    @ValueSource(ints = {1, 3})
    void linear(int rows) {
        check("Linear [T, D]", () -> new Linear(5), new int[] {5, 6}, rows, ForwardContext.eval());
        check("Linear [D]", () -> new Linear(7), new int[] {6}, rows, ForwardContext.eval());
        check("Linear no bias", () -> new Linear(3, false, new Init.Weights.Normal(0.5)), new int[] {1, 6}, rows,
                ForwardContext.eval());
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void act(Activation f) {
        check("Act " + f, () -> new Act(f), new int[] {5, 6}, 3, ForwardContext.eval());
    }

    @Test
    void residual() {
        check("Residual(Linear)", () -> new Residual("fc", new Linear(6)), new int[] {5, 6}, 3, ForwardContext.eval());
    }

    @Test
    void sequential() {
        check("Sequential", () -> new Sequential(List.of(new Linear(4), new Act(Activation.GELU), new Linear(6),
                new LayerNorm())), new int[] {5, 6}, 3, ForwardContext.eval());
    }

    @Test
    void dropoutWithFixedMask() {
        ForwardContext training = new ForwardContext(true, 17, 4);
        check("Dropout 0.4", () -> new Dropout(0.4f), new int[] {5, 6}, 3, training);
        check("Linear, Dropout", () -> new Sequential(List.of(new Linear(6), new Dropout(0.4f))), new int[] {5, 6}, 3,
                training);
        try (ModuleCheck c = new ModuleCheck(ref, new Dropout(0.4f), new int[] {5, 6}, DType.FLOAT32, 0, 3,
                ModuleCheck.Objective.WEIGHTED_SUM, 3)) {
            c.context = training;
            double[] x = ReferenceBackend.values(c.x);
            double[] y = ReferenceBackend.values(c.model.forward(c.x, training));
            int zeros = 0;
            for (int i = 0; i < x.length; i++) {
                zeros += y[i] == 0 ? 1 : 0;
                assertTrue(y[i] == 0 || Math.abs(y[i] - x[i] / (1 - (double) 0.4f)) < 1e-12, "element " + i + ": " + y[i]);
            }
            assertTrue(zeros > 0 && zeros < x.length, "dropout zeroed " + zeros + " of " + x.length);
            Tensor same = c.model.forward(c.x, ForwardContext.eval());
            assertTrue(java.util.Arrays.equals(x, ReferenceBackend.values(same)), "evaluation is the identity");
        }
    }
}
