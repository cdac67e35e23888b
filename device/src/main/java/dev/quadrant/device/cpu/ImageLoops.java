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
 * backwards over input pixels {@code (n, iy, ix)}, as gathers: each pixel visits the windows that cover it in
 * increasing {@code (oy, ox)} and sums their contributions itself. So no two threads write one element, every
 * element's sum has one order, and the result is the same bit for bit on every run and for every thread count.
 * Numerics: sums in float, in that order; an average is the float sum divided by {@code kh * kw}. Max pooling keeps
 * the first maximum of a window in row-major order and the first NaN. Stateless.
 */
final class ImageLoops {
    private ImageLoops() {}

    /** Rows {@code [from, to)} of {@code col [N * Ho * Wo, C * kh * kw]}: each one window of x, zeros in the padding. */
    static void im2col(Geometry g, FloatBuffer x, int xo, FloatBuffer col, int co, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int[] corner = new int[3];
        int area = w.kh() * w.kw();
        float[] row = new float[g.colWidth()];
        float[] pixel = new float[c];
        for (int r = from; r < to; r++) {
            window(g, r, corner);
            int n = corner[0];
            int y0 = corner[1];
            int x0 = corner[2];
            if (y0 < 0 || x0 < 0 || y0 + w.kh() > g.h() || x0 + w.kw() > g.w()) {
                Arrays.fill(row, 0f);
            }
            for (int ky = Math.max(0, -y0); ky < Math.min(w.kh(), g.h() - y0); ky++) {
                for (int kx = Math.max(0, -x0); kx < Math.min(w.kw(), g.w() - x0); kx++) {
                    x.get(xo + ((n * g.h() + y0 + ky) * g.w() + x0 + kx) * c, pixel, 0, c);
                    int k = ky * w.kw() + kx;
                    for (int ch = 0; ch < c; ch++) {
                        row[ch * area + k] = pixel[ch];
                    }
                }
            }
            col.put(co + r * row.length, row, 0, row.length);
        }
    }

    /** Pixels {@code [from, to)} of {@code dx}: the sum of the col entries im2col copied from each, in window order. */
    static void col2im(Geometry g, FloatBuffer col, int co, FloatBuffer dx, int dxo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int[] cover = new int[7];
        int area = w.kh() * w.kw();
        float[] acc = new float[c];
        for (int p = from; p < to; p++) {
            covering(g, p, cover);
            int n = cover[0];
            int iy = cover[1];
            int ix = cover[2];
            Arrays.fill(acc, 0f);
            for (int oy = cover[3]; oy <= cover[4]; oy++) {
                int ky = iy + w.ph() - oy * w.sh();
                for (int ox = cover[5]; ox <= cover[6]; ox++) {
                    int kx = ix + w.pw() - ox * w.sw();
                    int base = co + ((n * g.ho() + oy) * g.wo() + ox) * g.colWidth() + ky * w.kw() + kx;
                    for (int ch = 0; ch < c; ch++) {
                        acc[ch] += col.get(base + ch * area);
                    }
                }
            }
            dx.put(dxo + p * c, acc, 0, c);
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
