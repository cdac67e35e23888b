package dev.quadrant.device.group;

import java.nio.FloatBuffer;

/**
 * A NCCL unique id (128 bytes) as 32 floats, so that it travels over {@link dev.quadrant.device.comm.ProcessLink},
 * which moves floats only: four bytes per float by their raw bits ({@link Float#intBitsToFloat}). A broadcast copies
 * floats bit for bit, NaN payloads included, so the id arrives exactly; never add or reduce these floats. Stateless;
 * touches no CUDA class.
 */
final class NcclIdFloats {
    /** Bytes of a NCCL unique id ({@code NCCL_UNIQUE_ID_BYTES}). */
    static final int BYTES = 128;
    /** Floats that carry them. */
    static final int FLOATS = BYTES / 4;

    private NcclIdFloats() {}

    /** {@code id} (128 bytes) into {@code out[0..31]}, little-endian within each float. */
    static void pack(byte[] id, FloatBuffer out) {
        if (id.length != BYTES) {
            throw new IllegalArgumentException("a NCCL unique id has " + BYTES + " bytes, got " + id.length);
        }
        for (int f = 0; f < FLOATS; f++) {
            int bits = (id[4 * f] & 0xff) | (id[4 * f + 1] & 0xff) << 8 | (id[4 * f + 2] & 0xff) << 16
                    | (id[4 * f + 3] & 0xff) << 24;
            out.put(f, Float.intBitsToFloat(bits));
        }
    }

    /** The 128 bytes packed in {@code in[0..31]}. */
    static byte[] unpack(FloatBuffer in) {
        byte[] id = new byte[BYTES];
        for (int f = 0; f < FLOATS; f++) {
            int bits = Float.floatToRawIntBits(in.get(f));
            for (int b = 0; b < 4; b++) {
                id[4 * f + b] = (byte) (bits >>> (8 * b));
            }
        }
        return id;
    }
}
