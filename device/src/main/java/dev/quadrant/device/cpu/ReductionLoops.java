package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Reductions of {@link CpuBackend}: column sums, sum, sum of squares and the finiteness test, over a range.
 *
 * <p>Numerics: every sum accumulates in double (interleaved accumulators for the flat ones, which also hide the
 * latency of the add; column sums through float partials of at most {@link Lanes#FLUSH} terms), so the result is
 * exact to float precision for any length a tensor can have. The caller combines per-thread partial sums in a fixed
 * order, so results do not change from run to run. Stateless.
 */
final class ReductionLoops {
    /** Rows this narrow (columns) are read many at a time by {@link #columnSums}. */
    static final int NARROW = 64;
    /** Floats per bulk get of narrow rows (whole rows: {@code NARROW_BLOCK / cols} of them). */
    static final int NARROW_BLOCK = 4096;

    private ReductionLoops() {}

    /**
     * {@code out[j] = beta * out[j] + sum over rows of x[r, j]} for columns {@code [fromCol, toCol)}. Over chunks of
     * columns held in per-thread arrays (see {@link Scratch}), blocks of {@link Lanes#FLUSH} rows are summed in float
     * lanes (the adds vectorise; C2 keeps float-to-double conversion scalar) and each block's sums added into double
     * accumulators, block after block (an MLP bias gradient of [256, 1024] 1.7x faster than a double add per element,
     * one thread). So the sums keep double's digits beyond eight terms: a BatchNorm mean over 1e5 positions keeps its
     * digits (in float32 its rounding, amplified by {@code mean / std} in {@code x - mean}, made 2 replicas differ
     * from 1 by 4e-4 in the gradients). With {@code beta == 0} the output is not read. Wide rows only: narrow ones
     * go to {@link #narrowColumnSums}.
     */
    static void columnSums(FloatBuffer x, int xo, int rows, int cols, float beta, FloatBuffer out, int oo,
                           int fromCol, int toCol) {
        int width = toCol - fromCol;
        double[] acc = Scratch.doubles(0);
        float[] row = Scratch.floats(1);
        float[] lanes = Scratch.floats(3);
        for (int c = 0; c < width; c += Scratch.CHUNK) {
            int w = Math.min(Scratch.CHUNK, width - c);
            java.util.Arrays.fill(acc, 0, w, 0.0);
            for (int r0 = 0; r0 < rows; r0 += Lanes.FLUSH) {
                int r1 = Math.min(rows, r0 + Lanes.FLUSH);
                x.get(xo + r0 * cols + fromCol + c, lanes, 0, w);
                for (int r = r0 + 1; r < r1; r++) {   // up to FLUSH rows in float lanes (vectorised) ...
                    x.get(xo + r * cols + fromCol + c, row, 0, w);
                    for (int j = 0; j < w; j++) {
                        lanes[j] += row[j];
                    }
                }
                for (int j = 0; j < w; j++) {        // ... then into double
                    acc[j] += lanes[j];
                }
            }
            finishColumnSums(acc, w, beta, out, oo + fromCol + c);
        }
    }

    /**
     * Narrow rows (at most {@link #NARROW} columns, e.g. a BatchNorm's sum or a convolution's bias gradient over
     * {@code [N * H * W, C]}): {@code acc[j] += x[r, j]} over rows {@code [fromRow, toRow)}, whole rows a tile at a
     * time through float lanes flushed into the double accumulators ({@link Lanes}): vectorised, and each float
     * partial at most {@link Lanes#FLUSH} terms.
     */
    static void narrowColumnSums(FloatBuffer x, int xo, int cols, int fromRow, int toRow, double[] acc) {
        float[] a = Scratch.floats(0);
        int rowsPer = Lanes.rowsPerTile(cols);
        float[] lanes = new float[rowsPer * cols];
        int tiles = 0;
        for (int r = fromRow; r < toRow; r += rowsPer) {
            int n = Math.min(rowsPer, toRow - r) * cols;
            x.get(xo + r * cols, a, 0, n);
            for (int t = 0; t < n; t++) {
                lanes[t] += a[t];
            }
            if (++tiles == Lanes.FLUSH) {
                Lanes.flush(lanes, cols, rowsPer, acc);
                tiles = 0;
            }
        }
        Lanes.flush(lanes, cols, rowsPer, acc);
    }

    /** {@code out[o + j] = acc[j] + beta * out[o + j]} for {@code j < w} ({@code out} not read when beta is 0). */
    static void finishColumnSums(double[] acc, int w, float beta, FloatBuffer out, int o) {
        float[] res = Scratch.floats(2);
        if (beta != 0f) {
            out.get(o, res, 0, w);
            for (int j = 0; j < w; j++) {
                acc[j] += (double) beta * res[j];
            }
        }
        for (int j = 0; j < w; j++) {
            res[j] = (float) acc[j];
        }
        out.put(o, res, 0, w);
    }

    static double sum(FloatBuffer x, int xo, int from, int to) {
        float[] a = Scratch.floats(0);
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        for (int c = from; c < to; c += Scratch.CHUNK) {   // element from + j goes to s[j % 4]: CHUNK % 4 == 0
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, a, 0, n);
            int i = 0;
            for (; i + 3 < n; i += 4) {
                s0 += a[i];
                s1 += a[i + 1];
                s2 += a[i + 2];
                s3 += a[i + 3];
            }
            for (; i < n; i++) {   // the range's last 0 to 3 elements
                s0 += a[i];
            }
        }
        return (s0 + s1) + (s2 + s3);
    }

    /**
     * The sum of squares in double over eight interleaved accumulators (element {@code i} of the range into
     * accumulator {@code i % 8}, the range's last 0 to 7 elements into the first, then added pairwise). Eight, not
     * the four of {@link #sum}: the gradient check reads every gradient each step, and C2 keeps the float-to-double
     * chain scalar, so the adds' latency bounds it (1.6x faster on the 2-core host, 0.69 against 1.10 ns per
     * element). Finite floats cannot overflow it (a square is at most ~1.2e77), so it is finite exactly when every
     * element is: {@code gradientStats} relies on that to skip a separate non-finite scan.
     */
    static double sumOfSquares(FloatBuffer x, int xo, int from, int to) {
        float[] a = Scratch.floats(0);
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        double s4 = 0;
        double s5 = 0;
        double s6 = 0;
        double s7 = 0;
        int tail = from + (to - from) / 8 * 8;   // chunks are multiples of 8, so lanes stay aligned across them
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            x.get(xo + c, a, 0, n);
            int body = Math.min(n, tail - c);
            int i = 0;
            for (; i < body; i += 8) {
                double p = a[i];
                double q = a[i + 1];
                double r = a[i + 2];
                double t = a[i + 3];
                s0 += p * p;
                s1 += q * q;
                s2 += r * r;
                s3 += t * t;
                p = a[i + 4];
                q = a[i + 5];
                r = a[i + 6];
                t = a[i + 7];
                s4 += p * p;
                s5 += q * q;
                s6 += r * r;
                s7 += t * t;
            }
            for (; i < n; i++) {   // the range's last 0 to 7 elements
                double p = a[i];
                s0 += p * p;
            }
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
    }

    /**
     * True if no element in range is infinite or NaN. Reads the float32 bits through the storage's int view: an
     * exponent field of all ones plus one exponent step sets the sign bit, which an OR collects without branches.
     */
    static boolean allFinite(IntBuffer bits, int xo, int from, int to) {
        int flags = 0;
        int[] a = Scratch.ints(0);
        for (int c = from; c < to; c += Scratch.CHUNK) {
            int n = Math.min(Scratch.CHUNK, to - c);
            bits.get(xo + c, a, 0, n);   // through an array so the OR-reduction vectorises (see Scratch)
            for (int i = 0; i < n; i++) {
                flags |= (a[i] & 0x7F80_0000) + 0x0080_0000;
            }
        }
        return flags >= 0;
    }

    /** The first index in {@code [from, to)} whose element is infinite or NaN, or -1. */
    static int firstNonFinite(IntBuffer bits, int xo, int from, int to) {
        for (int i = from; i < to; i++) {
            if ((bits.get(xo + i) & 0x7F80_0000) == 0x7F80_0000) {
                return i;
            }
        }
        return -1;
    }
}
