package dev.quadrant.tests.conformance;

import java.util.Random;

import dev.quadrant.device.Backend;
import dev.quadrant.device.DType;
import dev.quadrant.device.Tensor;

/**
 * castToBf16 and castFromBf16 against the float64 {@link Ref}: exact, bit for bit (NaN only has to stay NaN). The
 * reference rounds by arithmetic on the value, not by the bit trick backends use, so the two are independent.
 */
final class CastChecks {
    private CastChecks() {}

    /** Specials: ties both ways, the carry into the exponent, overflow to infinity, NaNs, zeros, subnormals. */
    private static final int[] SPECIAL_BITS = {0x3F80_8000, 0x3F81_8000, 0xBF81_8000, 0x3F80_7FFF, 0x3F80_8001,
        0x3FFF_FFFF, 0x7F7F_8000, 0x7F7F_7FFF, 0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000,
        0x7F80_0001, 0xFFFF_FFFF, 0x0000_0000, 0x8000_0000, 0x0000_8000, 0x0001_8000, 0x0000_0001, 0x8000_8001};

    static void castToBf16(Backend be) {
        Random r = new Random(71);
        for (int[] s : Data.SHAPES) {
            int n = s[0] * s[1];
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = i < SPECIAL_BITS.length ? Float.intBitsToFloat(SPECIAL_BITS[i])
                        : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(20) - 10));
            }
            String what = "castToBf16 " + Data.shape(s);
            Tensor rh = Ref.BE.allocate(DType.BF16, s);
            Ref.BE.castToBf16(Ref.floats(x, s), rh);
            double[] ref = Ref.values(rh);
            try (Guarded src = Guarded.floats(be, x, s); Guarded dst = Guarded.bf16(be, s)) {
                be.castToBf16(src.view, dst.view);
                short[] got = dst.bf16Bits();
                for (int i = 0; i < n; i++) {
                    short want = (short) (Float.floatToRawIntBits((float) ref[i]) >>> 16);
                    boolean ok = Float.isNaN(x[i]) ? Float.isNaN(widen(got[i])) : got[i] == want;
                    if (!ok) {
                        throw new AssertionError(what + ": element " + i + " = " + x[i] + " (0x"
                                + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ") became 0x"
                                + Integer.toHexString(got[i] & 0xFFFF) + ", expected 0x" + Integer.toHexString(want & 0xFFFF));
                    }
                }
                dst.assertGuardsIntact(what);
                src.assertGuardsIntact(what);
            }
        }
    }

    /** The float a bf16 pattern stands for: its 16 bits on top of 16 zero bits (exact by definition). */
    private static float widen(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /** All 65,536 patterns: made exactly by castToBf16 of floats bf16 holds, then widened back. */
    static void castFromBf16(Backend be) {
        int n = 1 << 16;
        float[] exact = new float[n];
        for (int h = 0; h < n; h++) {
            exact[h] = widen((short) h);
        }
        Tensor rh = Ref.BE.allocate(DType.BF16, 256, 256);
        Tensor rBack = Ref.zeros(256, 256);
        Ref.BE.castToBf16(Ref.floats(exact, 256, 256), rh);
        Ref.BE.castFromBf16(rh, rBack);
        double[] ref = Ref.values(rBack);
        try (Guarded src = Guarded.floats(be, exact, 256, 256); Guarded mid = Guarded.bf16(be, 256, 256);
             Guarded dst = Guarded.floats(be, new float[n], 256, 256)) {
            be.castToBf16(src.view, mid.view);
            be.castFromBf16(mid.view, dst.view);
            float[] got = dst.floats();
            for (int h = 0; h < n; h++) {
                boolean ok = Float.isNaN(exact[h]) ? Float.isNaN(got[h]) && Double.isNaN(ref[h])
                        : Float.floatToRawIntBits(got[h]) == Float.floatToRawIntBits(exact[h])
                        && Float.floatToRawIntBits((float) ref[h]) == Float.floatToRawIntBits(exact[h]);
                if (!ok) {
                    throw new AssertionError("castFromBf16: pattern 0x" + Integer.toHexString(h) + " became " + got[h]
                            + " (0x" + Integer.toHexString(Float.floatToRawIntBits(got[h])) + "), expected " + exact[h]);
                }
            }
            dst.assertGuardsIntact("castFromBf16");
            mid.assertGuardsIntact("castFromBf16");
        }
    }
}
