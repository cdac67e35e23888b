package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Reductions of {@link CpuBackend}: column sums, sum, sum of squares and the finiteness test, over a range.
 *
 * <p>Numerics: every sum accumulates in double (four interleaved accumulators for the flat ones, which also hides
 * the latency of the add), so the result is exact to float precision for any length a tensor can have. The caller
 * combines per-thread partial sums in a fixed order, so results do not change from run to run. Stateless.
 */
final class ReductionLoops {
    private ReductionLoops() {}

    /**
     * Columns {@code [fromCol, toCol)} of {@code out[j] = beta * out[j] + sum_r x[r, j]}; when {@code beta == 0}
     * the old {@code out} is not read (a NaN there does not survive), as in BLAS.
     */
    static void columnSums(FloatBuffer x, int xo, int rows, int cols, float beta, FloatBuffer out, int oo,
                           int fromCol, int toCol) {
        int width = toCol - fromCol;
        double[] acc = new double[width];
        for (int r = 0; r < rows; r++) {
            int base = xo + r * cols + fromCol;
            for (int j = 0; j < width; j++) {
                acc[j] += x.get(base + j);
            }
        }
        for (int j = 0; j < width; j++) {
            int o = oo + fromCol + j;
            out.put(o, (float) (beta == 0f ? acc[j] : (double) beta * out.get(o) + acc[j]));
        }
    }

    static double sum(FloatBuffer x, int xo, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            s0 += x.get(xo + i);
            s1 += x.get(xo + i + 1);
            s2 += x.get(xo + i + 2);
            s3 += x.get(xo + i + 3);
        }
        for (; i < to; i++) {
            s0 += x.get(xo + i);
        }
        return (s0 + s1) + (s2 + s3);
    }

    static double sumOfSquares(FloatBuffer x, int xo, int from, int to) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i + 3 < to; i += 4) {
            double a = x.get(xo + i);
            double b = x.get(xo + i + 1);
            double c = x.get(xo + i + 2);
            double d = x.get(xo + i + 3);
            s0 += a * a;
            s1 += b * b;
            s2 += c * c;
            s3 += d * d;
        }
        for (; i < to; i++) {
            double a = x.get(xo + i);
            s0 += a * a;
        }
        return (s0 + s1) + (s2 + s3);
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
}
