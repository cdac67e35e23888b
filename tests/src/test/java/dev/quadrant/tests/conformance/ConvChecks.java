package dev.quadrant.tests.conformance;

import static dev.quadrant.tests.conformance.Approx.EPS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.Tensor;
import dev.quadrant.device.Window2d;

/**
 * conv2dForward and conv2dBackward against the float64 reference (the reference backend's generic im2col
 * convolution), at every geometry of {@link ImageChecks#CASES} with several filter counts, and at batches where the
 * CPU backend's chunks of whole images split the batch unevenly. Error bounds are those of a GEMM over the window
 * ({@code (k + 2) eps} times the same op on absolute values, k the terms summed); written outputs start as noise,
 * accumulated ones as non-zero values; every tensor is a guarded view. Deterministic: the same bits on a second run
 * and on a one-thread backend.
 */
final class ConvChecks {
    private ConvChecks() {}

    /** A geometry and a number of filters. */
    record Conv(ImageChecks.Case k, int out) {
        @Override
        public String toString() {
            return k + " -> " + out + " filters";
        }
    }

    static List<Conv> cases() {
        List<Conv> all = new ArrayList<>();
        int[] outs = {1, 3, 7};
        int i = 0;
        for (ImageChecks.Case k : ImageChecks.CASES) {
            all.add(new Conv(k, outs[i++ % outs.length]));
        }
        all.add(new Conv(new ImageChecks.Case(7, 10, 10, 16, Window2d.square(3, 1, 1)), 8));   // chunks of 4 + 3 images
        all.add(new Conv(new ImageChecks.Case(3, 28, 28, 1, Window2d.square(5, 1, 2)), 6));    // LeNet's conv1
        all.add(new Conv(new ImageChecks.Case(5, 14, 14, 6, Window2d.square(5, 1, 0)), 16));   // LeNet's conv2
        all.add(new Conv(new ImageChecks.Case(3, 12, 12, 8, Window2d.square(3, 2, 1)), 16));   // a strided stage
        // the CPU's direct forward (few channels, stride 1): 3 channels, a non-square image and window, uneven padding
        all.add(new Conv(new ImageChecks.Case(2, 9, 13, 3, new Window2d(3, 4, 1, 1, 1, 2)), 5));
        return all;
    }

    /** Forward, with and without a bias. */
    static void forward(Backend be, Backend oneThread) {
        Random r = new Random(93);
        for (Conv cv : cases()) {
            for (boolean withBias : new boolean[] {true, false}) {
                ImageChecks.Case k = cv.k();
                int out = cv.out();
                String what = "conv2dForward " + cv + (withBias ? "" : ", no bias");
                float[] x = Data.gaussian(r, k.imageSize(), 1);
                float[] w = Data.gaussian(r, out * k.cols(), 0.5);
                float[] b = withBias ? Data.gaussian(r, out, 1) : null;
                Tensor ry = Ref.zeros(k.rows(), out);
                Ref.BE.conv2dForward(Ref.floats(x, k.image()), k.win(), Ref.floats(w, out, k.cols()),
                        b == null ? null : Ref.floats(b, out), Ref.zeros(k.rows(), k.cols()), ry);
                Tensor mag = Ref.zeros(k.rows(), out);
                Ref.BE.conv2dForward(Ref.absFloats(x, k.image()), k.win(), Ref.absFloats(w, out, k.cols()),
                        b == null ? null : Ref.absFloats(b, out), Ref.zeros(k.rows(), k.cols()), mag);
                double[] tol = ImageChecks.scaled(Ref.values(mag), (k.cols() + 2) * EPS);
                float[] y = forward(be, what, k, out, x, w, b);
                Approx.assertClose(what, y, Ref.values(ry), tol);
                assertArrayEquals(y, forward(be, what, k, out, x, w, b), what + ": a second run gave other bits");
                assertArrayEquals(y, forward(oneThread, what, k, out, x, w, b),
                        what + ": a one-thread backend gave other bits");
            }
        }
    }

    private static float[] forward(Backend be, String what, ImageChecks.Case k, int out, float[] x, float[] w,
                                   float[] b) {
        Random noise = new Random(5);
        try (Guarded gx = Guarded.floats(be, x, k.image());
             Guarded gw = Guarded.floats(be, w, out, k.cols());
             Guarded gb = b == null ? null : Guarded.floats(be, b, out);
             Guarded gc = Guarded.floats(be, Data.gaussian(noise, k.rows() * k.cols(), 1), k.rows(), k.cols());
             Guarded gy = Guarded.floats(be, Data.gaussian(noise, k.rows() * out, 1), k.rows(), out)) {
            be.conv2dForward(gx.view, k.win(), gw.view, gb == null ? null : gb.view, gc.view, gy.view);
            if (gb == null) {
                Guarded.assertAllGuardsIntact(what, gx, gw, gc, gy);
            } else {
                Guarded.assertAllGuardsIntact(what, gx, gw, gb, gc, gy);
            }
            return gy.floats();
        }
    }

    /**
     * Backward after the backend's own forward (its col as it left it): dWeight and dBias accumulate onto non-zero
     * values, dx is written over noise; also with no bias and no input gradient, and with a bias and no input
     * gradient (a first layer).
     */
    static void backward(Backend be, Backend oneThread) {
        Random r = new Random(94);
        for (Conv cv : cases()) {
            for (int variant = 0; variant < 3; variant++) {
                boolean withDx = variant == 0;
                boolean withBias = variant != 1;   // variant 2, a bias and no dx: a first layer (the CPU's direct path)
                ImageChecks.Case k = cv.k();
                int out = cv.out();
                String what = "conv2dBackward " + cv + (withDx ? "" : withBias ? ", no dx" : ", no bias, no dx");
                float[] x = Data.gaussian(r, k.imageSize(), 1);
                float[] w = Data.gaussian(r, out * k.cols(), 0.5);
                float[] dy = Data.gaussian(r, k.rows() * out, 1);
                float[] dw0 = Data.gaussian(r, out * k.cols(), 1);
                float[] db0 = Data.gaussian(r, out, 1);
                Tensor rdw = Ref.floats(dw0, out, k.cols());
                Tensor rdb = withBias ? Ref.floats(db0, out) : null;
                Tensor rdx = withDx ? Ref.zeros(k.image()) : null;
                reference(k, out, x, w, dy, rdw, rdb, rdx, false);
                Tensor mdw = Ref.absFloats(dw0, out, k.cols());
                Tensor mdb = withBias ? Ref.absFloats(db0, out) : null;
                Tensor mdx = withDx ? Ref.zeros(k.image()) : null;
                reference(k, out, x, w, dy, mdw, mdb, mdx, true);
                Grads got = backward(be, what, k, out, x, w, dy, dw0, withBias ? db0 : null, withDx);
                Approx.assertClose(what + " dWeight", got.dw, Ref.values(rdw),
                        ImageChecks.scaled(Ref.values(mdw), (k.rows() + 2) * EPS));
                if (withBias) {
                    Approx.assertClose(what + " dBias", got.db, Ref.values(rdb),
                            ImageChecks.scaled(Ref.values(mdb), (k.rows() + 2) * EPS));
                }
                if (withDx) {
                    Approx.assertClose(what + " dx", got.dx, Ref.values(rdx),
                            ImageChecks.scaled(Ref.values(mdx), (k.overlap() * out + 2) * EPS));
                }
                Grads again = backward(be, what, k, out, x, w, dy, dw0, withBias ? db0 : null, withDx);
                Grads one = backward(oneThread, what, k, out, x, w, dy, dw0, withBias ? db0 : null, withDx);
                for (Grads g : new Grads[] {again, one}) {
                    String run = g == again ? ": a second run gave other bits" : ": a one-thread backend gave other bits";
                    assertArrayEquals(got.dw, g.dw, what + " dWeight" + run);
                    if (withBias) {
                        assertArrayEquals(got.db, g.db, what + " dBias" + run);
                    }
                    if (withDx) {
                        assertArrayEquals(got.dx, g.dx, what + " dx" + run);
                    }
                }
            }
        }
    }

    /**
     * {@link Backend#convolutionUsesColumns}: a backend that says false gives the same bits with null {@code col} and
     * {@code dcol} as with them (forward, then backward with bias and dx); one that says true refuses a null
     * {@code col}, naming it.
     */
    static void withoutColumns(Backend be) {
        Random r = new Random(95);
        for (Conv cv : cases()) {
            ImageChecks.Case k = cv.k();
            int out = cv.out();
            float[] x = Data.gaussian(r, k.imageSize(), 1);
            float[] w = Data.gaussian(r, out * k.cols(), 0.5);
            float[] b = Data.gaussian(r, out, 1);
            float[] dy = Data.gaussian(r, k.rows() * out, 1);
            if (be.convolutionUsesColumns()) {
                try (Tensor tx = on(be, x, k.image()); Tensor tw = on(be, w, out, k.cols());
                     Tensor ty = on(be, new float[k.rows() * out], k.rows(), out)) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> be.conv2dForward(tx, k.win(), tw, null, null, ty), "null col on " + be.describe());
                    assertTrue(e.getMessage().contains("col"), e.getMessage());
                }
                return;
            }
            String what = "conv2d without columns " + cv;
            float[][] with = run(be, k, out, x, w, b, dy, true);
            float[][] without = run(be, k, out, x, w, b, dy, false);
            String[] names = {"y", "dWeight", "dBias", "dx"};
            for (int i = 0; i < names.length; i++) {
                assertArrayEquals(with[i], without[i], what + ": " + names[i] + " differs with null col and dcol");
            }
        }
    }

    /** Forward with a bias, then backward with dBias and dx; with or without the column buffers. */
    private static float[][] run(Backend be, ImageChecks.Case k, int out, float[] x, float[] w, float[] b, float[] dy,
                                 boolean columns) {
        try (Tensor tx = on(be, x, k.image()); Tensor tw = on(be, w, out, k.cols());
             Tensor tb = on(be, b, out); Tensor tdy = on(be, dy, k.rows(), out);
             Tensor ty = on(be, new float[k.rows() * out], k.rows(), out);
             Tensor tdw = on(be, new float[out * k.cols()], out, k.cols());
             Tensor tdb = on(be, new float[out], out);
             Tensor tdx = on(be, new float[k.imageSize()], k.image());
             Tensor tc = columns ? on(be, new float[k.rows() * k.cols()], k.rows(), k.cols()) : null;
             Tensor tdc = columns ? on(be, new float[k.rows() * k.cols()], k.rows(), k.cols()) : null) {
            be.conv2dForward(tx, k.win(), tw, tb, tc, ty);
            be.conv2dBackward(tx, tdy, k.win(), tw, tc, tdc, tdw, tdb, tdx);
            return new float[][] {download(be, ty), download(be, tdw), download(be, tdb), download(be, tdx)};
        }
    }

    private static Tensor on(Backend be, float[] v, int... shape) {
        Tensor t = be.allocate(dev.quadrant.device.DType.FLOAT32, shape);
        be.upload(v, 0, t);
        return t;
    }

    private static float[] download(Backend be, Tensor t) {
        float[] v = new float[t.intSize()];
        be.download(t, v, 0);
        return v;
    }

    private record Grads(float[] dw, float[] db, float[] dx) {}

    /** The float64 backward, on absolute values when {@code abs} (the error bound's magnitudes). */
    private static void reference(ImageChecks.Case k, int out, float[] x, float[] w, float[] dy, Tensor dw, Tensor db,
                                  Tensor dx, boolean abs) {
        Tensor rx = abs ? Ref.absFloats(x, k.image()) : Ref.floats(x, k.image());
        Tensor rw = abs ? Ref.absFloats(w, out, k.cols()) : Ref.floats(w, out, k.cols());
        Tensor rdy = abs ? Ref.absFloats(dy, k.rows(), out) : Ref.floats(dy, k.rows(), out);
        Tensor col = Ref.zeros(k.rows(), k.cols());
        Ref.BE.conv2dForward(rx, k.win(), rw, null, col, Ref.zeros(k.rows(), out));
        Ref.BE.conv2dBackward(rx, rdy, k.win(), rw, col, Ref.zeros(k.rows(), k.cols()), dw, db, dx);
    }

    private static Grads backward(Backend be, String what, ImageChecks.Case k, int out, float[] x, float[] w,
                                  float[] dy, float[] dw0, float[] db0, boolean withDx) {
        Random noise = new Random(6);
        try (Guarded gx = Guarded.floats(be, x, k.image());
             Guarded gw = Guarded.floats(be, w, out, k.cols());
             Guarded gdy = Guarded.floats(be, dy, k.rows(), out);
             Guarded gc = Guarded.floats(be, new float[k.rows() * k.cols()], k.rows(), k.cols());
             Guarded gdc = Guarded.floats(be, Data.gaussian(noise, k.rows() * k.cols(), 1), k.rows(), k.cols());
             Guarded gy = Guarded.floats(be, new float[k.rows() * out], k.rows(), out);
             Guarded gdw = Guarded.floats(be, dw0, out, k.cols());
             Guarded gdb = Guarded.floats(be, db0 != null ? db0 : new float[out], out);
             Guarded gdx = Guarded.floats(be, Data.gaussian(noise, k.imageSize(), 1), k.image())) {
            be.conv2dForward(gx.view, k.win(), gw.view, null, gc.view, gy.view);
            be.conv2dBackward(gx.view, gdy.view, k.win(), gw.view, gc.view, gdc.view, gdw.view,
                    db0 != null ? gdb.view : null, withDx ? gdx.view : null);
            Guarded.assertAllGuardsIntact(what, gx, gw, gdy, gc, gdc, gy, gdw, gdb, gdx);
            return new Grads(gdw.floats(), db0 != null ? gdb.floats() : null, withDx ? gdx.floats() : null);
        }
    }
}
