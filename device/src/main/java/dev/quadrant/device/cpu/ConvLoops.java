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

    /**
     * The geometry of a stride-1 convolution's input gradient as a convolution of its own: {@code dy [N, Ho, Wo, out]}
     * over the same kernel with padding {@code kh - 1 - ph}, {@code kw - 1 - pw}, giving {@code [N, H, W, C]}. It
     * replaces col2im's scatter-add (which HotSpot 17 does not vectorise: 0.76 ns a float against 0.16 for a copy)
     * by a copy and a GEMM of as many multiply-adds as the one it saves when the image is about as large as the
     * output ("same" padding); an unpadded convolution's transpose would multiply the zeros of a full padding
     * ({@code H W / (Ho Wo)} times the work: LeNet's conv2, 196 / 100). Null when {@code g} is strided, pads a
     * kernel's full size or more, or has {@code H W > 5/4 Ho Wo}: col2im folds the columns back then.
     */
    static Geometry transposed(Geometry g, int out) {
        Window2d w = g.win();
        if (w.sh() != 1 || w.sw() != 1 || w.ph() > w.kh() - 1 || w.pw() > w.kw() - 1
                || 4L * g.h() * g.w() > 5L * g.ho() * g.wo()) {
            return null;
        }
        Window2d t = new Window2d(w.kh(), w.kw(), 1, 1, w.kh() - 1 - w.ph(), w.kw() - 1 - w.pw());
        if (t.outHeight(g.ho()) != g.h() || t.outWidth(g.wo()) != g.w()) {
            throw new IllegalStateException("transposed convolution of " + g + " gives " + t.outHeight(g.ho()) + "x"
                    + t.outWidth(g.wo()) + ", expected " + g.h() + "x" + g.w());
        }
        return new Geometry(g.n(), g.ho(), g.wo(), out, t, g.h(), g.w());
    }

    /**
     * The weight of {@link #transposed}'s convolution in tap order: {@code to[c, (ky * kw + kx) * out + o] =
     * from[o, (c * kh + kh - 1 - ky) * kw + kw - 1 - kx]} (filters and channels swapped, the kernel flipped).
     */
    static void toTransposedTapOrder(Geometry g, int out, float[] from, float[] to) {
        Window2d w = g.win();
        int c = g.c();
        int width = g.colWidth();
        int tWidth = w.kh() * w.kw() * out;
        for (int o = 0; o < out; o++) {
            for (int ch = 0; ch < c; ch++) {
                for (int ky = 0; ky < w.kh(); ky++) {
                    for (int kx = 0; kx < w.kw(); kx++) {
                        to[ch * tWidth + (ky * w.kw() + kx) * out + o] =
                                from[o * width + (ch * w.kh() + w.kh() - 1 - ky) * w.kw() + w.kw() - 1 - kx];
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
