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

/**
 * The self-test's checks of the image ops (im2col, col2im, convolution, max and average pooling) at the sizes of a small convnet
 * layer over channels-last images: each runs the op on the backend under test and on the float64 reference with the
 * same inputs and returns its detail line or throws {@link Mismatch}. Copies (im2col, max pooling's values and
 * indices) are exact; sums get {@code (terms + 2) eps} times the sum of their magnitudes. Stateless.
 */
final class SelfTestImage {
    private SelfTestImage() {}

    private static final double EPS = 0x1p-23;
    private static final int N = 3;
    private static final int H = 13;
    private static final int W = 11;
    private static final int C = 5;

    /** A 5x3 kernel, stride 2x1, padding 2x1 (odd sizes, some windows in the padding); col2im against its adjoint. */
    static String im2col(Checker c) {
        Window2d w = new Window2d(5, 3, 2, 1, 2, 1);
        int rows = N * w.outHeight(H) * w.outWidth(W);
        int cols = C * w.kh() * w.kw();
        float[] x = c.randn(N * H * W * C, 1);
        float[] col = c.randn(rows * cols, 1);
        Tensor rCol = c.ref.allocate(DType.FLOAT32, rows, cols);
        c.ref.im2col(c.refFloats(x, N, H, W, C), w, rCol);
        Tensor rdx = c.ref.allocate(DType.FLOAT32, N, H, W, C);
        c.ref.col2im(c.refFloats(col, rows, cols), w, rdx);
        Tensor mag = c.ref.allocate(DType.FLOAT32, N, H, W, C);
        c.ref.col2im(c.refAbs(col, rows, cols), w, mag);
        float[] wantCol = new float[rows * cols];
        c.ref.download(rCol, wantCol, 0);
        try (Tensor tx = c.put(x, N, H, W, C); Tensor tc = c.put(col, rows, cols);
             Tensor tu = c.be.allocate(DType.FLOAT32, rows, cols);
             Tensor tdx = c.put(c.randn(x.length, 1), N, H, W, C)) {
            c.be.im2col(tx, w, tu);
            exactBits("im2col", c.get(tu), wantCol);
            c.be.col2im(tc, w, tdx);
            return "im2col exact; " + compare("col2im", c.get(tdx), want(rdx), (3 * 3 + 2) * EPS, want(mag));
        }
    }

    /**
     * conv2dForward (with a bias) and conv2dBackward (weight and bias gradients accumulated onto non-zero values, dx
     * written over noise) with a 3x3 kernel, stride 1, padding 1, 5 -> 4 channels: each sum gets {@code (terms + 2)
     * eps} times the same op on absolute values, or the GEMM tolerance of the precision if larger (TF32 and BF16
     * GEMMs round their operands).
     */
    static String conv2d(Checker c, double gemmTol) {
        Window2d w = Window2d.square(3, 1, 1);
        int out = 4;
        int rows = N * w.outHeight(H) * w.outWidth(W);
        int cols = C * w.kh() * w.kw();
        float[] x = c.randn(N * H * W * C, 1);
        float[] wt = c.randn(out * cols, 0.5);
        float[] b = c.randn(out, 1);
        float[] dy = c.randn(rows * out, 1);
        float[] dw0 = c.randn(out * cols, 1);
        float[] db0 = c.randn(out, 1);
        double[][] want = new double[4][];
        double[][] mag = new double[4][];
        for (int pass = 0; pass < 2; pass++) {
            boolean abs = pass == 1;
            Tensor rx = abs ? c.refAbs(x, N, H, W, C) : c.refFloats(x, N, H, W, C);
            Tensor rw = abs ? c.refAbs(wt, out, cols) : c.refFloats(wt, out, cols);
            Tensor rb = abs ? c.refAbs(b, out) : c.refFloats(b, out);
            Tensor rdy = abs ? c.refAbs(dy, rows, out) : c.refFloats(dy, rows, out);
            Tensor rdw = abs ? c.refAbs(dw0, out, cols) : c.refFloats(dw0, out, cols);
            Tensor rdb = abs ? c.refAbs(db0, out) : c.refFloats(db0, out);
            Tensor rcol = c.ref.allocate(DType.FLOAT32, rows, cols);
            Tensor ry = c.ref.allocate(DType.FLOAT32, rows, out);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, N, H, W, C);
            c.ref.conv2dForward(rx, w, rw, rb, rcol, ry);
            c.ref.conv2dBackward(rx, rdy, w, rw, rcol, c.ref.allocate(DType.FLOAT32, rows, cols), rdw, rdb, rdx);
            double[][] into = abs ? mag : want;
            into[0] = want(ry);
            into[1] = want(rdw);
            into[2] = want(rdb);
            into[3] = want(rdx);
        }
        try (Tensor tx = c.put(x, N, H, W, C); Tensor tw = c.put(wt, out, cols); Tensor tb = c.put(b, out);
             Tensor tdy = c.put(dy, rows, out); Tensor tdw = c.put(dw0, out, cols); Tensor tdb = c.put(db0, out);
             Tensor tcol = c.put(c.randn(rows * cols, 1), rows, cols);
             Tensor tdcol = c.put(c.randn(rows * cols, 1), rows, cols);
             Tensor ty = c.put(c.randn(rows * out, 1), rows, out);
             Tensor tdx = c.put(c.randn(x.length, 1), N, H, W, C)) {
            c.be.conv2dForward(tx, w, tw, tb, tcol, ty);
            String r = compare("y", c.get(ty), want[0], Math.max(gemmTol, (cols + 2) * EPS), mag[0]);
            c.be.conv2dBackward(tx, tdy, w, tw, tcol, tdcol, tdw, tdb, tdx);
            r += "; " + compare("dW", c.get(tdw), want[1], Math.max(gemmTol, (rows + 3) * EPS), mag[1]);
            r += "; " + compare("db", c.get(tdb), want[2], (rows + 3) * EPS, mag[2]);
            return r + "; " + compare("dx", c.get(tdx), want[3], Math.max(gemmTol, (3 * 3 * out + 2) * EPS), mag[3]);
        }
    }

    /** 3x3 windows, stride 2, padding 1, ties and a NaN: values and argmax exact; the backward's gather in order. */
    static String maxPool(Checker c) {
        Window2d w = Window2d.square(3, 2, 1);
        int[] out = {N, w.outHeight(H), w.outWidth(W), C};
        int outSize = out[0] * out[1] * out[2] * out[3];
        float[] x = new float[N * H * W * C];
        for (int i = 0; i < x.length; i++) {
            x[i] = i == 100 ? Float.NaN : c.rnd.nextInt(7) - 3;   // integers: ties in most windows
        }
        float[] dy = c.randn(outSize, 1);
        Tensor ry = c.ref.allocate(DType.FLOAT32, out);
        Tensor ra = c.ref.allocate(DType.INT32, out);
        c.ref.maxPool2dForward(c.refFloats(x, N, H, W, C), w, ry, ra);
        Tensor rdx = c.ref.allocate(DType.FLOAT32, N, H, W, C);
        c.ref.maxPool2dBackward(c.refFloats(dy, out), ra, w, rdx);
        Tensor mag = c.ref.allocate(DType.FLOAT32, N, H, W, C);
        c.ref.maxPool2dBackward(c.refAbs(dy, out), ra, w, mag);
        float[] wantY = new float[outSize];
        c.ref.download(ry, wantY, 0);
        int[] wantA = new int[outSize];
        c.ref.download(ra, wantA, 0);
        try (Tensor tx = c.put(x, N, H, W, C); Tensor ty = c.be.allocate(DType.FLOAT32, out);
             Tensor ta = c.be.allocate(DType.INT32, out); Tensor tdy = c.put(dy, out);
             Tensor tdx = c.put(c.randn(x.length, 1), N, H, W, C)) {
            c.be.maxPool2dForward(tx, w, ty, ta);
            exactBits("y", c.get(ty), wantY);
            exact("argmax", c.geti(ta), wantA);
            c.be.maxPool2dBackward(tdy, ta, w, tdx);
            return "y, argmax exact (ties, NaN); " + compare("dx", c.get(tdx), want(rdx), 6 * EPS, want(mag));
        }
    }

    /** 3x3 windows with padding 1 (counted as zeros), then a global average; forward and backward. */
    static String avgPool(Checker c) {
        String r = "";
        for (Window2d w : new Window2d[] {Window2d.square(3, 1, 1), new Window2d(H, W, 1, 1, 0, 0)}) {
            int[] out = {N, w.outHeight(H), w.outWidth(W), C};
            int outSize = out[0] * out[1] * out[2] * out[3];
            int terms = w.kh() * w.kw();
            float[] x = c.randn(N * H * W * C, 1);
            float[] dy = c.randn(outSize, 1);
            Tensor ry = c.ref.allocate(DType.FLOAT32, out);
            c.ref.avgPool2dForward(c.refFloats(x, N, H, W, C), w, ry);
            Tensor yMag = c.ref.allocate(DType.FLOAT32, out);
            c.ref.avgPool2dForward(c.refAbs(x, N, H, W, C), w, yMag);
            Tensor rdx = c.ref.allocate(DType.FLOAT32, N, H, W, C);
            c.ref.avgPool2dBackward(c.refFloats(dy, out), w, rdx);
            Tensor dxMag = c.ref.allocate(DType.FLOAT32, N, H, W, C);
            c.ref.avgPool2dBackward(c.refAbs(dy, out), w, dxMag);
            String name = w.kh() == H ? "global " : "3x3 ";
            try (Tensor tx = c.put(x, N, H, W, C); Tensor ty = c.be.allocate(DType.FLOAT32, out);
                 Tensor tdy = c.put(dy, out); Tensor tdx = c.put(c.randn(x.length, 1), N, H, W, C)) {
                c.be.avgPool2dForward(tx, w, ty);
                r += (r.isEmpty() ? "" : "; ")
                        + compare(name + "y", c.get(ty), want(ry), (terms + 2) * EPS, want(yMag));
                c.be.avgPool2dBackward(tdy, w, tdx);
                compare(name + "dx", c.get(tdx), want(rdx), (terms + 2) * EPS, want(dxMag));
            }
        }
        return r;
    }
}
