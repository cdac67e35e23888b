package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * im2col, col2im, max and average pooling, forward and backward, against the float64 {@link Ref}. Outputs start
 * as noise (the ops WRITE), every tensor is a guarded view at an odd offset, and the backwards give the same bits on
 * a second run and on a one-thread backend (they are gathers with one order per element).
 */
final class ImageChecks {
    private ImageChecks() {}

    /** One image shape {@code [n, h, w, c]} and window. */
    record Case(int n, int h, int w, int c, Window2d win) {
        int[] image() { return new int[] {n, h, w, c}; }

        int ho() { return win.outHeight(h); }

        int wo() { return win.outWidth(w); }

        int[] pooled() { return new int[] {n, ho(), wo(), c}; }

        int rows() { return n * ho() * wo(); }

        int cols() { return c * win.kh() * win.kw(); }

        int imageSize() { return n * h * w * c; }

        /** The most windows that cover one pixel: the count of terms in a backward's sum. */
        int overlap() {
            return ceilDiv(win.kh(), win.sh()) * ceilDiv(win.kw(), win.sw());
        }

        /** Max pooling takes padding up to half the kernel. */
        boolean poolable() { return 2 * win.ph() <= win.kh() && 2 * win.pw() <= win.kw(); }

        @Override
        public String toString() {
            return Data.shape(image()) + " " + win.kh() + "x" + win.kw() + " stride " + win.sh() + "x" + win.sw()
                    + " pad " + win.ph() + "x" + win.pw();
        }
    }

    /**
     * 1x1 images (with a 1x1 kernel, and a 3x3 one padded by 1); channels 1, 3, 5 and 8; stride 2 over 7x5; padding
     * 0, 1 and 2; non-square kernels and strides; a window of the whole image (global pooling); and LeNet's first
     * layer on 4 images of 28x28x6 (5x5, padding 2), where a CPU backend splits every loop over its threads; and
     * 5 images of 15x13x8, where a 2-thread CPU backend splits im2col's 975 rows in the middle of an output row;
     * paddings at least the kernel (windows wholly in the padding: zeros for im2col and average pooling).
     */
    static final Case[] CASES = {
        new Case(1, 1, 1, 1, Window2d.square(1, 1, 0)),
        new Case(2, 1, 1, 3, Window2d.square(3, 1, 1)),
        new Case(2, 7, 5, 3, new Window2d(3, 2, 2, 2, 1, 0)),
        new Case(3, 7, 5, 5, Window2d.square(5, 2, 2)),
        new Case(1, 7, 5, 1, Window2d.square(3, 2, 2)),
        new Case(2, 6, 5, 3, new Window2d(6, 5, 1, 1, 0, 0)),
        new Case(1, 9, 8, 5, new Window2d(2, 3, 1, 2, 1, 1)),
        new Case(2, 4, 4, 8, Window2d.square(2, 2, 0)),
        new Case(4, 28, 28, 6, Window2d.square(5, 1, 2)),
        new Case(5, 15, 13, 8, Window2d.square(3, 1, 1)),
        new Case(2, 3, 2, 1, Window2d.square(1, 1, 2)),
        new Case(1, 2, 3, 2, new Window2d(2, 1, 1, 1, 3, 1)),
    };

    /** Exact: im2col copies; padding entries are 0. */
    static void im2col(Backend be) {
        Random r = new Random(91);
        for (Case k : CASES) {
            float[] x = Data.gaussian(r, k.imageSize(), 1);
            String what = "im2col " + k;
            try (Guarded gx = Guarded.floats(be, x, k.image());
                 Guarded gc = Guarded.floats(be, Data.gaussian(r, k.rows() * k.cols(), 1), k.rows(), k.cols())) {
                be.im2col(gx.view, k.win(), gc.view);
                Tensor rc = Ref.zeros(k.rows(), k.cols());
                Ref.BE.im2col(Ref.floats(x, k.image()), k.win(), rc);
                Approx.assertExact(what, gc.floats(), Ref.values(rc));
                Guarded.assertAllGuardsIntact(what, gx, gc);
            }
        }
    }

    /**
     * Tolerance {@code (m + 2) eps sum |col|} per pixel, m the most windows covering a pixel (the terms of its float
     * sum). Adjointness: {@code <col2im(c), x> = <c, im2col(x)>} from the backend's own two ops, up to the same bound
     * summed against {@code |x|}. Deterministic across runs and thread counts.
     */
    static void col2im(Backend be, Backend oneThread) {
        Random r = new Random(92);
        for (Case k : CASES) {
            float[] col = Data.gaussian(r, k.rows() * k.cols(), 1);
            float[] x = Data.gaussian(r, k.imageSize(), 1);
            String what = "col2im " + k;
            Tensor rdx = Ref.zeros(k.image());
            Ref.BE.col2im(Ref.floats(col, k.rows(), k.cols()), k.win(), rdx);
            Tensor mag = Ref.zeros(k.image());
            Ref.BE.col2im(Ref.absFloats(col, k.rows(), k.cols()), k.win(), mag);
            double[] magnitude = Ref.values(mag);
            double[] tol = scaled(magnitude, (k.overlap() + 2) * EPS);
            float[] dx = col2im(be, what, k, col);
            Approx.assertClose(what, dx, Ref.values(rdx), tol);
            assertArrayEquals(dx, col2im(be, what, k, col), what + ": a second run gave other bits");
            assertArrayEquals(dx, col2im(oneThread, what, k, col), what + ": a one-thread backend gave other bits");
            float[] unfolded;
            try (Guarded gx = Guarded.floats(be, x, k.image());
                 Guarded gc = Guarded.floats(be, new float[k.rows() * k.cols()], k.rows(), k.cols())) {
                be.im2col(gx.view, k.win(), gc.view);
                unfolded = gc.floats();
            }
            double left = 0;
            double bound = 0;
            for (int i = 0; i < x.length; i++) {
                left += (double) dx[i] * x[i];
                bound += (tol[i] + magnitude[i] * 0x1p-50) * Math.abs(x[i]);   // and the double sums' own rounding
            }
            double right = 0;
            for (int i = 0; i < col.length; i++) {
                right += (double) col[i] * unfolded[i];
            }
            if (Math.abs(left - right) > bound + 1e-300) {
                fail(what + ": <col2im(c), x> = " + left + " but <c, im2col(x)> = " + right + ", |difference| "
                        + Math.abs(left - right) + " > " + bound + " (col2im must be the adjoint of im2col)");
            }
        }
    }

    private static float[] col2im(Backend be, String what, Case k, float[] col) {
        try (Guarded gc = Guarded.floats(be, col, k.rows(), k.cols());
             Guarded gx = Guarded.floats(be, Data.gaussian(new Random(1), k.imageSize(), 1), k.image())) {
            be.col2im(gc.view, k.win(), gx.view);
            Guarded.assertAllGuardsIntact(what, gc, gx);
            return gx.floats();
        }
    }

    /**
     * Inputs on a grid of halves (many ties: the first maximum must win) with NaNs at a few places (the first NaN of a
     * window wins); exact, values and argmax indices.
     */
    static void maxPool2dForward(Backend be) {
        Random r = new Random(93);
        for (Case k : CASES) {
            if (!k.poolable()) {
                continue;
            }
            float[] x = ties(r, k.imageSize());
            String what = "maxPool2dForward " + k;
            int out = k.rows() * k.c();
            try (Guarded gx = Guarded.floats(be, x, k.image());
                 Guarded gy = Guarded.floats(be, Data.gaussian(r, out, 1), k.pooled());
                 Guarded ga = Guarded.ints(be, new int[out], k.pooled())) {
                be.maxPool2dForward(gx.view, k.win(), gy.view, ga.view);
                Tensor ry = Ref.zeros(k.pooled());
                Tensor ra = Ref.BE.allocate(dev.quadrant.device.DType.INT32, k.pooled());
                Ref.BE.maxPool2dForward(Ref.floats(x, k.image()), k.win(), ry, ra);
                Approx.assertExact(what + " y", gy.floats(), Ref.values(ry));
                assertArrayEquals(Ref.ints(ra), ga.ints(), what + " argmax");
                Guarded.assertAllGuardsIntact(what, gx, gy, ga);
            }
        }
    }

    /**
     * From the reference's argmax of tied inputs: tolerance {@code (m + 2) eps sum |dy|} over the windows whose
     * maximum a pixel is; an argmax of -1 and one moved to another pixel of its plane (outside its window unless the
     * window covers that pixel) add nothing. Deterministic across runs and thread counts.
     */
    static void maxPool2dBackward(Backend be, Backend oneThread) {
        Random r = new Random(94);
        for (Case k : CASES) {
            if (!k.poolable()) {
                continue;
            }
            int out = k.rows() * k.c();
            Tensor ra = Ref.BE.allocate(dev.quadrant.device.DType.INT32, k.pooled());
            Ref.BE.maxPool2dForward(Ref.floats(ties(r, k.imageSize()), k.image()), k.win(), Ref.zeros(k.pooled()), ra);
            int[] argmax = Ref.ints(ra);
            if (out > 1 && k.imageSize() > 1) {
                argmax[out - 1] = argmax[out - 1] == 0 ? k.h() * k.w() - 1 : 0;   // another pixel of the plane
                argmax[0] = -1;
            }
            float[] dy = Data.gaussian(r, out, 1);
            String what = "maxPool2dBackward " + k;
            Tensor rdx = Ref.zeros(k.image());
            Ref.BE.maxPool2dBackward(Ref.floats(dy, k.pooled()), Ref.ints(argmax, k.pooled()), k.win(), rdx);
            Tensor mag = Ref.zeros(k.image());
            Ref.BE.maxPool2dBackward(Ref.absFloats(dy, k.pooled()), Ref.ints(argmax, k.pooled()), k.win(), mag);
            double[] tol = scaled(Ref.values(mag), (k.overlap() + 2) * EPS);
            float[] dx = maxPoolBackward(be, what, k, dy, argmax);
            Approx.assertClose(what, dx, Ref.values(rdx), tol);
            assertArrayEquals(dx, maxPoolBackward(be, what, k, dy, argmax), what + ": a second run gave other bits");
            assertArrayEquals(dx, maxPoolBackward(oneThread, what, k, dy, argmax),
                    what + ": a one-thread backend gave other bits");
        }
    }

    private static float[] maxPoolBackward(Backend be, String what, Case k, float[] dy, int[] argmax) {
        try (Guarded gd = Guarded.floats(be, dy, k.pooled()); Guarded ga = Guarded.ints(be, argmax, k.pooled());
             Guarded gx = Guarded.floats(be, Data.gaussian(new Random(2), k.imageSize(), 1), k.image())) {
            be.maxPool2dBackward(gd.view, ga.view, k.win(), gx.view);
            Guarded.assertAllGuardsIntact(what, gd, ga, gx);
            return gx.floats();
        }
    }

    /** Tolerance {@code (kh kw + 2) eps} times the window mean of {@code |x|} (a float sum, then one division). */
    static void avgPool2dForward(Backend be) {
        Random r = new Random(95);
        for (Case k : CASES) {
            float[] x = Data.gaussian(r, k.imageSize(), 1);
            String what = "avgPool2dForward " + k;
            try (Guarded gx = Guarded.floats(be, x, k.image());
                 Guarded gy = Guarded.floats(be, Data.gaussian(r, k.rows() * k.c(), 1), k.pooled())) {
                be.avgPool2dForward(gx.view, k.win(), gy.view);
                Tensor ry = Ref.zeros(k.pooled());
                Ref.BE.avgPool2dForward(Ref.floats(x, k.image()), k.win(), ry);
                Tensor mag = Ref.zeros(k.pooled());
                Ref.BE.avgPool2dForward(Ref.absFloats(x, k.image()), k.win(), mag);
                Approx.assertClose(what, gy.floats(), Ref.values(ry),
                        scaled(Ref.values(mag), (k.win().kh() * k.win().kw() + 2) * EPS));
                Guarded.assertAllGuardsIntact(what, gx, gy);
            }
        }
    }

    /** Tolerance {@code (m + 2) eps sum |dy| / (kh kw)}; deterministic across runs and thread counts. */
    static void avgPool2dBackward(Backend be, Backend oneThread) {
        Random r = new Random(96);
        for (Case k : CASES) {
            float[] dy = Data.gaussian(r, k.rows() * k.c(), 1);
            String what = "avgPool2dBackward " + k;
            Tensor rdx = Ref.zeros(k.image());
            Ref.BE.avgPool2dBackward(Ref.floats(dy, k.pooled()), k.win(), rdx);
            Tensor mag = Ref.zeros(k.image());
            Ref.BE.avgPool2dBackward(Ref.absFloats(dy, k.pooled()), k.win(), mag);
            float[] dx = avgPoolBackward(be, what, k, dy);
            Approx.assertClose(what, dx, Ref.values(rdx), scaled(Ref.values(mag), (k.overlap() + 2) * EPS));
            assertArrayEquals(dx, avgPoolBackward(be, what, k, dy), what + ": a second run gave other bits");
            assertArrayEquals(dx, avgPoolBackward(oneThread, what, k, dy),
                    what + ": a one-thread backend gave other bits");
        }
    }

    private static float[] avgPoolBackward(Backend be, String what, Case k, float[] dy) {
        try (Guarded gd = Guarded.floats(be, dy, k.pooled());
             Guarded gx = Guarded.floats(be, Data.gaussian(new Random(3), k.imageSize(), 1), k.image())) {
            be.avgPool2dBackward(gd.view, k.win(), gx.view);
            Guarded.assertAllGuardsIntact(what, gd, gx);
            return gx.floats();
        }
    }

    /** Halves in [-2, 2] (ties in most windows), a NaN at every 37th element. */
    private static float[] ties(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 37 == 11 ? Float.NaN : (r.nextInt(9) - 4) / 2f;
        }
        return x;
    }

    static double[] scaled(double[] mag, double factor) {
        double[] tol = new double[mag.length];
        for (int i = 0; i < mag.length; i++) {
            tol[i] = factor * mag[i];
        }
        return tol;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
