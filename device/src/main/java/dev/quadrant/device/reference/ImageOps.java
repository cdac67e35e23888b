package dev.quadrant.device.reference;

import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * Float64 im2col, col2im, max and average pooling, forward and backward, over row-major channels-last
 * {@code [N, H, W, C]} arrays, written straight from the Backend Javadoc: one loop per output element, the image
 * coordinates {@code iy = oy * sh - ph + ky}, {@code ix = ox * sw - pw + kx}, and padding outside
 * {@code [0, H) x [0, W)}. The backwards scatter in increasing window position, then kernel offset: the order the
 * Javadoc fixes for every backend (which matters only for float32 backends; here each sum is float64).
 *
 * <p>Semantics the Javadoc leaves open, pinned here: in max pooling the first NaN of a window (row-major) wins and
 * keeps its index; an {@code argmax} that does not lie inside its own window (one {@code maxPool2dForward} never
 * writes) contributes nothing in the backward. Stateless.
 */
final class ImageOps {
    private ImageOps() {}

    /** {@code col[(n, oy, ox), (c * kh + ky) * kw + kx] = x[n, iy, ix, c]}, 0 in the padding. */
    static double[] im2col(double[] x, Geometry g) {
        Window2d w = g.win();
        double[] col = new double[g.rows() * g.colWidth()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    int row = ((n * g.ho() + oy) * g.wo() + ox) * g.colWidth();
                    for (int c = 0; c < g.c(); c++) {
                        for (int ky = 0; ky < w.kh(); ky++) {
                            for (int kx = 0; kx < w.kw(); kx++) {
                                int iy = oy * w.sh() - w.ph() + ky;
                                int ix = ox * w.sw() - w.pw() + kx;
                                if (inside(g, iy, ix)) {
                                    col[row + (c * w.kh() + ky) * w.kw() + kx] = x[pixel(g, n, iy, ix) + c];
                                }
                            }
                        }
                    }
                }
            }
        }
        return col;
    }

    /** The adjoint of {@link #im2col}: each col entry added to the pixel it came from; padding entries dropped. */
    static double[] col2im(double[] col, Geometry g) {
        Window2d w = g.win();
        double[] dx = new double[g.n() * g.h() * g.w() * g.c()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    int row = ((n * g.ho() + oy) * g.wo() + ox) * g.colWidth();
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int iy = oy * w.sh() - w.ph() + ky;
                            int ix = ox * w.sw() - w.pw() + kx;
                            if (!inside(g, iy, ix)) {
                                continue;
                            }
                            for (int c = 0; c < g.c(); c++) {
                                dx[pixel(g, n, iy, ix) + c] += col[row + (c * w.kh() + ky) * w.kw() + kx];
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /**
     * Returns {@code {y}} and fills {@code argmax}: per output the largest image element of its window (row-major
     * scan, the first of equal maxima, the first NaN) and its flat index {@code iy * W + ix}.
     */
    static double[] maxPool2dForward(double[] x, Geometry g, int[] argmax) {
        Window2d w = g.win();
        double[] y = new double[g.n() * g.ho() * g.wo() * g.c()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    for (int c = 0; c < g.c(); c++) {
                        double best = 0;
                        int at = -1;
                        for (int ky = 0; ky < w.kh(); ky++) {
                            for (int kx = 0; kx < w.kw(); kx++) {
                                int iy = oy * w.sh() - w.ph() + ky;
                                int ix = ox * w.sw() - w.pw() + kx;
                                if (!inside(g, iy, ix) || at >= 0 && Double.isNaN(best)) {
                                    continue;
                                }
                                double v = x[pixel(g, n, iy, ix) + c];
                                if (at < 0 || v > best || Double.isNaN(v)) {
                                    best = v;
                                    at = iy * g.w() + ix;
                                }
                            }
                        }
                        int o = out(g, n, oy, ox) + c;
                        y[o] = best;
                        argmax[o] = at;
                    }
                }
            }
        }
        return y;
    }

    /** {@code dx} zero but for each output's {@code dy} added at its argmax (if inside its window), in output order. */
    static double[] maxPool2dBackward(double[] dy, int[] argmax, Geometry g) {
        Window2d w = g.win();
        double[] dx = new double[g.n() * g.h() * g.w() * g.c()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    for (int c = 0; c < g.c(); c++) {
                        int o = out(g, n, oy, ox) + c;
                        int a = argmax[o];
                        int iy = Math.floorDiv(a, Math.max(1, g.w()));
                        int ix = Math.floorMod(a, Math.max(1, g.w()));
                        int ky = iy - (oy * w.sh() - w.ph());
                        int kx = ix - (ox * w.sw() - w.pw());
                        if (a >= 0 && inside(g, iy, ix) && ky >= 0 && ky < w.kh() && kx >= 0 && kx < w.kw()) {
                            dx[pixel(g, n, iy, ix) + c] += dy[o];
                        }
                    }
                }
            }
        }
        return dx;
    }

    /** The mean of each window's {@code kh * kw} entries, padding counted as zeros. */
    static double[] avgPool2dForward(double[] x, Geometry g) {
        Window2d w = g.win();
        double area = (double) w.kh() * w.kw();
        double[] y = new double[g.n() * g.ho() * g.wo() * g.c()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    for (int c = 0; c < g.c(); c++) {
                        double s = 0;
                        for (int ky = 0; ky < w.kh(); ky++) {
                            for (int kx = 0; kx < w.kw(); kx++) {
                                int iy = oy * w.sh() - w.ph() + ky;
                                int ix = ox * w.sw() - w.pw() + kx;
                                if (inside(g, iy, ix)) {
                                    s += x[pixel(g, n, iy, ix) + c];
                                }
                            }
                        }
                        y[out(g, n, oy, ox) + c] = s / area;
                    }
                }
            }
        }
        return y;
    }

    /** Each image element gets {@code dy / (kh * kw)} from every window that covers it. */
    static double[] avgPool2dBackward(double[] dy, Geometry g) {
        Window2d w = g.win();
        double area = (double) w.kh() * w.kw();
        double[] dx = new double[g.n() * g.h() * g.w() * g.c()];
        for (int n = 0; n < g.n(); n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                for (int ox = 0; ox < g.wo(); ox++) {
                    for (int ky = 0; ky < w.kh(); ky++) {
                        for (int kx = 0; kx < w.kw(); kx++) {
                            int iy = oy * w.sh() - w.ph() + ky;
                            int ix = ox * w.sw() - w.pw() + kx;
                            if (!inside(g, iy, ix)) {
                                continue;
                            }
                            for (int c = 0; c < g.c(); c++) {
                                dx[pixel(g, n, iy, ix) + c] += dy[out(g, n, oy, ox) + c] / area;
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    private static boolean inside(Geometry g, int iy, int ix) {
        return iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
    }

    /** Index of {@code x[n, iy, ix, 0]}. */
    private static int pixel(Geometry g, int n, int iy, int ix) {
        return ((n * g.h() + iy) * g.w() + ix) * g.c();
    }

    /** Index of {@code y[n, oy, ox, 0]}. */
    private static int out(Geometry g, int n, int oy, int ox) {
        return ((n * g.ho() + oy) * g.wo() + ox) * g.c();
    }
}
