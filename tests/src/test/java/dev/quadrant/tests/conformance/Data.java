package dev.quadrant.tests.conformance;

import java.util.Random;

/** Seeded random inputs and the shapes the suite runs every op on. */
final class Data {
    private Data() {}

    /**
     * [rows, cols] shapes: sizes of 1, sizes that are not multiples of 8 (7, 10, 17, 33, 130), and one of 77,100
     * elements, large enough that a CPU backend splits the loop over its threads.
     */
    static final int[][] SHAPES = {{1, 1}, {7, 10}, {33, 17}, {1, 130}, {7, 130}, {33, 1}, {257, 300}};

    static float[] gaussian(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * scale);
        }
        return x;
    }

    static float[] uniform(Random r, int n, double lo, double hi) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return x;
    }

    static int[] labels(Random r, int n, int classes) {
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    static String shape(int[] s) {
        return java.util.Arrays.toString(s);
    }
}
