package io.distillery.store;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Half} against the definition of binary16: exhaustive over all 65,536 bit patterns (exact decoding checked
 * against the formula, round trip) and over every rounding midpoint between neighbouring halves (ties to even, one
 * float ulp either side goes to the nearer one), plus the edge cases by name.
 */
class HalfTest {

    /** The value of half bits by the textbook formula, in double. */
    private static double reference(int bits) {
        int sign = (bits & 0x8000) != 0 ? -1 : 1;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return mant == 0 ? sign * Double.POSITIVE_INFINITY : Double.NaN;
        }
        if (exp == 0) {
            return sign * mant * Math.pow(2, -24);
        }
        return sign * (1 + mant / 1024.0) * Math.pow(2, exp - 15);
    }

    @Test
    void everyHalfDecodesExactlyAndRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = Half.toFloat(h);
            double expected = reference(bits);
            if (Double.isNaN(expected)) {
                assertTrue(Float.isNaN(f), Integer.toHexString(bits));
                assertTrue(Float.isNaN(Half.toFloat(Half.toHalf(f))), "NaN stays NaN: " + Integer.toHexString(bits));
                continue;
            }
            assertEquals(expected, f, 0.0, Integer.toHexString(bits));
            // Signed zero keeps its sign.
            assertEquals(bits, Half.toHalf(f) & 0xffff, "round trip of " + Integer.toHexString(bits) + " = " + f);
        }
    }

    @Test
    void everyMidpointRoundsToEvenAndItsNeighboursToTheNearest() {
        // Consecutive positive finite halves a < b (including the step from 65504 to infinity, whose midpoint
        // 65520 is where binary16 overflows); the negative side mirrors.
        for (int bits = 0; bits < 0x7c00; bits++) {
            double a = reference(bits);
            double b = bits + 1 == 0x7c00 ? 65536.0 : reference(bits + 1); // 65536 = the "next" binade's start
            float mid = (float) ((a + b) / 2); // exact: the midpoint needs 12 significant bits at most
            assertEquals((a + b) / 2, mid, 0.0);
            int even = (bits & 1) == 0 ? bits : bits + 1;
            for (int s : new int[] {0, 0x8000}) {
                float sign = s == 0 ? 1f : -1f;
                assertEquals(even | s, Half.toHalf(sign * mid) & 0xffff, "tie at " + mid);
                assertEquals(bits | s, Half.toHalf(sign * Math.nextDown(mid)) & 0xffff, "below " + mid);
                assertEquals((bits + 1) | s, Half.toHalf(sign * Math.nextUp(mid)) & 0xffff, "above " + mid);
            }
        }
    }

    @Test
    void edgeCases() {
        assertEquals(0x7bff, Half.toHalf(65504f) & 0xffff);
        assertEquals(Half.MAX_VALUE, Half.toFloat((short) 0x7bff));
        assertEquals(0x7bff, Half.toHalf(65519.99f) & 0xffff);
        assertEquals(0x7c00, Half.toHalf(65520f) & 0xffff, "the tie above the largest half overflows");
        assertEquals(0xfc00, Half.toHalf(-1e9f) & 0xffff);
        assertEquals(0x7c00, Half.toHalf(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, Half.toHalf(Float.NEGATIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(Half.toFloat(Half.toHalf(Float.NaN))));
        assertTrue(Float.isNaN(Half.toFloat(Half.toHalf(Float.intBitsToFloat(0x7f800001)))),
                "a NaN whose payload is shifted out stays NaN");
        assertEquals(0x0000, Half.toHalf(0f) & 0xffff);
        assertEquals(0x8000, Half.toHalf(-0f) & 0xffff);
        assertEquals(0x0001, Half.toHalf(0x1p-24f) & 0xffff, "smallest subnormal");
        assertEquals(0x0000, Half.toHalf(0x1p-25f) & 0xffff, "half the smallest subnormal ties to zero");
        assertEquals(0x0001, Half.toHalf(Math.nextUp(0x1p-25f)) & 0xffff);
        assertEquals(0x0000, Half.toHalf(Float.MIN_VALUE) & 0xffff);
        assertEquals(0x03ff, Half.toHalf(1023 * 0x1p-24f) & 0xffff, "largest subnormal");
        assertEquals(0x0400, Half.toHalf(0x1p-14f) & 0xffff, "smallest normal");
        assertEquals(0x0400, Half.toHalf(1023.75f * 0x1p-24f) & 0xffff, "rounds up out of the subnormals");
        assertEquals(0x3c00, Half.toHalf(1f) & 0xffff);
        assertEquals(0x3c00, Half.toHalf(1f + 0x1p-11f) & 0xffff, "1 + half an ulp ties to even (1)");
        assertEquals(0x3c02, Half.toHalf(1f + 3 * 0x1p-11f) & 0xffff, "1 + 1.5 ulp ties to even (1 + 2 ulp)");
        assertEquals(0x4000, Half.toHalf(Math.nextDown(2f)) & 0xffff, "rounds up into the next binade");
        assertEquals(0xc000, Half.toHalf(-2f) & 0xffff);
        assertEquals(0.333251953125f, Half.toFloat(Half.toHalf(1f / 3)));
    }
}
