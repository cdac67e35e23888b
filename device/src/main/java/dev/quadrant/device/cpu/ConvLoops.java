package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.util.Arrays;

import dev.quadrant.device.Window2d;
import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * The loops of {@link CpuConvOps}: im2col and col2im of a few whole images in <em>tap order</em>, the column of a
 * window entry being {@code (ky * kw + kx) * C + c} (kernel row, kernel column, channel) instead of the Backend's
 * {@code (c * kh + ky) * kw + kx}. In tap order a kernel row of a channels-last image is one contiguous run of
 * {@code kw * C} floats in both the image and the column matrix, so unfolding is a copy of runs, where the Backend
 * order scatters every channel {@code kh * kw} floats apart. The weight is permuted to match ({@link #toTapOrder}),
 * and its gradient back ({@link #addFromTapOrder}); both are tiny next to the images.
 *
 * <p>Both loops stream through heap arrays (bulk get, plain loops, bulk put) as {@link ImageLoops} does. col2im
 * sums each image in a heap array, its windows in increasing {@code (oy, ox)}, each window's entries once: the order
 * of the Backend contract. Stateless; the caller hands in the scratch arrays.
 */
final class ConvLoops {
    private ConvLoops() {}

    /** Floats of the heap arrays {@link #im2col} needs: a band of {@code kh} image rows and one output row of windows. */
    static int bandFloats(Geometry g) {
        return g.win().kh() * g.w() * g.c();
    }

    /** Floats of one output row of windows in tap order: {@code Wo * C * kh * kw}. */
    static int rowFloats(Geometry g) {
        return g.wo() * g.colWidth();
    }

    /**
     * Images {@code [n0, n1)} of {@code x} unfolded in tap order into {@code tile [(n1 - n0) * Ho * Wo, C * kh * kw]}
     * from index 0, zeros in the padding; {@code band} and {@code rows} of {@link #bandFloats} and
     * {@link #rowFloats} floats at least.
     */
    static void im2col(Geometry g, FloatBuffer x, int xo, int n0, int n1, FloatBuffer tile, float[] band, float[] rows) {
        Window2d w = g.win();
        int c = g.c();
        int width = g.colWidth();
        int imageRow = g.w() * c;
        int run = w.kw() * c;
        int length = g.wo() * width;
        boolean xPadding = w.pw() > 0 || (g.wo() - 1) * w.sw() + w.kw() > g.w();
        int t = 0;
        for (int n = n0; n < n1; n++) {
            for (int oy = 0; oy < g.ho(); oy++) {
                int y0 = oy * w.sh() - w.ph();
                int ky0 = Math.max(0, -y0);
                int ky1 = Math.min(w.kh(), g.h() - y0);
                for (int ky = ky0; ky < ky1; ky++) {
                    x.get(xo + (n * g.h() + y0 + ky) * imageRow, band, ky * imageRow, imageRow);
                }
                if (xPadding || ky0 > 0 || ky1 < w.kh()) {
                    Arrays.fill(rows, 0, length, 0f);
                }
                for (int ox = 0; ox < g.wo(); ox++) {
                    int x0 = ox * w.sw() - w.pw();
                    int kx0 = Math.max(0, -x0);
                    int kx1 = Math.min(w.kw(), g.w() - x0);
                    if (kx0 >= kx1) {
                        continue;
                    }
                    int base = ox * width;
                    int len = (kx1 - kx0) * c;
                    for (int ky = ky0; ky < ky1; ky++) {
                        System.arraycopy(band, ky * imageRow + (x0 + kx0) * c, rows, base + ky * run + kx0 * c, len);
                    }
                }
                tile.put(t, rows, 0, length);
                t += length;
            }
        }
    }

    /**
     * Images {@code [n0, n1)} of {@code dx} WRITTEN from {@code tile} (tap order, from index 0): each entry added to
     * the pixel {@link #im2col} copied it from; {@code image} of {@code H * W * C} floats, {@code rows} of
     * {@link #rowFloats}.
     */
    static void col2im(Geometry g, FloatBuffer tile, int n0, int n1, FloatBuffer dx, int dxo, float[] image,
                       float[] rows) {
        Window2d w = g.win();
        int c = g.c();
        int width = g.colWidth();
        int imageRow = g.w() * c;
        int imageFloats = g.h() * imageRow;
        int run = w.kw() * c;
        int length = g.wo() * width;
        int t = 0;
        for (int n = n0; n < n1; n++) {
            Arrays.fill(image, 0, imageFloats, 0f);
            for (int oy = 0; oy < g.ho(); oy++) {
                int y0 = oy * w.sh() - w.ph();
                int ky0 = Math.max(0, -y0);
                int ky1 = Math.min(w.kh(), g.h() - y0);
                tile.get(t, rows, 0, length);
                t += length;
                for (int ox = 0; ox < g.wo(); ox++) {
                    int x0 = ox * w.sw() - w.pw();
                    int kx0 = Math.max(0, -x0);
                    int kx1 = Math.min(w.kw(), g.w() - x0);
                    int base = ox * width;
                    int len = (kx1 - kx0) * c;
                    for (int ky = ky0; ky < ky1; ky++) {
                        int dst = (y0 + ky) * imageRow + (x0 + kx0) * c;
                        int src = base + ky * run + kx0 * c;
                        for (int i = 0; i < len; i++) {
                            image[dst + i] += rows[src + i];
                        }
                    }
                }
            }
            dx.put(dxo + n * imageFloats, image, 0, imageFloats);
        }
    }

    /** {@code to[o, (ky * kw + kx) * C + c] = from[o, (c * kh + ky) * kw + kx]} for {@code out} filters. */
    static void toTapOrder(Geometry g, int out, float[] from, float[] to) {
        Window2d w = g.win();
        int c = g.c();
        int width = g.colWidth();
        for (int o = 0; o < out; o++) {
            for (int ch = 0; ch < c; ch++) {
                for (int ky = 0; ky < w.kh(); ky++) {
                    for (int kx = 0; kx < w.kw(); kx++) {
                        to[o * width + (ky * w.kw() + kx) * c + ch] = from[o * width + (ch * w.kh() + ky) * w.kw() + kx];
                    }
                }
            }
        }
    }

    /** {@code acc[o, (c * kh + ky) * kw + kx] += tap[o, (ky * kw + kx) * C + c]}: the inverse permutation, added. */
    static void addFromTapOrder(Geometry g, int out, float[] tap, float[] acc) {
        Window2d w = g.win();
        int c = g.c();
        int width = g.colWidth();
        for (int o = 0; o < out; o++) {
            for (int ch = 0; ch < c; ch++) {
                for (int ky = 0; ky < w.kh(); ky++) {
                    for (int kx = 0; kx < w.kw(); kx++) {
                        acc[o * width + (ch * w.kh() + ky) * w.kw() + kx] += tap[o * width + (ky * w.kw() + kx) * c + ch];
                    }
                }
            }
        }
    }
}
