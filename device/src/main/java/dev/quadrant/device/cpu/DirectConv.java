package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

import dev.quadrant.device.checks.ImageOpChecks.Geometry;

/**
 * The direct forward convolution of {@link CpuConvOps} for images of few channels at stride 1 (LeNet's first layer:
 * 28x28x1 to 6 filters of 5x5, padding 2). As im2col plus GEMM, such a layer is a GEMM of {@code n = filters}
 * (6) and {@code k = C * kh * kw} (25) over {@code N * Ho * Wo} (100,352) rows, where OpenBLAS's kernels, built for
 * wide panels, reached 6 GFLOP/s on the 2-core host, and unfolding the columns cost as much again.
 *
 * <p>Here each image is laid out channel-planar and zero-padded once ({@code [C][(H + 2 ph) * Wp]}, {@code Wp =
 * W + 2 pw}). At stride 1, output {@code (oy, ox)} of tap {@code (ky, kx)} reads padded element
 * {@code (oy + ky) * Wp + ox + kx}: so with outputs indexed {@code t = oy * Wp + ox} (the {@code Wp - Wo} columns
 * past each row's end are computed and dropped), a tap is one shift of the whole image, and the convolution is, per
 * tap and filter, {@code acc[o][t] += w[o, c, ky, kx] * shifted[t]} over {@code Ho * Wp} elements: a long loop over
 * arrays at index 0, which HotSpot vectorises (at offsets it does not). The shift is one {@code arraycopy} per tap.
 * LeNet's conv1 at batch 128 through {@code conv2dForward} on one thread: 4.3 ms against 9.9 ms for the GEMM path.
 *
 * <p>The weight gradient without an input gradient (a first layer needs none) uses the same layout: the shifted
 * copies of a chunk's images are the rows of {@code S [taps, K]} ({@code K} = images x {@code Ho * Wp}, one bulk
 * copy per tap and image) and {@code dy} is laid out at padded width ({@code [K, out]}, zero rows for the dropped
 * columns), so {@code dW^T = S dy} is one OpenBLAS call with {@code m = taps}, {@code n = out} (the orientation its
 * kernels run 1.3x faster for LeNet's 25 x 6 than 6 x 25). The im2col it replaces copied LeNet's 25 taps in 500,000
 * runs of 5 floats per pass, 37% of that backward. A dropped column's zero {@code dy} meeting an infinite pixel
 * gives NaN where the GEMM path would give an infinity: non-finite either way. The input gradient stays on the GEMM
 * path.
 *
 * <p>Each output is the taps summed in {@code (c, ky, kx)} order and then the bias added; both ways are independent
 * of the thread count and differ from the GEMM path's by float rounding, within the conformance suite's bounds.
 * Stateless; the caller hands in the scratch.
 */
final class DirectConv {
    /** Most channels of an input taken this way. */
    static final int MAX_CHANNELS = 4;
    /** Most filters (the accumulators, {@code out * Ho * Wp} floats, stay in L1/L2). */
    static final int MAX_FILTERS = 32;

    private DirectConv() {}

    /**
     * Whether a convolution of {@code g} with {@code out} filters goes this way: stride 1, at most
     * {@link #MAX_CHANNELS} input channels and {@link #MAX_FILTERS} filters, output rows of at least 8 (a vector).
     */
    static boolean applies(Geometry g, int out) {
        return g.win().sh() == 1 && g.win().sw() == 1 && g.c() <= MAX_CHANNELS && out <= MAX_FILTERS
                && g.wo() >= 8 && g.ho() >= 1;
    }

    /** Padded width {@code W + 2 pw}. */
    private static int wp(Geometry g) {
        return g.w() + 2 * g.win().pw();
    }

    /** Floats of one padded channel plane, with {@code kw} zeros of slack for the last row's dropped columns. */
    private static int planeFloats(Geometry g) {
        return (g.h() + 2 * g.win().ph()) * wp(g) + g.win().kw();
    }

    /**
     * Where tap {@code (c * kh + ky) * kw + kx} (the Backend's weight order) starts in the padded image: its shifted
     * copy is the {@link #accFloats} floats from there.
     */
    private static int shift(Geometry g, int tap) {
        int kh = g.win().kh();
        int kw = g.win().kw();
        return tap / (kh * kw) * planeFloats(g) + tap / kw % kh * wp(g) + tap % kw;
    }

    /** Floats of the {@code image} scratch: {@code C} padded planes. */
    static int imageFloats(Geometry g) {
        return g.c() * planeFloats(g);
    }

    /** Floats of one accumulator (one filter's outputs at padded width) and of the {@code shifted} scratch. */
    static int accFloats(Geometry g) {
        return g.ho() * wp(g);
    }

    /** Floats of the {@code row} scratch: a channels-last output row or input row, whichever is longer. */
    static int rowFloats(Geometry g, int out) {
        return Math.max(out * g.wo(), g.w() * g.c());
    }

    /**
     * {@code y} rows of images {@code [n0, n1)} WRITTEN: {@code conv(x, weight) + bias}; {@code weight} in the
     * Backend's order {@code [out][(c * kh + ky) * kw + kx]}, {@code bias} null for none; {@code y} rows of image
     * {@code n0} start at {@code yo}. Scratch: {@code image} ({@link #imageFloats}), {@code shifted}
     * ({@link #accFloats}), {@code acc} ({@code out} arrays of {@link #accFloats}), {@code row} ({@link #rowFloats}).
     */
    static void forward(Geometry g, FloatBuffer x, int xo, int n0, int n1, float[] weight, float[] bias, int out,
                        FloatBuffer y, long yo, float[] image, float[] shifted, float[][] acc, float[] row) {
        int taps = g.colWidth();
        int wp = wp(g);
        int len = accFloats(g);
        int wo = g.wo();
        for (int n = n0; n < n1; n++) {
            planar(g, x, xo, n, image, row);
            for (int o = 0; o < out; o++) {
                java.util.Arrays.fill(acc[o], 0, len, 0f);
            }
            for (int tap = 0; tap < taps; tap++) {
                System.arraycopy(image, shift(g, tap), shifted, 0, len);
                for (int o = 0; o < out; o++) {
                    float w = weight[o * taps + tap];
                    float[] a = acc[o];
                    for (int t = 0; t < len; t++) {
                        a[t] += w * shifted[t];
                    }
                }
            }
            for (int oy = 0; oy < g.ho(); oy++) {   // back to channels-last, the bias added, dropped columns left out
                for (int ox = 0; ox < wo; ox++) {
                    int t = oy * wp + ox;
                    for (int o = 0; o < out; o++) {
                        row[ox * out + o] = bias == null ? acc[o][t] : acc[o][t] + bias[o];
                    }
                }
                y.put(Math.toIntExact(yo + ((long) (n - n0) * g.ho() + oy) * wo * out), row, 0, wo * out);
            }
        }
    }

    /** Images per chunk of the weight gradient: {@code S} of {@code taps x images x Ho * Wp} within {@code floats}. */
    static int imagesPerChunk(Geometry g, int floats) {
        return (int) Math.max(1, Math.min(Math.max(1, g.n()), floats / ((long) g.colWidth() * accFloats(g))));
    }

    /** Floats of {@code S} and of the padded {@code dy} for chunks of {@code per} images with {@code out} filters. */
    static int[] weightGradientFloats(Geometry g, int per, int out) {
        int k = Math.multiplyExact(per, accFloats(g));
        return new int[] {Math.multiplyExact(g.colWidth(), k), Math.multiplyExact(k, out)};
    }

    /**
     * The weight gradient of images {@code [n0, n1)}, WRITTEN to {@code dw} at {@code dwo} ({@code [out][C * kh *
     * kw]}, the Backend's order): {@code sum over positions of dy^T x}; {@code dy} rows of image {@code n0} start at
     * {@code dyo}. Scratch: {@code s} and {@code dyPadded} ({@link #weightGradientFloats}), {@code image}
     * ({@link #imageFloats}), {@code row} ({@link #rowFloats}), {@code padded} ({@code out * Wp}) and {@code dwT}
     * ({@code out * C * kh * kw}).
     */
    static void weightGradient(CpuBlas blas, Geometry g, FloatBuffer x, int xo, int n0, int n1, FloatBuffer dy,
                               long dyo, int out, FloatBuffer s, FloatBuffer dyPadded, float[] image, float[] row, float[] padded,
                               FloatBuffer dwT, FloatBuffer dw, long dwo) {
        int taps = g.colWidth();
        int wp = wp(g);
        int len = accFloats(g);
        int wo = g.wo();
        int k = (n1 - n0) * len;
        java.util.Arrays.fill(padded, 0, wp * out, 0f);   // the dropped columns' rows stay zero
        for (int n = n0; n < n1; n++) {
            int i = (n - n0) * len;
            planar(g, x, xo, n, image, row);
            for (int tap = 0; tap < taps; tap++) {
                s.put(tap * k + i, image, shift(g, tap), len);
            }
            long at = dyo + (long) (n - n0) * g.ho() * wo * out;
            for (int oy = 0; oy < g.ho(); oy++) {
                dy.get(Math.toIntExact(at + (long) oy * wo * out), padded, 0, wo * out);
                dyPadded.put((i + oy * wp) * out, padded, 0, wp * out);
            }
        }
        blas.sgemm(false, false, taps, out, k, 1f, s, 0, k, dyPadded, 0, out, 0f, dwT, 0, out);   // [taps, out]
        for (int tap = 0; tap < taps; tap++) {
            for (int o = 0; o < out; o++) {
                dw.put(Math.toIntExact(dwo + (long) o * taps + tap), dwT.get(tap * out + o));
            }
        }
    }

    /**
     * Image {@code n} of {@code x [N, H, W, C]} into {@code image}: per channel a zero-padded plane of
     * {@code (H + 2 ph) x Wp} plus {@code kw} zeros. {@code row} is scratch of at least {@code W * C}.
     */
    private static void planar(Geometry g, FloatBuffer x, int xo, int n, float[] image, float[] row) {
        int c = g.c();
        int h = g.h();
        int w = g.w();
        int ph = g.win().ph();
        int pw = g.win().pw();
        int wp = wp(g);
        int plane = planeFloats(g);
        java.util.Arrays.fill(image, 0, c * plane, 0f);   // the padding (the scratch is shared with other geometries)
        long base = xo + (long) n * h * w * c;
        for (int iy = 0; iy < h; iy++) {
            x.get(Math.toIntExact(base + (long) iy * w * c), row, 0, w * c);
            for (int ch = 0; ch < c; ch++) {
                int dst = ch * plane + (iy + ph) * wp + pw;
                if (c == 1) {
                    System.arraycopy(row, 0, image, dst, w);
                } else {
                    for (int ix = 0; ix < w; ix++) {
                        image[dst + ix] = row[ix * c + ch];
                    }
                }
            }
        }
    }
}
