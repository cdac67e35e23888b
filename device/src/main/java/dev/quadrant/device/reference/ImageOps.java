package dev.quadrant.device.reference;

import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * Float64 im2col, col2im, max and average pooling, forward and backward, over row-major channels-last
 * {@code [N, H, W, C]} arrays, written straight from the Backend Javadoc. Every op is one walk over the taps of
 * every window ({@link #forEachTap}): output position {@code (n, oy, ox)}, kernel offset {@code (ky, kx)}, image
 * pixel {@code iy = oy * sh - ph + ky}, {@code ix = ox * sw - pw + kx}, taps in the padding (outside
 * {@code [0, H) x [0, W)}) skipped. The backwards scatter in that order, by window position then kernel offset: the
 * order the Javadoc fixes for every backend (which matters only for float32 backends; here each sum is float64).
 *
 * <p>Semantics the Javadoc leaves open, pinned here: in max pooling the first NaN of a window (row-major) wins and
 * keeps its index; an {@code argmax} that does not lie inside its own window (one {@code maxPool2dForward} never
 * writes) contributes nothing in the backward. Stateless.
 */
final class ImageOps {
    private ImageOps() {}

    /**
     * One tap of a window: output position {@code out = (n * Ho + oy) * Wo + ox}, kernel offset
     * {@code k = ky * kw + kx}, and the image pixel under it, {@code pixel = (n * H + iy) * W + ix} with
     * {@code index = iy * W + ix} its flat index in its plane.
     */
    interface Tap {
        void at(int out, int k, int pixel, int index);
    }

    /** Every tap that lies inside the image, in increasing output position, then kernel offset (padding skipped). */
    static void forEachTap(Geometry g, Tap tap) {
        Window2d w = g.win();
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    int out = (n * g.ho() + oy) * g.wo() + ox;
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int iy = oy * w.sh() - w.ph() + ky;
                            int ix = ox * w.sw() - w.pw() + kx;
                            if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                                tap.at(out, ky * w.kw() + kx, (n * g.h() + iy) * g.w() + ix, iy * g.w() + ix);
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@code col[(n, oy, ox), (c * kh + ky) * kw + kx] = x[n, iy, ix, c]}, 0 in the padding. */
    static double[] im2col(double[] x, Geometry g) {
        int c = g.c();
        int area = g.win().kh() * g.win().kw();
        double[] col = new double[g.rows() * g.colWidth()];
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                col[out * g.colWidth() + ch * area + k] = x[pixel * c + ch];
            }
        });
        return col;
    }

    /** The adjoint of {@link #im2col}: each col entry added to the pixel it came from; padding entries dropped. */
    static double[] col2im(double[] col, Geometry g) {
        int c = g.c();
        int area = g.win().kh() * g.win().kw();
        double[] dx = new double[g.n() * g.h() * g.w() * c];
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                dx[pixel * c + ch] += col[out * g.colWidth() + ch * area + k];
            }
        });
        return dx;
    }

    /**
     * Returns {@code y} and fills {@code argmax}: per output the largest image element of its window (row-major
     * scan, the first of equal maxima, the first NaN) and its flat index {@code iy * W + ix}.
     */
    static double[] maxPool2dForward(double[] x, Geometry g, int[] argmax) {
        int c = g.c();
        double[] y = new double[g.rows() * c];
        java.util.Arrays.fill(argmax, -1);
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                int o = out * c + ch;
                double v = x[pixel * c + ch];
                if (argmax[o] < 0 || !Double.isNaN(y[o]) && (v > y[o] || Double.isNaN(v))) {
                    y[o] = v;
                    argmax[o] = index;
                }
            }
        });
        return y;
    }

    /**
     * {@code dx} zero but for each output's {@code dy} added at its argmax, in output order; an argmax that is no tap
     * of its own window adds nothing.
     */
    static double[] maxPool2dBackward(double[] dy, int[] argmax, Geometry g) {
        int c = g.c();
        double[] dx = new double[g.n() * g.h() * g.w() * c];
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                if (argmax[out * c + ch] == index) {
                    dx[pixel * c + ch] += dy[out * c + ch];
                }
            }
        });
        return dx;
    }

    /** The mean of each window's {@code kh * kw} entries, padding counted as zeros. */
    static double[] avgPool2dForward(double[] x, Geometry g) {
        int c = g.c();
        double area = (double) g.win().kh() * g.win().kw();
        double[] y = new double[g.rows() * c];
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                y[out * c + ch] += x[pixel * c + ch];
            }
        });
        for (int i = 0; i < y.length; i++) {
            y[i] /= area;
        }
        return y;
    }

    /** Each image element gets {@code dy / (kh * kw)} from every window that covers it. */
    static double[] avgPool2dBackward(double[] dy, Geometry g) {
        int c = g.c();
        double area = (double) g.win().kh() * g.win().kw();
        double[] dx = new double[g.n() * g.h() * g.w() * c];
        forEachTap(g, (out, k, pixel, index) -> {
            for (int ch = 0; ch < c; ch++) {
                dx[pixel * c + ch] += dy[out * c + ch] / area;
            }
        });
        return dx;
    }
}
