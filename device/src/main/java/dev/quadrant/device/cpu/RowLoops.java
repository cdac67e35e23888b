package dev.quadrant.device.cpu;

import java.nio.FloatBuffer;
import java.nio.IntBuffer;

import dev.quadrant.device.Backend;

/**
 * Row-wise loops of {@link CpuBackend}: softmax cross-entropy forward and backward, mean squared error, argmax and
 * the count of correct predictions, each over rows {@code [fromRow, toRow)} of a row-major {@code [rows, cols]}
 * matrix. The caller parallelises over rows.
 *
 * <p>Numerics: softmax subtracts the row maximum (taken in float, exact) and sums {@code exp(x - max)} in double,
 * so the log-sum-exp is good to double precision before the final rounding to float; the terms are at most 1 and
 * the sum at least 1, so nothing overflows or underflows to a wrong answer. The loss is formed as
 * {@code (max - x[label]) + log(sum)} in double, which keeps small losses (confident right answers) accurate.
 * Argmax takes the first maximum; a NaN counts as larger than any number (the first NaN wins), as in NumPy and
 * PyTorch. A row labelled {@link Backend#IGNORE_INDEX} has loss 0, a zero gradient row and never counts as correct;
 * other labels outside {@code [0, cols)} throw an {@link IllegalArgumentException} naming the row. Stateless.
 */
final class RowLoops {
    private RowLoops() {}

    static void softmaxCrossEntropyForward(FloatBuffer logits, int lo, int cols, IntBuffer labels, int labo,
                                           FloatBuffer losses, int lso, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            int base = lo + r * cols;
            int label = label(labels, labo, r, cols);
            if (label == Backend.IGNORE_INDEX) {
                losses.put(lso + r, 0f);
                continue;
            }
            float max = rowMax(logits, base, cols);
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp((double) logits.get(base + j) - max);
            }
            losses.put(lso + r, (float) (((double) max - logits.get(base + label)) + Math.log(sum)));
        }
    }

    static void softmaxCrossEntropyBackward(FloatBuffer logits, int lo, int cols, IntBuffer labels, int labo,
                                            float scale, FloatBuffer d, int dO, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            int base = lo + r * cols;
            int dBase = dO + r * cols;
            int label = label(labels, labo, r, cols);
            if (label == Backend.IGNORE_INDEX) {
                ElementwiseLoops.fill(d, dBase, 0f, 0, cols);
                continue;
            }
            float max = rowMax(logits, base, cols);
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp((double) logits.get(base + j) - max);
            }
            // exp is computed again rather than stashed in float: the label's p - 1 must not cancel a rounded p.
            double k = scale / sum;
            for (int j = 0; j < cols; j++) {
                double e = Math.exp((double) logits.get(base + j) - max);
                d.put(dBase + j, (float) (j == label ? (e - sum) * k : e * k));
            }
        }
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

    private static float rowMax(FloatBuffer x, int base, int cols) {
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, x.get(base + j));   // NaN propagates, so a NaN row gives a NaN loss
        }
        return max;
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
