package dev.quadrant.device;

/**
 * The counter-based hash behind {@link Backend#dropoutMask}: every backend (Java loops, CUDA kernels) computes the
 * same 32-bit value for {@code (seed, index)}, so a dropout mask does not depend on where it was made.
 *
 * <p>It is the 64-bit finaliser of MurmurHash3 ({@code fmix64}) applied to {@code seed ^ (index * golden)}; the upper
 * 24 bits give a uniform value in {@code [0, 1)}.
 */
public final class DropoutHash {
    private DropoutHash() {}

    /** Uniform value in [0, 1) for element {@code index} under {@code seed}. */
    public static float uniform(long seed, long index) {
        long z = seed ^ (index * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        z = z ^ (z >>> 33);
        return (z >>> 40) * 0x1.0p-24f;
    }
}
