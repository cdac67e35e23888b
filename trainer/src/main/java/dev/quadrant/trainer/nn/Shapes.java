package dev.quadrant.trainer.nn;

import java.util.Arrays;

/** Small helpers for per-sample shapes ({@code int[]}). Stateless. */
public final class Shapes {
    private Shapes() {}

    /** Number of elements of a shape (1 for a scalar). */
    public static int size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return Math.toIntExact(n);
    }

    /** {@code shape} with its last dimension replaced. */
    public static int[] withLast(int[] shape, int last) {
        int[] s = shape.clone();
        s[s.length - 1] = last;
        return s;
    }

    /** {@code [rows, ...perSample]}. */
    public static int[] batch(int rows, int[] perSample) {
        int[] s = new int[perSample.length + 1];
        s[0] = rows;
        System.arraycopy(perSample, 0, s, 1, perSample.length);
        return s;
    }

    /** A tensor {@code [rows, ..., last]} seen as a matrix {@code [rows * ..., last]}. */
    public static dev.quadrant.device.Tensor asMatrix(dev.quadrant.device.Tensor t) {
        int last = t.dim(t.rank() - 1);
        return t.reshape(Math.toIntExact(t.size() / Math.max(1, last)), last);
    }

    /** For messages: {@code [28, 28, 1]}. */
    public static String show(int[] shape) { return Arrays.toString(shape); }
}
