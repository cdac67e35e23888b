package dev.quadrant.device.reference;

import dev.quadrant.device.Backend;

/**
 * Float64 softmax cross-entropy (with {@link Backend#IGNORE_INDEX}), mean squared error, argmax and the count of
 * correct predictions, over row-major {@code [rows, cols]} arrays.
 *
 * <p>Semantics pinned here: argmax takes the first maximum and a NaN beats every number (the first NaN wins), as
 * NumPy and PyTorch; a row labelled {@code IGNORE_INDEX} has loss 0, a zero gradient and is never counted; any
 * other label outside {@code [0, cols)} throws an {@link IllegalArgumentException} naming the row. Stateless.
 */
final class LossOps {
    private LossOps() {}

    /** {@code loss[r] = max + log(sum_j exp(x[r, j] - max)) - x[r, label]}, 0 for an ignored row. */
    static double[] softmaxCrossEntropyForward(String op, double[] logits, int cols, int[] labels) {
        double[] out = new double[labels.length];
        for (int r = 0; r < labels.length; r++) {
            if (label(op, labels, r, cols) == Backend.IGNORE_INDEX) {
                continue;
            }
            double max = rowMax(logits, r, cols);
            out[r] = max + Math.log(sumExp(logits, r, cols, max)) - logits[r * cols + labels[r]];
        }
        return out;
    }

    /** {@code d[r, j] = scale (softmax(x[r, :])_j - [j == label])}, a zero row for an ignored one. */
    static double[] softmaxCrossEntropyBackward(String op, double[] logits, int cols, int[] labels, double scale) {
        double[] out = new double[labels.length * cols];
        for (int r = 0; r < labels.length; r++) {
            if (label(op, labels, r, cols) == Backend.IGNORE_INDEX) {
                continue;
            }
            double max = rowMax(logits, r, cols);
            double s = sumExp(logits, r, cols, max);
            for (int j = 0; j < cols; j++) {
                double p = Math.exp(logits[r * cols + j] - max) / s;
                out[r * cols + j] = scale * (p - (j == labels[r] ? 1 : 0));
            }
        }
        return out;
    }

    static double[] mseForward(double[] pred, double[] target, int cols) {
        int rows = cols == 0 ? 0 : pred.length / cols;
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                double d = pred[r * cols + j] - target[r * cols + j];
                s += d * d;
            }
            out[r] = s / cols;
        }
        return out;
    }

    static double[] mseBackward(double[] pred, double[] target, int cols, double scale) {
        double[] out = new double[pred.length];
        for (int i = 0; i < pred.length; i++) {
            out[i] = scale * 2 * (pred[i] - target[i]) / cols;
        }
        return out;
    }

    static int[] argmax(double[] x, int rows, int cols) {
        int[] out = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            for (int j = 1; j < cols; j++) {
                double v = x[r * cols + j];
                double b = x[r * cols + best];
                if (!Double.isNaN(b) && (Double.isNaN(v) || v > b)) {
                    best = j;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** Rows whose argmax is their label; an ignored row never matches (argmax is never negative). */
    static int countCorrect(double[] logits, int cols, int[] labels) {
        int[] pred = argmax(logits, labels.length, cols);
        int n = 0;
        for (int r = 0; r < labels.length; r++) {
            if (labels[r] != Backend.IGNORE_INDEX && pred[r] == labels[r]) {
                n++;
            }
        }
        return n;
    }

    /** {@code sum_j exp(x[r, j] - max)}. */
    private static double sumExp(double[] x, int r, int cols, double max) {
        double s = 0;
        for (int j = 0; j < cols; j++) {
            s += Math.exp(x[r * cols + j] - max);
        }
        return s;
    }

    private static double rowMax(double[] x, int r, int cols) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < cols; j++) {
            max = Math.max(max, x[r * cols + j]);
        }
        return max;
    }

    private static int label(String op, int[] labels, int r, int cols) {
        int label = labels[r];
        if (label != Backend.IGNORE_INDEX && (label < 0 || label >= cols)) {
            throw new IllegalArgumentException(op + ": labels[" + r + "] = " + label + ", expected a class in [0, "
                    + cols + ") or IGNORE_INDEX (" + Backend.IGNORE_INDEX + ")");
        }
        return label;
    }
}
