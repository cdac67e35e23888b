package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * Loops of the image ops of {@link CpuBackend} over channels-last {@code [N, H, W, C]} images: im2col, col2im, max
 * and average pooling, forward and backward. Each runs over a range the caller's {@link CpuPool#parallelFor} hands
 * it, and keeps small heap arrays per part (the band of image rows under one output row, the outputs of that row,
 * one image for col2im, a pixel's C channels for the pooling backwards) so that the inner loops run over arrays,
 * which HotSpot vectorises, between bulk gets and puts.
 *
 * <p>Parallelisation: the forwards over output positions {@code (n, oy, ox)} (an im2col row, a pooled pixel); the
 * pooling backwards over input pixels {@code (n, iy, ix)}, as gathers: each pixel visits the windows that cover it
 * in increasing {@code (oy, ox)} and sums their contributions itself; col2im over images, each image summed by one
 * thread in a heap array, its windows in increasing {@code (oy, ox)} (a gather would read col with a stride). So no
 * two threads write one element, every element's sum has the one order of the Backend contract, and the result is
 * the same bit for bit on every run and for every thread count.
 * Numerics: sums in float, in that order; an average is the float sum divided by {@code kh * kw}. Max pooling keeps
 * the first maximum of a window in row-major order and the first NaN. Stateless.
 */
final class ImageLoops {
    private ImageLoops() {}

    /**
     * Rows {@code [from, to)} of {@code col [N * Ho * Wo, C * kh * kw]}: each one window of x, zeros in the padding.
     * Works one output row {@code (n, oy)} at a time: its {@code kh} image rows are copied once into a heap band, its
     * (up to {@code Wo}) col rows are built in a heap array over the band and written with one bulk put.
     */
    static void im2col(Geometry g, FloatBuffer x, int xo, FloatBuffer col, int co, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int area = w.kh() * w.kw();
        int width = g.colWidth();
        int rowFloats = g.w() * c;          // one image row
        float[] band = new float[w.kh() * rowFloats];
        float[] rows = new float[g.wo() * width];
        boolean xPadding = w.pw() > 0 || (g.wo() - 1) * w.sw() + w.kw() > g.w();
        for (int r = from; r < to; ) {
            int end = Math.min(to, (r / g.wo() + 1) * g.wo());
            int y0 = loadBand(g, x, xo, r / g.wo(), band);
            int ky0 = Math.max(0, -y0);
            int ky1 = Math.min(w.kh(), g.h() - y0);
            int length = (end - r) * width;
            if (xPadding || ky0 > 0 || ky1 < w.kh()) {
                Arrays.fill(rows, 0, length, 0f);
            }
            for (int rr = r; rr < end; rr++) {
                int x0 = rr % g.wo() * w.sw() - w.pw();
                int base = (rr - r) * width;
                int kx0 = Math.max(0, -x0);
                int kx1 = Math.min(w.kw(), g.w() - x0);
                for (int ky = ky0; ky < ky1 && c == 1; ky++) {   // one channel: a kernel row is a run of the band
                    System.arraycopy(band, ky * rowFloats + x0 + kx0, rows, base + ky * w.kw() + kx0, kx1 - kx0);
                }
                for (int ky = ky0; ky < ky1 && c > 1; ky++) {
                    for (int kx = kx0; kx < kx1; kx++) {
                        int src = ky * rowFloats + (x0 + kx) * c;
                        int dst = base + ky * w.kw() + kx;
                        for (int ch = 0; ch < c; ch++) {
                            rows[dst + ch * area] = band[src + ch];
                        }
                    }
                }
            }
            col.put(co + r * width, rows, 0, length);
            r = end;
        }
    }

    /**
     * Images {@code [from, to)} of {@code dx}: each col entry added to the pixel im2col copied it from. One image at a
     * time in a heap array, its windows in increasing {@code (oy, ox)} (read one output row at a time with a bulk
     * get): each element gets its sum in window order, the order of the Backend contract, whatever the split (images
     * are disjoint). Parallel over images only.
     */
    static void col2im(Geometry g, FloatBuffer col, int co, FloatBuffer dx, int dxo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int area = w.kh() * w.kw();
        int imageFloats = g.h() * g.w() * c;
        float[] image = new float[imageFloats];
        int width = g.colWidth();
        float[] rows = new float[g.wo() * width];
        for (int n = from; n < to; n++) {
            Arrays.fill(image, 0f);
            for (int oy = 0; oy < g.ho(); oy++) {
                int y0 = oy * w.sh() - w.ph();
                col.get(co + (n * g.ho() + oy) * rows.length, rows, 0, rows.length);   // the windows of one output row
                for (int ox = 0; ox < g.wo(); ox++) {
                    int x0 = ox * w.sw() - w.pw();
                    int base = ox * width;
                    int kx0 = Math.max(0, -x0);
                    int kx1 = Math.min(w.kw(), g.w() - x0);
                    for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
                        if (c == 1) {   // one channel: a kernel row adds to a run of the image row
                            int dst = (y0 + ky) * g.w() + x0;
                            int src = base + ky * w.kw();
                            for (int kx = kx0; kx < kx1; kx++) {
                                image[dst + kx] += rows[src + kx];
                            }
                            continue;
                        }
                        for (int kx = kx0; kx < kx1; kx++) {
                            int dst = ((y0 + ky) * g.w() + x0 + kx) * c;
                            int k = base + ky * w.kw() + kx;
                            for (int ch = 0; ch < c; ch++) {
                                image[dst + ch] += rows[ch * area + k];
                            }
                        }
                    }
                }
            }
            dx.put(dxo + n * imageFloats, image, 0, imageFloats);
        }
    }

    /**
     * Outputs {@code [from, to)} (positions {@code (n, oy, ox)}, all channels): window maxima and their indices. One
     * output row at a time over its band of image rows, written with one bulk put each.
     */
    static void maxPoolForward(Geometry g, FloatBuffer x, int xo, FloatBuffer y, int yo, IntBuffer argmax, int ao,
                               int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int rowFloats = g.w() * c;
        float[] band = new float[w.kh() * rowFloats];
        float[] best = new float[g.wo() * c];
        int[] at = new int[g.wo() * c];
        for (int r = from; r < to; ) {
            int end = Math.min(to, (r / g.wo() + 1) * g.wo());
            int y0 = loadBand(g, x, xo, r / g.wo(), band);
            for (int rr = r; rr < end; rr++) {
                int x0 = rr % g.wo() * w.sw() - w.pw();
                int o = (rr - r) * c;
                boolean firstPixel = true;
                for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
                    for (int kx = Math.max(0, -x0); kx < Math.min(w.kw(), g.w() - x0); kx++) {
                        int src = ky * rowFloats + (x0 + kx) * c;
                        int index = (y0 + ky) * g.w() + x0 + kx;
                        if (firstPixel) {
                            System.arraycopy(band, src, best, o, c);
                            Arrays.fill(at, o, o + c, index);
                            firstPixel = false;
                            continue;
                        }
                        for (int ch = 0; ch < c; ch++) {
                            float v = band[src + ch];
                            float b = best[o + ch];
                            if (b == b && (v > b || v != v)) {   // b is not NaN (the first NaN stays), v larger or NaN
                                best[o + ch] = v;
                                at[o + ch] = index;
                            }
                        }
                    }
                }
            }
            y.put(yo + r * c, best, 0, (end - r) * c);
            argmax.put(ao + r * c, at, 0, (end - r) * c);
            r = end;
        }
    }

    /**
     * Outputs {@code [from, to)}: the float sum of each window (padding adds nothing) divided by {@code kh * kw}. One
     * output row at a time over its band of image rows, as {@link #maxPoolForward}.
     */
    static void avgPoolForward(Geometry g, FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int rowFloats = g.w() * c;
        float area = w.kh() * w.kw();
        float[] band = new float[w.kh() * rowFloats];
        float[] acc = new float[g.wo() * c];
        for (int r = from; r < to; ) {
            int end = Math.min(to, (r / g.wo() + 1) * g.wo());
            int y0 = loadBand(g, x, xo, r / g.wo(), band);
            Arrays.fill(acc, 0f);
            for (int rr = r; rr < end; rr++) {
                int x0 = rr % g.wo() * w.sw() - w.pw();
                int o = (rr - r) * c;
                for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
                    for (int kx = Math.max(0, -x0); kx < Math.min(w.kw(), g.w() - x0); kx++) {
                        int src = ky * rowFloats + (x0 + kx) * c;
                        for (int ch = 0; ch < c; ch++) {
                            acc[o + ch] += band[src + ch];
                        }
                    }
                }
            }
            for (int i = 0; i < (end - r) * c; i++) {
                acc[i] /= area;
            }
            y.put(yo + r * c, acc, 0, (end - r) * c);
            r = end;
        }
    }

    /**
     * Pixels {@code [from, to)} of {@code dx} for both poolings: the float sum of the covering windows' dy (for max
     * pooling, {@code argmax} non-null, only of the windows whose argmax is this pixel), divided by {@code divisor}
     * ({@code kh * kw} for average pooling, 1, exact, for max pooling).
     */
    static void poolBackward(Geometry g, FloatBuffer dy, int dyo, IntBuffer argmax, int ao, float divisor,
                             FloatBuffer dx, int dxo, int from, int to) {
        int c = g.c();
        int[] cover = new int[7];
        float[] acc = new float[c];
        float[] grad = new float[c];
        int[] at = new int[c];
        for (int p = from; p < to; p++) {
            covering(g, p, cover);
            int n = cover[0];
            int index = cover[1] * g.w() + cover[2];
            Arrays.fill(acc, 0f);
            for (int oy = cover[3]; oy <= cover[4]; oy++) {
                for (int ox = cover[5]; ox <= cover[6]; ox++) {
                    int o = ((n * g.ho() + oy) * g.wo() + ox) * c;
                    dy.get(dyo + o, grad, 0, c);
                    if (argmax == null) {
                        for (int ch = 0; ch < c; ch++) {
                            acc[ch] += grad[ch];
                        }
                    } else {
                        argmax.get(ao + o, at, 0, c);
                        for (int ch = 0; ch < c; ch++) {
                            acc[ch] += at[ch] == index ? grad[ch] : 0f;
                        }
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                acc[ch] /= divisor;
            }
            dx.put(dxo + p * c, acc, 0, c);
        }
    }

    /**
     * Copies the image rows under output row {@code outRow = n * Ho + oy} into {@code band} (kernel row {@code ky} at
     * {@code ky * W * C}; rows in the padding are left as they are, never read) and returns the window's top row
     * {@code y0 = oy * sh - ph}.
     */
    private static int loadBand(Geometry g, FloatBuffer x, int xo, int outRow, float[] band) {
        Window2d w = g.win();
        int n = outRow / g.ho();
        int y0 = outRow % g.ho() * w.sh() - w.ph();
        int rowFloats = g.w() * g.c();
        for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
            x.get(xo + (n * g.h() + y0 + ky) * rowFloats, band, ky * rowFloats, rowFloats);
        }
        return y0;
    }

    /**
     * For input pixel p: {@code {n, iy, ix, oy0, oy1, ox0, ox1}}, its place and the output positions whose windows
     * cover it, {@code [oy0, oy1] x [ox0, ox1]} (empty when {@code oy0 > oy1} or {@code ox0 > ox1}).
     */
    private static void covering(Geometry g, int p, int[] s) {
        Window2d w = g.win();
        int iy = p / g.w() % g.h();
        int ix = p % g.w();
        s[0] = p / (g.w() * g.h());
        s[1] = iy;
        s[2] = ix;
        s[3] = first(iy, w.ph(), w.kh(), w.sh());
        s[4] = last(iy, w.ph(), w.sh(), g.ho());
        s[5] = first(ix, w.pw(), w.kw(), w.sw());
        s[6] = last(ix, w.pw(), w.sw(), g.wo());
    }

    /** The first output position whose window (of size k, stride s, padding p) covers input position i. */
    static int first(int i, int p, int k, int s) {
        return Math.max(0, Math.floorDiv(i + p - k + s, s));   // ceil((i + p - k + 1) / s)
    }

    /** The last output position (below {@code out}) whose window covers input position i. */
    static int last(int i, int p, int s, int out) {
        return Math.min(out - 1, Math.floorDiv(i + p, s));
    }
}
