package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * Loops of the image ops of {@link CpuBackend} over channels-last {@code [N, H, W, C]} images: im2col, col2im, max
 * and average pooling, forward and backward. Each runs over a range the caller's {@link CpuPool#parallelFor} hands
 * it, and keeps one or two small heap arrays per part (a pixel's C channels, an im2col row) so that the inner loops
 * run over arrays, which HotSpot vectorises, between bulk gets and puts.
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
     * The {@code kh} image rows under one output row {@code (n, oy)} are copied once into a heap band, so the
     * scatter into channel-major columns runs over arrays.
     */
    static void im2col(Geometry g, FloatBuffer x, int xo, FloatBuffer col, int co, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int area = w.kh() * w.kw();
        int rowFloats = g.w() * c;          // one image row
        float[] band = new float[w.kh() * rowFloats];
        float[] row = new float[g.colWidth()];
        int[] corner = new int[3];
        int bandOf = -1;                    // the output row (n * Ho + oy) whose band is loaded
        for (int r = from; r < to; r++) {
            window(g, r, corner);
            int n = corner[0];
            int y0 = corner[1];
            int x0 = corner[2];
            int ky0 = Math.max(0, -y0);
            int ky1 = Math.min(w.kh(), g.h() - y0);
            if (r / g.wo() != bandOf) {
                bandOf = r / g.wo();
                for (int ky = ky0; ky < ky1; ky++) {
                    x.get(xo + (n * g.h() + y0 + ky) * rowFloats, band, ky * rowFloats, rowFloats);
                }
            }
            if (y0 < 0 || x0 < 0 || y0 + w.kh() > g.h() || x0 + w.kw() > g.w()) {
                Arrays.fill(row, 0f);
            }
            for (int ky = ky0; ky < ky1; ky++) {
                for (int kx = Math.max(0, -x0); kx < Math.min(w.kw(), g.w() - x0); kx++) {
                    int src = ky * rowFloats + (x0 + kx) * c;
                    int k = ky * w.kw() + kx;
                    for (int ch = 0; ch < c; ch++) {
                        row[ch * area + k] = band[src + ch];
                    }
                }
            }
            col.put(co + r * row.length, row, 0, row.length);
        }
    }

    /**
     * Images {@code [from, to)} of {@code dx}: each col entry added to the pixel im2col copied it from. One image at a
     * time in a heap array, its windows in increasing {@code (oy, ox)}: each element gets its sum in window order, the
     * order of the Backend contract, whatever the split (images are disjoint). Parallel over images only.
     */
    static void col2im(Geometry g, FloatBuffer col, int co, FloatBuffer dx, int dxo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int area = w.kh() * w.kw();
        int imageFloats = g.h() * g.w() * c;
        float[] image = new float[imageFloats];
        float[] row = new float[g.colWidth()];
        for (int n = from; n < to; n++) {
            Arrays.fill(image, 0f);
            for (int oy = 0; oy < g.ho(); oy++) {
                int y0 = oy * w.sh() - w.ph();
                for (int ox = 0; ox < g.wo(); ox++) {
                    int x0 = ox * w.sw() - w.pw();
                    col.get(co + ((n * g.ho() + oy) * g.wo() + ox) * row.length, row, 0, row.length);
                    for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
                        for (int kx = Math.max(0, -x0); kx < Math.min(w.kw(), g.w() - x0); kx++) {
                            int dst = ((y0 + ky) * g.w() + x0 + kx) * c;
                            int k = ky * w.kw() + kx;
                            for (int ch = 0; ch < c; ch++) {
                                image[dst + ch] += row[ch * area + k];
                            }
                        }
                    }
                }
            }
            dx.put(dxo + n * imageFloats, image, 0, imageFloats);
        }
    }

    /** Outputs {@code [from, to)} (positions {@code (n, oy, ox)}, all channels): window maxima and their indices. */
    static void maxPoolForward(Geometry g, FloatBuffer x, int xo, FloatBuffer y, int yo, IntBuffer argmax, int ao,
                               int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int[] corner = new int[3];
        float[] best = new float[c];
        int[] at = new int[c];
        float[] pixel = new float[c];
        for (int r = from; r < to; r++) {
            window(g, r, corner);
            int n = corner[0];
            int y0 = corner[1];
            int x0 = corner[2];
            boolean firstPixel = true;
            for (int iy = Math.max(0, y0); iy < Math.min(g.h(), y0 + w.kh()); iy++) {
                for (int ix = Math.max(0, x0); ix < Math.min(g.w(), x0 + w.kw()); ix++) {
                    x.get(xo + ((n * g.h() + iy) * g.w() + ix) * c, pixel, 0, c);
                    int index = iy * g.w() + ix;
                    if (firstPixel) {
                        System.arraycopy(pixel, 0, best, 0, c);
                        Arrays.fill(at, index);
                        firstPixel = false;
                        continue;
                    }
                    for (int ch = 0; ch < c; ch++) {
                        float v = pixel[ch];
                        float b = best[ch];
                        if (b == b && (v > b || v != v)) {   // b is not NaN (the first NaN stays), v larger or NaN
                            best[ch] = v;
                            at[ch] = index;
                        }
                    }
                }
            }
            y.put(yo + r * c, best, 0, c);
            argmax.put(ao + r * c, at, 0, c);
        }
    }

    /** Pixels {@code [from, to)} of {@code dx}: the dy of every covering window whose argmax is this pixel. */
    static void maxPoolBackward(Geometry g, FloatBuffer dy, int dyo, IntBuffer argmax, int ao, FloatBuffer dx, int dxo,
                                int from, int to) {
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
                    argmax.get(ao + o, at, 0, c);
                    dy.get(dyo + o, grad, 0, c);
                    for (int ch = 0; ch < c; ch++) {
                        acc[ch] += at[ch] == index ? grad[ch] : 0f;
                    }
                }
            }
            dx.put(dxo + p * c, acc, 0, c);
        }
    }

    /** Outputs {@code [from, to)}: the float sum of each window (padding adds nothing) divided by {@code kh * kw}. */
    static void avgPoolForward(Geometry g, FloatBuffer x, int xo, FloatBuffer y, int yo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int[] corner = new int[3];
        float area = w.kh() * w.kw();
        float[] acc = new float[c];
        float[] pixel = new float[c];
        for (int r = from; r < to; r++) {
            window(g, r, corner);
            int n = corner[0];
            int y0 = corner[1];
            int x0 = corner[2];
            Arrays.fill(acc, 0f);
            for (int iy = Math.max(0, y0); iy < Math.min(g.h(), y0 + w.kh()); iy++) {
                for (int ix = Math.max(0, x0); ix < Math.min(g.w(), x0 + w.kw()); ix++) {
                    x.get(xo + ((n * g.h() + iy) * g.w() + ix) * c, pixel, 0, c);
                    for (int ch = 0; ch < c; ch++) {
                        acc[ch] += pixel[ch];
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                acc[ch] /= area;
            }
            y.put(yo + r * c, acc, 0, c);
        }
    }

    /** Pixels {@code [from, to)} of {@code dx}: the float sum of the covering windows' dy, divided by {@code kh * kw}. */
    static void avgPoolBackward(Geometry g, FloatBuffer dy, int dyo, FloatBuffer dx, int dxo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int[] cover = new int[7];
        float area = w.kh() * w.kw();
        float[] acc = new float[c];
        float[] grad = new float[c];
        for (int p = from; p < to; p++) {
            covering(g, p, cover);
            int n = cover[0];
            Arrays.fill(acc, 0f);
            for (int oy = cover[3]; oy <= cover[4]; oy++) {
                for (int ox = cover[5]; ox <= cover[6]; ox++) {
                    dy.get(dyo + ((n * g.ho() + oy) * g.wo() + ox) * c, grad, 0, c);
                    for (int ch = 0; ch < c; ch++) {
                        acc[ch] += grad[ch];
                    }
                }
            }
            for (int ch = 0; ch < c; ch++) {
                acc[ch] /= area;
            }
            dx.put(dxo + p * c, acc, 0, c);
        }
    }

    /** For output position r: {@code {n, y0, x0}}, its image and its window's top-left tap (negative in the padding). */
    private static void window(Geometry g, int r, int[] s) {
        Window2d w = g.win();
        s[0] = r / (g.wo() * g.ho());
        s[1] = r / g.wo() % g.ho() * w.sh() - w.ph();
        s[2] = r % g.wo() * w.sw() - w.pw();
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
