package io.distillery.data;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.MetadataBuilder;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Names and types of the canonical dataset form that every reader produces and every later stage consumes.
 *
 * <p>The {@code features} column of a canonical dataset carries the field metadata {@link #MARKER_KEY}. That lets
 * {@link DatasetValidator} tell a canonical dataset from raw data named by the config, and it survives a Parquet
 * round trip (Spark stores field metadata in the file footer), so data written by Distillery describes itself.
 */
public final class Canonical {
    /** Row id, unique and stable across runs over the same input files. */
    public static final String ID = "id";
    /** Class label in {@code [0, numClasses)}. */
    public static final String LABEL = "label";
    /** All features of a row. */
    public static final String FEATURES = "features";
    /**
     * The student's own view of the row (cross-modal distillation, {@code data.student-features-column} or
     * {@code student-feature-columns}), present only when one is configured; {@code features} stays the teacher's.
     */
    public static final String STUDENT_FEATURES = "student_features";
    /** Field metadata key that marks the {@code features} column of a canonical dataset. */
    public static final String MARKER_KEY = "distillery.canonical";

    /** The metadata put on the canonical {@code features} column. */
    public static final Metadata MARKER = new MetadataBuilder().putBoolean(MARKER_KEY, true).build();

    /** Schema of a canonical dataset without partition columns. */
    public static final StructType SCHEMA = new StructType(new StructField[]{
            new StructField(ID, DataTypes.LongType, false, Metadata.empty()),
            new StructField(LABEL, DataTypes.IntegerType, false, Metadata.empty()),
            new StructField(FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false, MARKER)});

    private Canonical() {
    }

    /** True when {@code schema} is marked as canonical (see the class comment). */
    public static boolean isCanonical(StructType schema) {
        for (StructField f : schema.fields()) {
            if (f.name().equals(FEATURES) && f.metadata().contains(MARKER_KEY)) {
                return true;
            }
        }
        return false;
    }
}
