package io.distillery.config;

import java.util.Locale;

/**
 * Storage precision of a soft-target store's float columns. {@code float16} keeps IEEE binary16 values (11
 * significant bits, about 3 decimal digits, range +-65504) as their bits in {@code array<short>} columns, because
 * Spark and Parquet have no 16-bit float type.
 */
public enum Precision {
    FLOAT32, FLOAT16;

    /** The config spelling, {@code float32} or {@code float16}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The precision named {@code value}, or null when it names none. */
    static Precision parse(String value) {
        for (Precision p : values()) {
            if (p.configName().equals(value)) {
                return p;
            }
        }
        return null;
    }
}
