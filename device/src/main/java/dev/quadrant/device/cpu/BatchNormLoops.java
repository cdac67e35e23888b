package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;

/**
 * Batch-normalisation loops of {@link CpuBackend} over ranges of rows of a channels-last {@code x [m, c]}, streamed
 * through per-thread arrays ({@link Scratch}) a tile at a time: {@code CHUNK / c} whole rows when a row fits in a
 * chunk (the ResNet shapes, c = 16 to 512), else one row in column chunks.
 *
 * <p>Numerics: the per-channel reductions ({@link #squares}, {@link #gradientSums}) accumulate in double, one
 * accumulator per channel over the rows of their range in increasing order; when whole rows fit a tile (c <= 512)
 * through float lanes of at most {@link Lanes#FLUSH} terms each, with the deviation {@code x - mean} formed in float
 * from the mean rounded to float (vectorised: about 5x faster on the ResNet shapes), else with the deviation formed
 * in double from a double mean; the caller gives each range a fixed block of rows that depends only on
 * {@code c} ({@link CpuBatchNormOps}) and adds the blocks' partial sums in block order, so the result is the same
 * for every thread count. The element-wise passes ({@link #normalise}, {@link #inputGradient}) are float32 with
 * per-channel coefficients formed in double by the caller, a few roundings per element. Stateless.
 */
final class BatchNormLoops {
    private BatchNormLoops() {}

    /** Rows {@code [from, to)}: {@code acc[j] += (x[i, j] - mean[j])^2}. */
    static void squares(FloatBuffer x, int xo, int c, double[] mean, int from, int to, double[] acc) {
        float[] a = Scratch.floats(0);
        int rowsPer = Lanes.rowsPerTile(c);
        if (rowsPer > 1) {   // whole rows per tile: float lanes flushed into acc (see Lanes)
            float[] m = Lanes.tiled(mean, c, rowsPer);
            float[] lanes = new float[rowsPer * c];
            int tiles = 0;
            for (int r = from; r < to; r += rowsPer) {
                int n = Math.min(rowsPer, to - r) * c;
                x.get(xo + r * c, a, 0, n);
                for (int t = 0; t < n; t++) {
                    float d = a[t] - m[t];
                    lanes[t] += d * d;
                }
                if (++tiles == Lanes.FLUSH) {
                    Lanes.flush(lanes, c, rowsPer, acc);
                    tiles = 0;
                }
            }
            Lanes.flush(lanes, c, rowsPer, acc);
            return;
        }
        int width = Math.min(c, Scratch.CHUNK);
        for (int r = from; r < to; r += rowsPer) {
            int nr = Math.min(rowsPer, to - r);
            for (int c0 = 0; c0 < c; c0 += width) {
                int w = Math.min(width, c - c0);
                x.get(xo + r * c + c0, a, 0, nr * w);
                for (int i = 0; i < nr; i++) {
                    for (int j = 0; j < w; j++) {
                        double d = a[i * w + j] - mean[c0 + j];
                        acc[c0 + j] += d * d;
                    }
                }
            }
        }
    }

    /** Rows {@code [from, to)}: {@code dySum[j] += dy[i, j]}, {@code dyDev[j] += dy[i, j] (x[i, j] - mean[j])}. */
    static void gradientSums(FloatBuffer x, int xo, FloatBuffer dy, int dyo, int c, double[] mean, int from, int to,
                             double[] dySum, double[] dyDev) {
        float[] a = Scratch.floats(0);
        float[] g = Scratch.floats(1);
        int rowsPer = Lanes.rowsPerTile(c);
        if (rowsPer > 1) {   // whole rows per tile: float lanes flushed into the sums (see Lanes)
            float[] m = Lanes.tiled(mean, c, rowsPer);
            float[] sumLanes = new float[rowsPer * c];
            float[] devLanes = new float[rowsPer * c];
            int tiles = 0;
            for (int r = from; r < to; r += rowsPer) {
                int n = Math.min(rowsPer, to - r) * c;
                x.get(xo + r * c, a, 0, n);
                dy.get(dyo + r * c, g, 0, n);
                for (int t = 0; t < n; t++) {
                    sumLanes[t] += g[t];
                    devLanes[t] += g[t] * (a[t] - m[t]);
                }
                if (++tiles == Lanes.FLUSH) {
                    Lanes.flush(sumLanes, c, rowsPer, dySum);
                    Lanes.flush(devLanes, c, rowsPer, dyDev);
                    tiles = 0;
                }
            }
            Lanes.flush(sumLanes, c, rowsPer, dySum);
            Lanes.flush(devLanes, c, rowsPer, dyDev);
            return;
        }
        int width = Math.min(c, Scratch.CHUNK);
        for (int r = from; r < to; r += rowsPer) {
            int nr = Math.min(rowsPer, to - r);
            for (int c0 = 0; c0 < c; c0 += width) {
                int w = Math.min(width, c - c0);
                x.get(xo + r * c + c0, a, 0, nr * w);
                dy.get(dyo + r * c + c0, g, 0, nr * w);
                for (int i = 0; i < nr; i++) {
                    for (int j = 0; j < w; j++) {
                        double d = g[i * w + j];
                        dySum[c0 + j] += d;
                        dyDev[c0 + j] += d * (a[i * w + j] - mean[c0 + j]);
                    }
                }
            }
        }
    }

    /** Rows {@code [from, to)}: {@code y = (x - mean) scale + shift}, per channel; y may be x. */
    static void normalise(FloatBuffer x, int xo, int c, float[] mean, float[] scale, float[] shift, FloatBuffer y,
                          int yo, int from, int to) {
        float[] a = Scratch.floats(0);
        int rowsPer = Lanes.rowsPerTile(c);
        if (rowsPer > 1) {   // whole rows per tile: per-element coefficients, one loop over the tile (see Lanes)
            float[] m = Lanes.tiled(mean, c, rowsPer);
            float[] sc = Lanes.tiled(scale, c, rowsPer);
            float[] sh = Lanes.tiled(shift, c, rowsPer);
            for (int r = from; r < to; r += rowsPer) {
                int n = Math.min(rowsPer, to - r) * c;
                x.get(xo + r * c, a, 0, n);
                for (int t = 0; t < n; t++) {
                    a[t] = (a[t] - m[t]) * sc[t] + sh[t];
                }
                y.put(yo + r * c, a, 0, n);
            }
            return;
        }
        int width = Math.min(c, Scratch.CHUNK);
        for (int r = from; r < to; r += rowsPer) {
            int nr = Math.min(rowsPer, to - r);
            for (int c0 = 0; c0 < c; c0 += width) {
                int w = Math.min(width, c - c0);
                x.get(xo + r * c + c0, a, 0, nr * w);
                for (int i = 0; i < nr; i++) {
                    for (int j = 0; j < w; j++) {
                        int t = i * w + j;
                        a[t] = (a[t] - mean[c0 + j]) * scale[c0 + j] + shift[c0 + j];
                    }
                }
                y.put(yo + r * c + c0, a, 0, nr * w);
            }
        }
    }

    /** Rows {@code [from, to)}: {@code dx = k (dy - p - (x - mean) q)}, per channel; dx may be dy. */
    static void inputGradient(FloatBuffer x, int xo, FloatBuffer dy, int dyo, int c, float[] mean, float[] k,
                              float[] p, float[] q, FloatBuffer dx, int dxo, int from, int to) {
        float[] a = Scratch.floats(0);
        float[] g = Scratch.floats(1);
        int rowsPer = Lanes.rowsPerTile(c);
        if (rowsPer > 1) {   // whole rows per tile: per-element coefficients, one loop over the tile (see Lanes)
            float[] m = Lanes.tiled(mean, c, rowsPer);
            float[] kt = Lanes.tiled(k, c, rowsPer);
            float[] pt = Lanes.tiled(p, c, rowsPer);
            float[] qt = Lanes.tiled(q, c, rowsPer);
            for (int r = from; r < to; r += rowsPer) {
                int n = Math.min(rowsPer, to - r) * c;
                x.get(xo + r * c, a, 0, n);
                dy.get(dyo + r * c, g, 0, n);
                for (int t = 0; t < n; t++) {
                    g[t] = kt[t] * (g[t] - pt[t] - (a[t] - m[t]) * qt[t]);
                }
                dx.put(dxo + r * c, g, 0, n);
            }
            return;
        }
        int width = Math.min(c, Scratch.CHUNK);
        for (int r = from; r < to; r += rowsPer) {
            int nr = Math.min(rowsPer, to - r);
            for (int c0 = 0; c0 < c; c0 += width) {
                int w = Math.min(width, c - c0);
                x.get(xo + r * c + c0, a, 0, nr * w);
                dy.get(dyo + r * c + c0, g, 0, nr * w);
                for (int i = 0; i < nr; i++) {
                    for (int j = 0; j < w; j++) {
                        int t = i * w + j;
                        g[t] = k[c0 + j] * (g[t] - p[c0 + j] - (a[t] - mean[c0 + j]) * q[c0 + j]);
                    }
                }
                dx.put(dxo + r * c + c0, g, 0, nr * w);
            }
        }
    }
}
