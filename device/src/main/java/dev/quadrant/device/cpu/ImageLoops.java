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
 * one image for the backwards) so that the inner loops run over arrays,
 * which HotSpot vectorises, between bulk gets and puts.
 *
 * <p>Parallelisation: the forwards over output positions {@code (n, oy, ox)} (an im2col row, a pooled pixel); the
 * backwards (col2im and both poolings) over images, each image summed by one thread in a heap array, its windows in
 * increasing {@code (oy, ox)} (a per-pixel gather would read col with a stride and dy a few floats at a time). So no
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
                for (int ky = ky0; ky < ky1 && c == 1 && kx0 < kx1; ky++) {   // one channel: a kernel row is a run
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
                        // Without branches: on random data a branch here mispredicts half the time (and x86 has
                        // no float conditional move, so a float select is a branch too): an int mask selects bits.
                        for (int ch = 0; ch < c; ch++) {
                            float v = band[src + ch];
                            float b = best[o + ch];
                            // take v when b is not NaN (the first NaN stays) and v is larger or NaN
                            int m = b == b & (v > b | v != v) ? -1 : 0;
                            best[o + ch] = Float.intBitsToFloat(Float.floatToRawIntBits(v) & m
                                    | Float.floatToRawIntBits(b) & ~m);
                            at[o + ch] = index & m | at[o + ch] & ~m;
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
     * Images {@code [from, to)} of {@code dx} for both poolings, as col2im: one image at a time in a heap array, its
     * windows in increasing {@code (oy, ox)} ({@code dy}, and {@code argmax} for max pooling, read one output row at
     * a time). Average pooling ({@code argmax} null) adds each window's dy to every image pixel under it; max pooling
     * adds it at the window's argmax if that lies inside the window. Then divides by {@code divisor} ({@code kh * kw},
     * or 1, exact, for max pooling). Each element gets its adds in window order, whatever the split.
     */
    static void poolBackward(Geometry g, FloatBuffer dy, int dyo, IntBuffer argmax, int ao, float divisor,
                             FloatBuffer dx, int dxo, int from, int to) {
        Window2d w = g.win();
        int c = g.c();
        int plane = g.h() * g.w();
        int imageFloats = plane * c;
        float[] image = new float[imageFloats];
        float[] grad = new float[g.wo() * c];
        int[] at = argmax == null ? null : new int[g.wo() * c];
        for (int n = from; n < to; n++) {
            Arrays.fill(image, 0f);
            for (int oy = 0; oy < g.ho(); oy++) {
                int y0 = oy * w.sh() - w.ph();
                int iy0 = Math.max(0, y0);
                int iy1 = Math.min(g.h(), y0 + w.kh());
                int o = (n * g.ho() + oy) * grad.length;
                dy.get(dyo + o, grad, 0, grad.length);
                if (at != null) {
                    argmax.get(ao + o, at, 0, at.length);
                }
                for (int ox = 0; ox < g.wo(); ox++) {
                    int x0 = ox * w.sw() - w.pw();
                    int ix0 = Math.max(0, x0);
                    int ix1 = Math.min(g.w(), x0 + w.kw());
                    int base = ox * c;
                    if (at != null) {
                        int lo = iy0 * g.w();   // the window's rows are pixels [lo, hi) of the plane
                        int hi = iy1 * g.w();
                        for (int ch = 0; ch < c; ch++) {
                            int a = at[base + ch];
                            if (a >= lo && a < hi) {   // then one division, not four (they dominated this loop)
                                int ax = a - a / g.w() * g.w();
                                if (ax >= ix0 && ax < ix1) {
                                    image[a * c + ch] += grad[base + ch];
                                }
                            }
                        }
                        continue;
                    }
                    for (int iy = iy0; iy < iy1; iy++) {
                        for (int ix = ix0; ix < ix1; ix++) {
                            int dst = (iy * g.w() + ix) * c;
                            for (int ch = 0; ch < c; ch++) {
                                image[dst + ch] += grad[base + ch];
                            }
                        }
                    }
                }
            }
            if (divisor != 1f) {
                for (int i = 0; i < imageFloats; i++) {
                    image[i] /= divisor;
                }
            }
            dx.put(dxo + n * imageFloats, image, 0, imageFloats);
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
}
