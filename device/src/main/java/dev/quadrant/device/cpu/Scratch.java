package dev.quadrant.device.cpu;

/**
 * Small per-thread arrays for the loops that stream a direct buffer through a heap array: a bulk {@code get} (a
 * memcpy), a plain loop over the array that HotSpot vectorises (it does not vectorise absolute {@code get}/{@code
 * put} on direct buffers), and a bulk {@code put}. {@link #CHUNK} elements per array keeps four arrays in L1.
 */
final class Scratch {
    /** Elements per chunk. */
    static final int CHUNK = 512;

    private static final ThreadLocal<float[][]> FLOATS = ThreadLocal.withInitial(() -> new float[5][CHUNK]);
    private static final ThreadLocal<int[][]> INTS = ThreadLocal.withInitial(() -> new int[2][CHUNK]);
    private static final ThreadLocal<double[][]> DOUBLES = ThreadLocal.withInitial(() -> new double[2][CHUNK]);

    private Scratch() {}

    /** Index of the float array that {@link ElementwiseLoops#fill} uses, so that loops holding 0 to 3 may call it. */
    static final int FILL = 4;

    /** This thread's float array number {@code k} (0 to 3, or {@link #FILL}). */
    static float[] floats(int k) {
        return FLOATS.get()[k];
    }

    /**
     * This thread's float array number {@code k} (0 to 3), grown to at least {@code length} elements if it is
     * shorter (for loops that need whole rows longer than a chunk); later calls get the grown array.
     */
    static float[] floats(int k, int length) {
        float[][] all = FLOATS.get();
        if (all[k].length < length) {
            all[k] = new float[length];
        }
        return all[k];
    }

    /** This thread's int array number {@code k} (0 or 1). */
    static int[] ints(int k) {
        return INTS.get()[k];
    }

    /** This thread's double array number {@code k} (0 or 1), for float64 accumulators. */
    static double[] doubles(int k) {
        return DOUBLES.get()[k];
    }
}
