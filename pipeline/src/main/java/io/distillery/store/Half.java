package io.distillery.store;

/**
 * IEEE 754 binary16 ("half") conversion for the soft-target store's compact columns.
 *
 * <p>Spark and Parquet have no 16-bit float type, so a half value travels as its 16 bits in a {@code short}
 * ({@code array<short>} columns). Java 17 has no {@code Float.floatToFloat16} (it arrived in Java 20), hence this
 * class. {@link #toHalf} rounds to nearest, ties to even, like the hardware conversion; values whose magnitude
 * rounds beyond the largest half (65504) become infinities, values below half the smallest subnormal (2^-25)
 * become signed zeros, NaN stays NaN (quiet, keeping the top payload bits). {@link #toFloat} is exact: every half
 * is a float. The test checks every one of the 65,536 halves and every rounding midpoint between them.
 */
public final class Half {
    /** The largest finite half, 65504. */
    public static final float MAX_VALUE = 65504f;

    private Half() {
    }

    /** The binary16 bits nearest to {@code f} (ties to even). */
    public static short toHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            // Infinity keeps its sign; a NaN stays a NaN (quiet bit set, so a payload that shifts out cannot
            // turn it into an infinity).
            return (short) (abs == 0x7f800000 ? sign | 0x7c00 : sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {
            // >= 65520 = 65504 + half an ulp: the tie goes to the even neighbour, which is infinity.
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {
            // Normal half (>= 2^-14): rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10 bits.
            // Adding 0xfff plus the lowest kept bit rounds to nearest even; a carry ripples into the exponent,
            // which is the correct result (including the step up to the next binade).
            int m = abs - (112 << 23);
            m += 0xfff + ((m >>> 13) & 1);
            return (short) (sign | (m >>> 13));
        }
        if (abs <= 0x33000000) {
            // <= 2^-25, half the smallest subnormal: rounds to zero (exactly 2^-25 is a tie, and zero is even).
            return (short) sign;
        }
        // Subnormal half: value = q * 2^-24 with q in [0, 1024]; q = 1024 is the smallest normal, whose bits
        // 0x0400 come out right without a special case.
        int e = abs >>> 23;
        int mant = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - e; // 14..24 in this range
        int q = mant >>> shift;
        int rem = mant & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (q & 1) == 1)) {
            q++;
        }
        return (short) (sign | q);
    }

    /** The float value of the binary16 bits {@code h} (exact). */
    public static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // Zero or subnormal: mant * 2^-24, exact in float.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Each value rounded to half bits. */
    public static short[] toHalf(float[] values) {
        short[] out = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = toHalf(values[i]);
        }
        return out;
    }
}
