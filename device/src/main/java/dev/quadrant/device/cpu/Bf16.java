package dev.quadrant.device.cpu;

/**
 * bfloat16 conversions: a bf16 value is the upper 16 bits of a float32.
 *
 * <p>{@link #fromFloat} rounds to nearest, ties to even (as {@code __float2bfloat16_rn} on CUDA); values above the
 * largest bf16 round to infinity; NaN stays NaN (made quiet, sign kept). {@link #toFloat} is exact. Stateless.
 *
 * <pre>{@code
 * short h = Bf16.fromFloat(1.00390625f);   // 0x3F80: the tie rounds down to the even 1.0
 * float f = Bf16.toFloat(h);               // 1.0f
 * }</pre>
 */
public final class Bf16 {
    private Bf16() {}

    /** float32 to bf16 bits, round-to-nearest-even, NaN kept. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            // NaN: keep sign and top payload bits, set the quiet bit so that truncation cannot make it infinity.
            return (short) ((bits >>> 16) | 0x0040);
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** bf16 bits to float32 (exact). */
    public static float toFloat(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }
}
