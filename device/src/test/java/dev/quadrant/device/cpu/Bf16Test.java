package dev.quadrant.device.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Bf16Test {

    private static short bf(float f) {
        return Bf16.fromFloat(f);
    }

    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    @Test
    void roundsToNearestEven() {
        assertEquals((short) 0x3F80, bf(f(0x3F80_7FFF)), "below the half: down");
        assertEquals((short) 0x3F81, bf(f(0x3F80_8001)), "above the half: up");
        assertEquals((short) 0x3F80, bf(f(0x3F80_8000)), "tie to even (0x3F80 is even): down");
        assertEquals((short) 0x3F82, bf(f(0x3F81_8000)), "tie to even (0x3F81 is odd): up");
        assertEquals((short) 0xBF82, bf(f(0xBF81_8000)), "negative tie: magnitude to even");
        assertEquals((short) 0x4000, bf(f(0x3FFF_FFFF)), "carry into the exponent");
    }

    @Test
    void specialValues() {
        assertEquals((short) 0x7F80, bf(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, bf(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7F80, bf(Float.MAX_VALUE), "above the largest bf16: infinity");
        assertEquals((short) 0x0000, bf(0f));
        assertEquals((short) 0x8000, bf(-0f));
        assertEquals((short) 0x0001, bf(f(0x0000_8001)), "subnormals round like the rest");
        for (int nan : new int[] {0x7FC0_0000, 0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF}) {
            float back = Bf16.toFloat(bf(f(nan)));
            assertTrue(Float.isNaN(back), Integer.toHexString(nan) + " stays NaN, got " + back);
            assertEquals(nan < 0, Float.floatToRawIntBits(back) < 0, "sign of " + Integer.toHexString(nan));
        }
    }

    @Test
    void toFloatIsExactAndRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float v = Bf16.toFloat((short) h);
            if (!Float.isNaN(v)) {
                assertEquals((short) h, bf(v), "bf16 " + Integer.toHexString(h) + " survives a round trip");
            }
        }
    }
}
