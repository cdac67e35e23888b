package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Backend;

/**
 * Row-wise loops of {@link CpuBackend}: softmax cross-entropy forward and backward, mean squared error, argmax and
 * the count of correct predictions, each over rows {@code [fromRow, toRow)} of a row-major {@code [rows, cols]}
 * matrix. The caller parallelises over rows.
 *
 * <p>Numerics: softmax subtracts the row maximum (taken in float, exact), takes {@code exp} in float over blocks of
 * whole rows ({@link FloatExp}, vectorised, 1 ulp) and sums the terms in double, so the log-sum-exp is good to
 * about one float ulp; the terms are at most 1 and the sum at least 1, so nothing overflows or underflows to a wrong
 * answer. The loss is formed as
 * {@code (max - x[label]) + log(sum)} in double, which keeps small losses (confident right answers) accurate.
 * Argmax takes the first maximum; a NaN counts as larger than any number (the first NaN wins), as in NumPy and
 * PyTorch. A row labelled {@link Backend#IGNORE_INDEX} has loss 0, a zero gradient row and never counts as correct;
 * other labels outside {@code [0, cols)} throw an {@link IllegalArgumentException} naming the row. Stateless.
 */
final class RowLoops {
    private RowLoops() {}

    static void softmaxCrossEntropyForward(FloatBuffer logits, int lo, int cols, IntBuffer labels, int labo,
                                           FloatBuffer losses, int lso, int fromRow, int toRow) {
        int block = Math.max(1, Scratch.CHUNK / Math.max(1, cols));
        float[] a = Scratch.floats(0, block * cols);
        float[] tmp = Scratch.floats(1, block * cols);
        double[] head = Scratch.doubles(0);   // max - x[label] per row of the block, in double
        for (int r0 = fromRow; r0 < toRow; r0 += block) {
            int rows = Math.min(block, toRow - r0);
            logits.get(lo + r0 * cols, a, 0, rows * cols);
            for (int i = 0; i < rows; i++) {
                int label = label(labels, labo, r0 + i, cols);
                int base = i * cols;
                float max = rowMax(a, base, cols);
                head[i] = label == Backend.IGNORE_INDEX ? 0 : (double) max - a[base + label];
                shift(a, base, cols, max);
            }
            FloatExp.expNegInPlace(a, tmp, rows * cols);
            for (int i = 0; i < rows; i++) {
                boolean ignored = labels.get(labo + r0 + i) == Backend.IGNORE_INDEX;
                losses.put(lso + r0 + i, ignored ? 0f : (float) (head[i] + Math.log(rowSum(a, i * cols, cols))));
            }
        }
    }

    static void softmaxCrossEntropyBackward(FloatBuffer logits, int lo, int cols, IntBuffer labels, int labo,
                                            float scale, FloatBuffer d, int dO, int fromRow, int toRow) {
        int block = Math.max(1, Scratch.CHUNK / Math.max(1, cols));
        float[] a = Scratch.floats(0, block * cols);
        float[] tmp = Scratch.floats(1, block * cols);
        for (int r0 = fromRow; r0 < toRow; r0 += block) {
            int rows = Math.min(block, toRow - r0);
            logits.get(lo + r0 * cols, a, 0, rows * cols);
            for (int i = 0; i < rows; i++) {
                label(labels, labo, r0 + i, cols);
                int base = i * cols;
                shift(a, base, cols, rowMax(a, base, cols));
            }
            FloatExp.expNegInPlace(a, tmp, rows * cols);
            for (int i = 0; i < rows; i++) {
                int label = labels.get(labo + r0 + i);
                int base = i * cols;
                if (label == Backend.IGNORE_INDEX) {
                    java.util.Arrays.fill(a, base, base + cols, 0f);
                    continue;
                }
                double sum = rowSum(a, base, cols);
                double k = scale / sum;
                // the label's p - 1 is formed as (e - sum) k in double, so it does not cancel a rounded p
                double labelTerm = (a[base + label] - sum) * k;
                for (int j = 0; j < cols; j++) {
                    a[base + j] = (float) (a[base + j] * k);
                }
                a[base + label] = (float) labelTerm;
            }
            d.put(dO + r0 * cols, a, 0, rows * cols);
        }
    }

    /** {@code a[base + j] = max - a[base + j]} over a row: the arguments {@code z >= 0} of {@code exp(-z)}. */
    private static void shift(float[] a, int base, int cols, float max) {
        for (int j = base; j < base + cols; j++) {
            a[j] = max - a[j];
        }
    }

    private static float rowMax(float[] a, int base, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = base; j < base + cols; j++) {
            max = Math.max(max, a[j]);   // NaN propagates, so a NaN row gives a NaN loss
        }
        return max;
    }

    private static double rowSum(float[] a, int base, int cols) {
        double sum = 0;
        for (int j = base; j < base + cols; j++) {
            sum += a[j];
        }
        return sum;
    }

    static void mseForward(FloatBuffer pred, int po, FloatBuffer target, int to, int cols, FloatBuffer losses,
                           int lso, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            int pb = po + r * cols;
            int tb = to + r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                double diff = (double) pred.get(pb + j) - target.get(tb + j);
                sum += diff * diff;
            }
            losses.put(lso + r, (float) (sum / cols));
        }
    }

    static void mseBackward(FloatBuffer pred, int po, FloatBuffer target, int to, int cols, float scale,
                            FloatBuffer d, int dO, int from, int toIndex) {
        double k = 2.0 * scale / cols;
        for (int i = from; i < toIndex; i++) {
            d.put(dO + i, (float) (k * ((double) pred.get(po + i) - target.get(to + i))));
        }
    }

    static void argmax(FloatBuffer x, int xo, int cols, IntBuffer out, int oo, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            out.put(oo + r, rowArgmax(x, xo + r * cols, cols));
        }
    }

    /** Number of rows in range whose argmax equals the label (an ignored row never does). */
    static int countCorrect(FloatBuffer logits, int lo, int cols, IntBuffer labels, int labo, int fromRow, int toRow) {
        int n = 0;
        for (int r = fromRow; r < toRow; r++) {
            int label = labels.get(labo + r);
            if (label != Backend.IGNORE_INDEX && rowArgmax(logits, lo + r * cols, cols) == label) {
                n++;
            }
        }
        return n;
    }

    static int rowArgmax(FloatBuffer x, int base, int cols) {
        float best = x.get(base);
        int bestIndex = 0;
        for (int j = 1; j < cols; j++) {
            float v = x.get(base + j);
            if (v > best || (v != v && best == best)) {
                best = v;
                bestIndex = j;
            }
        }
        return bestIndex;
    }

    private static int label(IntBuffer labels, int labo, int r, int cols) {
        int label = labels.get(labo + r);
        if (label != Backend.IGNORE_INDEX && (label < 0 || label >= cols)) {
            throw new IllegalArgumentException("labels[" + r + "] = " + label + ", expected a class in [0, " + cols
                    + ") or IGNORE_INDEX (" + Backend.IGNORE_INDEX + ")");
        }
        return label;
    }
}
