package dev.quadrant.device.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.reference.ReferenceBackend;
import dev.quadrant.kernels.ImageWindow;
import org.junit.jupiter.api.Test;

/**
 * The image kernels ({@code image.cu}) through the real launchers on the host emulator, against the float64
 * {@link ReferenceBackend} running the same op, on odd shapes: 1x1 images, channels 1, 3 and 5, 7x5 images with
 * stride 2, paddings 0, 1 and 2, non-square windows, global pooling ({@code kh = H, kw = W}) and one case larger than
 * the emulator's 4096-thread grid (grid-stride loops). Exact where the contract is exact (im2col, max pooling's values
 * and argmax, with NaNs, any NaN matching any NaN); 1e-5 relative plus 1e-5 absolute for sums. Every kernel runs twice and must give the same
 * bits (the backward passes are gathers in a fixed order). Skipped when g++ is missing.
 */
class EmulatedImageKernelsTest extends EmulatorTest {
    /** Images {N, H, W, C}. */
    private static final int[][] IMAGES = {{2, 1, 1, 3}, {1, 7, 5, 1}, {2, 7, 5, 3}, {1, 6, 6, 5}, {3, 4, 9, 2}};

    EmulatedImageKernelsTest() {
        super(11L);
    }

    /** The windows tried on an image of {@code h x w}: those that fit, and the global window. */
    private static List<Window2d> windows(int h, int w) {
        Window2d[] all = {
            Window2d.square(1, 1, 0), Window2d.square(3, 1, 1), Window2d.square(2, 2, 0), Window2d.square(3, 2, 1),
            new Window2d(3, 2, 2, 1, 1, 0), new Window2d(2, 3, 1, 2, 0, 1), new Window2d(5, 4, 2, 2, 2, 2),
            new Window2d(1, 3, 2, 2, 0, 1), new Window2d(h, w, 1, 1, 0, 0),
        };
        List<Window2d> out = new ArrayList<>();
        for (Window2d win : all) {
            if (h + 2 * win.ph() >= win.kh() && w + 2 * win.pw() >= win.kw()) {
                out.add(win);
            }
        }
        return out;
    }

    /** Every (image, window) case, plus one whose col has more elements than the emulator's grid has threads. */
    private static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (int[] img : IMAGES) {
            for (Window2d win : windows(img[1], img[2])) {
                out.add(new Object[] {img, win});
            }
        }
        out.add(new Object[] {new int[] {2, 12, 10, 8}, Window2d.square(3, 1, 1)});
        return out;
    }

    private static ImageWindow geometry(int[] img, Window2d w) {
        return new ImageWindow(img[0], img[1], img[2], img[3], w.kh(), w.kw(), w.sh(), w.sw(), w.ph(), w.pw());
    }

    private static String name(String op, int[] img, Window2d w) {
        return op + " [" + img[0] + "," + img[1] + "," + img[2] + "," + img[3] + "] " + w;
    }

    private static void exact(String what, float[] got, double[] want) {
        assertEquals(want.length, got.length, what + ": length");
        for (int i = 0; i < want.length; i++) {
            float w = (float) want[i];
            if (!(Float.isNaN(w) && Float.isNaN(got[i]))) {
                assertEquals(Float.floatToRawIntBits(w), Float.floatToRawIntBits(got[i]),
                        what + ": element " + i + " got " + got[i] + " expected " + w + " (exact)");
            }
        }
    }

    /** Runs {@code launch} twice into fresh garbage-filled outputs; returns the first result after checking the second. */
    private float[] twice(String what, int n, LongConsumer launch) {
        long a = emu.floats(randn(n, 1));   // garbage: every element must be written
        long b = emu.floats(randn(n, 1));
        launch.accept(a);
        launch.accept(b);
        float[] got = emu.readFloats(a);
        assertArrayEquals(got, emu.readFloats(b), what + ": two runs differ");
        return got;
    }

    @Test
    void im2colCopiesWindowsExactlyAndCol2imIsItsAdjoint() {
        for (Object[] c : cases()) {
            int[] img = (int[]) c[0];
            Window2d w = (Window2d) c[1];
            ImageWindow g = geometry(img, w);
            int rows = img[0] * g.ho() * g.wo();
            int width = img[3] * w.kh() * w.kw();
            float[] x = randn((int) g.inputSize(), 1);
            long px = emu.floats(x);
            float[] col = twice(name("im2col", img, w), rows * width, out -> k.im2col(null, px, out, g));
            Tensor rcol = ref.zeros(rows, width);
            rb.im2col(ref.floats(x, img), w, rcol);
            exact(name("im2col", img, w), col, RefTensors.values(rcol));

            float[] dcol = randn(rows * width, 1);
            long pdcol = emu.floats(dcol);
            float[] dx = twice(name("col2im", img, w), (int) g.inputSize(), out -> k.col2im(null, pdcol, out, g));
            Tensor rdx = ref.zeros(img);
            rb.col2im(ref.floats(dcol, rows, width), w, rdx);
            near(name("col2im", img, w), dx, RefTensors.values(rdx));
        }
    }

    @Test
    void maxPoolingTakesTheFirstMaximumNanWinsAndRoutesGradientsToIt() {
        int checked = 0;
        for (Object[] c : cases()) {
            int[] img = (int[]) c[0];
            Window2d w = (Window2d) c[1];
            if (2 * w.ph() > w.kh() || 2 * w.pw() > w.kw()) {
                continue;   // max pooling pads at most half the kernel (every window holds an image element)
            }
            ImageWindow g = geometry(img, w);
            int n = (int) g.outputSize();
            float[] x = randn((int) g.inputSize(), 1);
            for (int i = 0; i < x.length; i += 7) {
                x[i] = x[(i + 3) % x.length];   // ties: the first one wins
            }
            for (int i = 5; i < x.length; i += 11) {
                x[i] = Float.NaN;   // NaN wins, the first of several
            }
            String what = name("maxPool2dForward", img, w);
            long px = emu.floats(x);
            long y1 = emu.floats(randn(n, 1));
            long y2 = emu.floats(randn(n, 1));
            long arg1 = emu.ints(new int[n]);
            long arg2 = emu.ints(new int[n]);
            k.maxPool2dForward(null, px, y1, arg1, g);
            k.maxPool2dForward(null, px, y2, arg2, g);
            float[] y = emu.readFloats(y1);
            int[] argmax = emu.readInts(arg1);
            assertArrayEquals(y, emu.readFloats(y2), what + ": y differs between runs");
            assertArrayEquals(argmax, emu.readInts(arg2), what + ": argmax differs between runs");
            Tensor ry = ref.zeros(img[0], g.ho(), g.wo(), img[3]);
            Tensor rarg = rb.allocate(DType.INT32, img[0], g.ho(), g.wo(), img[3]);
            rb.maxPool2dForward(ref.floats(x, img), w, ry, rarg);
            exact(what + " y", y, RefTensors.values(ry));
            assertArrayEquals(RefTensors.ints(rarg), argmax, what + ": argmax");

            float[] dy = randn(n, 1);
            if (n > 2) {
                argmax[n / 2] = (argmax[n / 2] + g.h() * g.w() / 2 + 1) % (g.h() * g.w());   // maybe outside its window
            }
            long pdy = emu.floats(dy);
            long parg = emu.ints(argmax);
            String back = name("maxPool2dBackward", img, w);
            float[] dx = twice(back, (int) g.inputSize(), out -> k.maxPool2dBackward(null, pdy, parg, out, g));
            Tensor rdx = ref.zeros(img);
            rb.maxPool2dBackward(ref.floats(dy, img[0], g.ho(), g.wo(), img[3]),
                    ref.ints(argmax, img[0], g.ho(), g.wo(), img[3]), w, rdx);
            near(back, dx, RefTensors.values(rdx));
            checked++;
        }
        assertTrue(checked >= 20, "only " + checked + " max-pooling cases ran");
    }

    @Test
    void averagePoolingCountsPaddingAsZeros() {
        for (Object[] c : cases()) {
            int[] img = (int[]) c[0];
            Window2d w = (Window2d) c[1];
            ImageWindow g = geometry(img, w);
            int n = (int) g.outputSize();
            float[] x = randn((int) g.inputSize(), 1);
            long px = emu.floats(x);
            String what = name("avgPool2dForward", img, w);
            float[] y = twice(what, n, out -> k.avgPool2dForward(null, px, out, g));
            Tensor ry = ref.zeros(img[0], g.ho(), g.wo(), img[3]);
            rb.avgPool2dForward(ref.floats(x, img), w, ry);
            near(what, y, RefTensors.values(ry));

            float[] dy = randn(n, 1);
            long pdy = emu.floats(dy);
            String back = name("avgPool2dBackward", img, w);
            float[] dx = twice(back, (int) g.inputSize(), out -> k.avgPool2dBackward(null, pdy, out, g));
            Tensor rdx = ref.zeros(img);
            rb.avgPool2dBackward(ref.floats(dy, img[0], g.ho(), g.wo(), img[3]), w, rdx);
            near(back, dx, RefTensors.values(rdx));
        }
    }
}
