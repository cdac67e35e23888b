package dev.quadrant.device.cpu;

/**
 * {@code exp(-z)} for {@code z >= 0} over a per-thread array, in float arithmetic only, so that HotSpot vectorises it:
 * {@link Math#exp} is a scalar double call (~10 ns an element here), this is ~1 ns.
 *
 * <p>Method: {@code n = round(z / ln 2)} by the add-and-subtract-{@code 1.5 * 2^23} rounding trick,
 * {@code r = n ln2_hi - z + n ln2_lo} (Cody-Waite, {@code |r| <= ln 2 / 2}, exact first product), {@code exp(r)} by its
 * degree-7 Taylor polynomial (truncation below 0.05 ulp), then times {@code 2^-n} built from the bits of {@code n}
 * (each bit extracted as a float by the same rounding trick and applied as an exact factor {@code 2^-2^i} or 1):
 * Java 17's C2 does not vectorise {@link Float#intBitsToFloat}, nor loops mixing float and int lanes. {@code z} is
 * clamped to {@link #Z_MAX}, so the result is at least {@code exp(-87)} (a normal float). NaN stays NaN. Max relative
 * error against float64 {@code exp}: 0.85 float32 ulps of 1 (1e-7), measured over every 1e-6-relative step of
 * {@code [0, 87]}.
 *
 * <p>The work is split into three short loops over the array because C2 unrolls, and so vectorises, only loops with a
 * small body; one loop with all of it ran scalar and 40x slower. Stateless.
 */
final class FloatExp {
    /** Largest argument used: {@code exp(-87) = 1.6e-38}, above {@link Float#MIN_NORMAL}. */
    static final float Z_MAX = 87f;

    private static final float INV_LN2 = 1.44269504f;
    private static final float LN2_HI = 0.693145752f;    // 16 significant bits: n * LN2_HI is exact for n < 2^8
    private static final float LN2_LO = 1.42860677e-6f;
    private static final float ROUND = 0x1.8p23f;       // x + ROUND - ROUND rounds x to an integer, |x| < 2^22

    private FloatExp() {}

    /** {@code z[i] = exp(-min(z[i], Z_MAX))} for {@code i < len}; {@code n} is scratch of at least len floats. */
    static void expNegInPlace(float[] z, float[] n, int len) {
        for (int i = 0; i < len; i++) {
            float zi = Math.min(z[i], Z_MAX);
            float k = (zi * INV_LN2 + ROUND) - ROUND;
            float r = (k * LN2_HI - zi) + k * LN2_LO;
            z[i] = 1 + r * (1 + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720
                    + r * (1f / 5040)))))));
            n[i] = k;
        }
        for (int i = 0; i < len; i++) {   // bits 64, 32, 16 of n (n <= 126)
            float k = n[i];
            float p = z[i];
            float b = (k * 0x1p-6f - (0.5f - 0x1p-7f) + ROUND) - ROUND;
            k -= 64 * b;
            p *= b * 0x1p-64f + (1 - b);
            b = (k * 0x1p-5f - (0.5f - 0x1p-6f) + ROUND) - ROUND;
            k -= 32 * b;
            p *= b * 0x1p-32f + (1 - b);
            b = (k * 0x1p-4f - (0.5f - 0x1p-5f) + ROUND) - ROUND;
            k -= 16 * b;
            p *= b * 0x1p-16f + (1 - b);
            n[i] = k;
            z[i] = p;
        }
        for (int i = 0; i < len; i++) {   // bits 8, 4, 2, 1
            float k = n[i];
            float p = z[i];
            float b = (k * 0x1p-3f - (0.5f - 0x1p-4f) + ROUND) - ROUND;
            k -= 8 * b;
            p *= b * 0x1p-8f + (1 - b);
            b = (k * 0x1p-2f - (0.5f - 0x1p-3f) + ROUND) - ROUND;
            k -= 4 * b;
            p *= b * 0x1p-4f + (1 - b);
            b = (k * 0.5f - (0.5f - 0x1p-2f) + ROUND) - ROUND;
            k -= 2 * b;
            p *= b * 0x1p-2f + (1 - b);
            z[i] = p * (k * 0.5f + (1 - k));
        }
    }
}
