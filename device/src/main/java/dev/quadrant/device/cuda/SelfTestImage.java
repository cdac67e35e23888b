package dev.quadrant.device.cuda;

import static dev.quadrant.device.cuda.SelfTest.Checker.compare;
import static dev.quadrant.device.cuda.SelfTest.Checker.exact;
import static dev.quadrant.device.cuda.SelfTest.Checker.exactBits;
import static dev.quadrant.device.cuda.SelfTest.Checker.want;

import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.cuda.SelfTest.Checker;
import dev.quadrant.device.cuda.SelfTest.Checker.Mismatch;
import dev.quadrant.device.reference.ReferenceBackend;

/**
 * The self-test's checks of the image ops (im2col, col2im, max and average pooling) at the sizes of a small
 * convnet layer over odd channels-last images {@code [4, 13, 11, 5]}: each runs the op on the backend under test and
 * on the float64 reference with the same inputs, twice where the result must be bit-reproducible (the backward
 * passes), and returns its detail line or throws {@link Mismatch}. Stateless.
 */
final class SelfTestImage {
    private SelfTestImage() {}

    private static final int[] IMAGE = {4, 13, 11, 5};
    private static final int SIZE = IMAGE[0] * IMAGE[1] * IMAGE[2] * IMAGE[3];

    /** im2col exact and col2im within float rounding, for a 3x3 "same" window and a 3x2 window of stride 2. */
    static String im2col(Checker c) {
        String r = "";
        for (Window2d w : new Window2d[] {Window2d.square(3, 1, 1), new Window2d(3, 2, 2, 2, 1, 0)}) {
            int rows = IMAGE[0] * w.outHeight(IMAGE[1]) * w.outWidth(IMAGE[2]);
            int width = IMAGE[3] * w.kh() * w.kw();
            float[] x = c.randn(SIZE, 1);
            float[] dcol = c.randn(rows * width, 1);
            Tensor rcol = c.ref.allocate(DType.FLOAT32, rows, width);
            c.ref.im2col(c.refFloats(x, IMAGE), w, rcol);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, IMAGE);
            c.ref.col2im(c.refFloats(dcol, rows, width), w, rdx);
            try (Tensor tx = c.put(x, IMAGE); Tensor tcol = c.be.allocate(DType.FLOAT32, rows, width);
                 Tensor tdcol = c.put(dcol, rows, width); Tensor tdx = c.be.allocate(DType.FLOAT32, IMAGE)) {
                c.be.im2col(tx, w, tcol);
                exactBits("im2col " + w, c.get(tcol), floats(want(rcol)));
                r = compare("col2im " + w, twice(c, () -> c.be.col2im(tdcol, w, tdx), tdx), want(rdx), 1e-5, null);
            }
        }
        return r;
    }

    /** Max pooling 2x2/2 and 3x3/2 pad 1 with ties and NaNs: values and argmax exact, the backward reproducible. */
    static String maxPool(Checker c) {
        String r = "";
        for (Window2d w : new Window2d[] {Window2d.square(2, 2, 0), Window2d.square(3, 2, 1)}) {
            int[] os = {IMAGE[0], w.outHeight(IMAGE[1]), w.outWidth(IMAGE[2]), IMAGE[3]};
            int n = os[0] * os[1] * os[2] * os[3];
            float[] x = c.randn(SIZE, 1);
            for (int i = 0; i < SIZE; i += 17) {
                x[i] = i % 3 == 0 ? Float.NaN : x[(i + 5) % SIZE];   // NaNs win; equal values: the first wins
            }
            float[] dy = c.randn(n, 1);
            Tensor ry = c.ref.allocate(DType.FLOAT32, os);
            Tensor rarg = c.ref.allocate(DType.INT32, os);
            c.ref.maxPool2dForward(c.refFloats(x, IMAGE), w, ry, rarg);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, IMAGE);
            c.ref.maxPool2dBackward(c.refFloats(dy, os), rarg, w, rdx);
            try (Tensor tx = c.put(x, IMAGE); Tensor ty = c.be.allocate(DType.FLOAT32, os);
                 Tensor targ = c.be.allocate(DType.INT32, os); Tensor tdy = c.put(dy, os);
                 Tensor tdx = c.be.allocate(DType.FLOAT32, IMAGE)) {
                c.be.maxPool2dForward(tx, w, ty, targ);
                exactBits("maxPool2dForward " + w, c.get(ty), floats(want(ry)));
                exact("maxPool2dForward argmax " + w, c.geti(targ), ReferenceBackend.ints(rarg));
                r = compare("maxPool2dBackward " + w, twice(c, () -> c.be.maxPool2dBackward(tdy, targ, w, tdx), tdx),
                        want(rdx), 1e-5, null);
            }
        }
        return r;
    }

    /** Average pooling 2x2/2, 3x3/2 pad 1 (padding counted) and global (13x11), forward and backward. */
    static String avgPool(Checker c) {
        String r = "";
        for (Window2d w : new Window2d[] {Window2d.square(2, 2, 0), Window2d.square(3, 2, 1),
            new Window2d(IMAGE[1], IMAGE[2], 1, 1, 0, 0)}) {
            int[] os = {IMAGE[0], w.outHeight(IMAGE[1]), w.outWidth(IMAGE[2]), IMAGE[3]};
            int n = os[0] * os[1] * os[2] * os[3];
            float[] x = c.randn(SIZE, 1);
            float[] dy = c.randn(n, 1);
            Tensor ry = c.ref.allocate(DType.FLOAT32, os);
            c.ref.avgPool2dForward(c.refFloats(x, IMAGE), w, ry);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, IMAGE);
            c.ref.avgPool2dBackward(c.refFloats(dy, os), w, rdx);
            try (Tensor tx = c.put(x, IMAGE); Tensor ty = c.be.allocate(DType.FLOAT32, os); Tensor tdy = c.put(dy, os);
                 Tensor tdx = c.be.allocate(DType.FLOAT32, IMAGE)) {
                c.be.avgPool2dForward(tx, w, ty);
                compare("avgPool2dForward " + w, c.get(ty), want(ry), 1e-5, null);
                r = compare("avgPool2dBackward " + w, twice(c, () -> c.be.avgPool2dBackward(tdy, w, tdx), tdx),
                        want(rdx), 1e-5, null);
            }
        }
        return r;
    }

    /** Runs {@code op} (which writes {@code out}) twice; the two results must be the same bits. */
    private static float[] twice(Checker c, Runnable op, Tensor out) {
        op.run();
        float[] first = c.get(out);
        c.be.fill(out, Float.NaN);
        op.run();
        exactBits("second run (must be bit-reproducible)", c.get(out), first);
        return first;
    }

    private static float[] floats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
