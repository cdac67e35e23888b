package dev.quadrant.device.cpu;

import static dev.quadrant.device.cpu.CpuBackend.GRAIN;
import static dev.quadrant.device.cpu.CpuBackend.off;
import static dev.quadrant.device.cpu.CpuBackend.rowGrain;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * The image ops of {@link CpuBackend} (im2col, col2im, max and average pooling over channels-last images): the
 * backend's storage checks, the shared argument rules ({@link ImageOpChecks}), then the loops ({@link ImageLoops}) on
 * the backend's pool, split over output positions (forwards), input pixels (pooling backwards, as gathers) or
 * images (col2im), each part about {@link CpuBackend#GRAIN} element visits. CpuBackend delegates to it; same thread-safety (one replica thread
 * at a time). A convolution is im2col followed by the backend's GEMM.
 */
final class CpuImageOps {
    private final CpuBackend be;
    private final CpuPool pool;

    CpuImageOps(CpuBackend be, CpuPool pool) {
        this.be = be;
        this.pool = pool;
    }

    void im2col(Tensor x, Window2d w, Tensor col) {
        FloatBuffer xb = be.f("im2col", "x", x);
        FloatBuffer cb = be.f("im2col", "col", col);
        Geometry g = ImageOpChecks.im2col(x, w, col);
        int xo = off(x);
        int co = off(col);
        pool.parallelFor(g.rows(), rowGrain(GRAIN, g.colWidth()),
                (p, from, to) -> ImageLoops.im2col(g, xb, xo, cb, co, from, to));
    }

    void col2im(Tensor col, Window2d w, Tensor dx) {
        FloatBuffer cb = be.f("col2im", "col", col);
        FloatBuffer dxb = be.f("col2im", "dx", dx);
        Geometry g = ImageOpChecks.col2im(col, w, dx);
        int co = off(col);
        int dxo = off(dx);
        pool.parallelFor(g.n(), rowGrain(GRAIN, g.rows() / Math.max(1, g.n()) * g.colWidth()),
                (p, from, to) -> ImageLoops.col2im(g, cb, co, dxb, dxo, from, to));
    }

    void maxPool2dForward(Tensor x, Window2d w, Tensor y, Tensor argmax) {
        String op = "maxPool2dForward";
        FloatBuffer xb = be.f(op, "x", x);
        FloatBuffer yb = be.f(op, "y", y);
        IntBuffer ab = be.i(op, "argmax", argmax);
        Geometry g = ImageOpChecks.maxPool2dForward(x, w, y, argmax);
        int xo = off(x);
        int yo = off(y);
        int ao = off(argmax);
        pool.parallelFor(g.rows(), rowGrain(GRAIN, g.colWidth()),
                (p, from, to) -> ImageLoops.maxPoolForward(g, xb, xo, yb, yo, ab, ao, from, to));
    }

    void maxPool2dBackward(Tensor dy, Tensor argmax, Window2d w, Tensor dx) {
        String op = "maxPool2dBackward";
        FloatBuffer dyb = be.f(op, "dy", dy);
        IntBuffer ab = be.i(op, "argmax", argmax);
        FloatBuffer dxb = be.f(op, "dx", dx);
        Geometry g = ImageOpChecks.maxPool2dBackward(dy, argmax, w, dx);
        int dyo = off(dy);
        int ao = off(argmax);
        int dxo = off(dx);
        pool.parallelFor(pixels(g), rowGrain(GRAIN, visitsPerPixel(g)),
                (p, from, to) -> ImageLoops.maxPoolBackward(g, dyb, dyo, ab, ao, dxb, dxo, from, to));
    }

    void avgPool2dForward(Tensor x, Window2d w, Tensor y) {
        FloatBuffer xb = be.f("avgPool2dForward", "x", x);
        FloatBuffer yb = be.f("avgPool2dForward", "y", y);
        Geometry g = ImageOpChecks.avgPool2dForward(x, w, y);
        int xo = off(x);
        int yo = off(y);
        pool.parallelFor(g.rows(), rowGrain(GRAIN, g.colWidth()),
                (p, from, to) -> ImageLoops.avgPoolForward(g, xb, xo, yb, yo, from, to));
    }

    void avgPool2dBackward(Tensor dy, Window2d w, Tensor dx) {
        FloatBuffer dyb = be.f("avgPool2dBackward", "dy", dy);
        FloatBuffer dxb = be.f("avgPool2dBackward", "dx", dx);
        Geometry g = ImageOpChecks.avgPool2dBackward(dy, w, dx);
        int dyo = off(dy);
        int dxo = off(dx);
        pool.parallelFor(pixels(g), rowGrain(GRAIN, visitsPerPixel(g)),
                (p, from, to) -> ImageLoops.avgPoolBackward(g, dyb, dyo, dxb, dxo, from, to));
    }

    /** Input pixels {@code N * H * W}, the parallel range of the backwards. */
    private static int pixels(Geometry g) {
        return g.n() * g.h() * g.w();
    }

    /** About how many elements a backward reads per input pixel: C times the windows that cover it. */
    private static int visitsPerPixel(Geometry g) {
        Window2d w = g.win();
        long windows = (long) ceilDiv(w.kh(), w.sh()) * ceilDiv(w.kw(), w.sw());
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, g.c() * windows));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
