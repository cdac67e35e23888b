package dev.quadrant.trainer.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.DType;
import dev.quadrant.device.Window2d;

/**
 * A convolution's column buffers ({@code col} SAVED, {@code dcol} SCRATCH) are placed only for backends whose
 * convolution uses them: without, they take no space and are marked absent, and nothing else moves.
 */
class ConvolutionColumnsTest {
    private static Model model() {
        return new Model(new Sequential(List.of(new Conv2d(4, Window2d.square(3, 1, 1), true), new Flatten())),
                new int[] {8, 8, 2}, DType.FLOAT32);
    }

    @Test
    void theColumnBuffersTakeSpaceOnlyWhenTheBackendUsesThem() {
        int rows = 16;
        long columnFloats = (long) rows * 8 * 8 * 2 * 3 * 3;   // [rows * Ho * Wo, C * kh * kw]
        ActivationPlan with = model().plan(rows, true);
        ActivationPlan without = model().plan(rows, false);
        assertEquals(with.bytes(ActivationPlan.Kind.SAVED) - 4 * columnFloats,
                without.bytes(ActivationPlan.Kind.SAVED), "col is the saved difference");
        assertEquals(with.bytes(ActivationPlan.Kind.SCRATCH) - 4 * columnFloats,
                without.bytes(ActivationPlan.Kind.SCRATCH), "dcol is the scratch difference");
        assertEquals(with.bytes(ActivationPlan.Kind.GRADIENT), without.bytes(ActivationPlan.Kind.GRADIENT));
        long absent = without.slots().stream().filter(ActivationPlan.Slot::absent).count();
        assertEquals(2, absent, without.slots().toString());
        assertTrue(without.slots().stream().filter(ActivationPlan.Slot::absent)
                .allMatch(s -> s.name().endsWith("col") && s.elements(rows) == 0), without.slots().toString());
        assertFalse(with.slots().stream().anyMatch(ActivationPlan.Slot::absent));
        assertEquals(with.bytes(), model().plan(rows).bytes(), "plan(rows) places everything");
    }
}
