package dev.quadrant.device.cpu;

/**
 * Per-channel sums over many rows of a channels-last tile that vectorise: a tile of {@code rows} whole rows of
 * {@code c} channels is added element by element into a float <em>lane</em> array of the tile's size (every array
 * at the same index, which HotSpot 17 vectorises; an accumulator per channel, {@code acc[j] += a[i * c + j]}, and
 * any float-to-double conversion, it does not), and every {@link #FLUSH} tiles the lanes are added into the
 * per-channel double accumulators and cleared. So each float partial sums at most {@code FLUSH} terms (its rounding
 * at most {@code (FLUSH - 1) eps} of their magnitudes, as a GPU's chunked partials) and everything above it is in
 * double. The additions depend on the rows and {@code c} only. Stateless.
 */
final class Lanes {
    /** Tiles a lane sums in float before it is added to the double accumulators. */
    static final int FLUSH = 8;

    private Lanes() {}

    /** Rows of {@code c} floats in one tile of at most {@link Scratch#CHUNK} floats, at least 1. */
    static int rowsPerTile(int c) {
        return Math.max(1, Scratch.CHUNK / c);
    }

    /** {@code acc[j] += lanes[i * c + j]} for each of {@code rows} rows, in row order, then the lanes cleared. */
    static void flush(float[] lanes, int c, int rows, double[] acc) {
        for (int i = 0; i < rows; i++) {
            int o = i * c;
            for (int j = 0; j < c; j++) {
                acc[j] += lanes[o + j];
                lanes[o + j] = 0f;
            }
        }
    }

    /** {@code perChannel} repeated over {@code rows} rows of {@code c}: a value per element of a tile. */
    static float[] tiled(float[] perChannel, int c, int rows) {
        float[] t = new float[rows * c];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(perChannel, 0, t, i * c, c);
        }
        return t;
    }

    /** {@link #tiled} of {@code perChannel} rounded to float. */
    static float[] tiled(double[] perChannel, int c, int rows) {
        float[] f = new float[c];
        for (int j = 0; j < c; j++) {
            f[j] = (float) perChannel[j];
        }
        return tiled(f, c, rows);
    }
}
