package dev.quadrant.device.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * The reference image ops pinned by hand: im2col's column order, padding, the adjoint, max pooling's ties and NaNs,
 * average pooling counting padding, and the argument messages (op, argument, shape seen, shape the window implies).
 */
class ReferenceImageOpsTest {
    private final ReferenceBackend ref = new ReferenceBackend();

    private Tensor t(double[] v, int... shape) {
        Tensor x = ref.allocate(DType.FLOAT32, shape);
        ReferenceBackend.setValues(x, v);
        return x;
    }

    @Test
    void im2colOrdersColumnsAsATorchWeightAndPadsWithZeros() {
        // x [1, 2, 2, 2]: channel 0 = [[1, 2], [3, 4]], channel 1 = 10x that; 2x2 kernel, stride 1, padding 0:
        // one row
        Tensor x = t(new double[] {1, 10, 2, 20, 3, 30, 4, 40}, 1, 2, 2, 2);
        Tensor col = ref.allocate(DType.FLOAT32, 1, 8);
        ref.im2col(x, Window2d.square(2, 1, 0), col);
        assertArrayEquals(new double[] {1, 2, 3, 4, 10, 20, 30, 40}, ReferenceBackend.values(col));
        // 1x1 channel image [1, 1, 1, 1] = 5 with a 3x3 kernel and padding 1: only the centre is the pixel
        Tensor one = t(new double[] {5}, 1, 1, 1, 1);
        Tensor c9 = ref.allocate(DType.FLOAT32, 1, 9);
        ref.im2col(one, Window2d.square(3, 1, 1), c9);
        assertArrayEquals(new double[] {0, 0, 0, 0, 5, 0, 0, 0, 0}, ReferenceBackend.values(c9));
        // and back: col2im puts the centre back, drops the padding entries
        ReferenceBackend.setValues(c9, new double[] {1, 1, 1, 1, 7, 1, 1, 1, 1});
        ref.col2im(c9, Window2d.square(3, 1, 1), one);
        assertArrayEquals(new double[] {7}, ReferenceBackend.values(one));
    }

    @Test
    void col2imSumsOverlappingWindows() {
        // [1, 1, 3, 1] with a 1x2 kernel, stride 1: windows (0, 1) and (1, 2); all-ones col gives 1, 2, 1
        Tensor col = t(new double[] {1, 1, 1, 1}, 2, 2);
        Tensor dx = ref.allocate(DType.FLOAT32, 1, 1, 3, 1);
        ref.col2im(col, new Window2d(1, 2, 1, 1, 0, 0), dx);
        assertArrayEquals(new double[] {1, 2, 1}, ReferenceBackend.values(dx));
    }

    @Test
    void maxPoolTakesTheFirstMaximumAndTheFirstNaN() {
        double nan = Double.NaN;
        // [1, 2, 4, 1] = [[3, 3, 1, nan], [0, 2, nan, 9]], 2x2 windows, stride 2
        Tensor x = t(new double[] {3, 3, 1, nan, 0, 2, nan, 9}, 1, 2, 4, 1);
        Tensor y = ref.allocate(DType.FLOAT32, 1, 1, 2, 1);
        Tensor a = ref.allocate(DType.INT32, 1, 1, 2, 1);
        Window2d w = Window2d.square(2, 2, 0);
        ref.maxPool2dForward(x, w, y, a);
        double[] yv = ReferenceBackend.values(y);
        assertEquals(3, yv[0]);
        assertTrue(Double.isNaN(yv[1]));
        assertArrayEquals(new int[] {0, 3}, ReferenceBackend.ints(a));   // (0, 0) of the tie; the NaN at (0, 3)
        Tensor dy = t(new double[] {5, 7}, 1, 1, 2, 1);
        Tensor dx = ref.allocate(DType.FLOAT32, 1, 2, 4, 1);
        ref.maxPool2dBackward(dy, a, w, dx);
        assertArrayEquals(new double[] {5, 0, 0, 7, 0, 0, 0, 0}, ReferenceBackend.values(dx));
        // an argmax outside its window (index 0 for the second window) adds nothing
        ref.upload(new int[] {0, 0}, 0, a);
        ref.maxPool2dBackward(dy, a, w, dx);
        assertArrayEquals(new double[] {5, 0, 0, 0, 0, 0, 0, 0}, ReferenceBackend.values(dx));
    }

    @Test
    void avgPoolCountsPaddingAndItsBackwardSpreadsEvenly() {
        // [1, 1, 1, 1] = 4 with a 2x2 window, padding 1, stride 1 -> [1, 2, 2, 1], each window holds the pixel once
        Tensor x = t(new double[] {4}, 1, 1, 1, 1);
        Tensor y = ref.allocate(DType.FLOAT32, 1, 2, 2, 1);
        Window2d w = Window2d.square(2, 1, 1);
        ref.avgPool2dForward(x, w, y);
        assertArrayEquals(new double[] {1, 1, 1, 1}, ReferenceBackend.values(y));
        Tensor dy = t(new double[] {1, 2, 3, 4}, 1, 2, 2, 1);
        ref.avgPool2dBackward(dy, w, x);
        assertArrayEquals(new double[] {2.5}, ReferenceBackend.values(x));
    }

    @Test
    void argumentsAreCheckedWithTheShapeTheWindowImplies() {
        Tensor x = ref.allocate(DType.FLOAT32, 2, 7, 5, 3);
        Window2d w = new Window2d(3, 2, 2, 2, 1, 0);   // Ho = (7 + 2 - 3) / 2 + 1 = 4, Wo = (5 - 2) / 2 + 1 = 2
        Tensor col = ref.allocate(DType.FLOAT32, 16, 18);
        ref.im2col(x, w, col);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ref.im2col(x, w, ref.allocate(DType.FLOAT32, 16, 17)));
        assertTrue(e.getMessage().startsWith("im2col: col has shape [16, 17], expected [16, 18]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.avgPool2dForward(x, w, ref.allocate(DType.FLOAT32, 2, 4, 3, 3)));
        assertTrue(e.getMessage().startsWith("avgPool2dForward: y has shape [2, 4, 3, 3], expected [2, 4, 2, 3]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.avgPool2dForward(x, Window2d.square(8, 1, 0), ref.allocate(DType.FLOAT32, 2, 1, 1, 3)));
        assertTrue(e.getMessage().contains("avgPool2dForward: x has shape [2, 7, 5, 3], too small")
                && e.getMessage().contains("does not fit an input height of 7"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ref.maxPool2dForward(x, Window2d.square(2, 1, 2),
                ref.allocate(DType.FLOAT32, 2, 10, 8, 3), ref.allocate(DType.INT32, 2, 10, 8, 3)));
        assertTrue(e.getMessage().contains("more than half the kernel"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ref.maxPool2dForward(x, w,
                ref.allocate(DType.FLOAT32, 2, 4, 2, 3), ref.allocate(DType.FLOAT32, 2, 4, 2, 3)));
        assertTrue(e.getMessage().contains("argmax has dtype FLOAT32, expected INT32"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.col2im(col, w, ref.allocate(DType.FLOAT32, 7, 5, 3)));
        assertTrue(e.getMessage().startsWith("col2im: dx has shape [7, 5, 3], expected a 4-D [N, H, W, C]"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ref.im2col(x, null, col));
        assertTrue(e.getMessage().startsWith("im2col: window is null"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new Window2d(2, 2, 0, 1, 0, 0));
        assertTrue(e.getMessage().contains("stride must be >= 1"), e.getMessage());
        Tensor flat = ref.allocate(DType.FLOAT32, 2 * 7 * 5 * 3 + 16 * 18);
        e = assertThrows(IllegalArgumentException.class,
                () -> ref.im2col(flat.view(0, 2, 7, 5, 3), w, flat.view(100, 16, 18)));
        assertTrue(e.getMessage().contains("im2col: x (bytes") && e.getMessage().contains("overlap"), e.getMessage());
    }
}
