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
 * the backend's pool, split over output positions (forwards) or images (backwards, each image summed by one thread
 * in window order), each part about {@link CpuBackend#GRAIN} element visits. CpuBackend delegates to it; same
 * thread-safety (one replica thread at a time). A convolution is im2col followed by the backend's GEMM.
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
        poolBackward(g, dyb, off(dy), ab, off(argmax), 1f, dxb, off(dx));
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
        poolBackward(g, dyb, off(dy), null, 0, g.win().kh() * g.win().kw(), dxb, off(dx));
    }

    /** Both pooling backwards, over images ({@link ImageLoops#poolBackward}; argmax null for average pooling). */
    private void poolBackward(Geometry g, FloatBuffer dyb, int dyo, IntBuffer ab, int ao, float divisor,
                              FloatBuffer dxb, int dxo) {
        long perImage = (long) g.ho() * g.wo() * g.c() * (ab == null ? g.win().kh() * g.win().kw() : 1);
        pool.parallelFor(g.n(), rowGrain(GRAIN, (int) Math.min(Integer.MAX_VALUE, perImage)),
                (p, from, to) -> ImageLoops.poolBackward(g, dyb, dyo, ab, ao, divisor, dxb, dxo, from, to));
    }
}
