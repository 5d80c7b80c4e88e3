package io.distillery.store;

import io.distillery.config.ConfigProblems;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Column names and types of the canonical dataset and of the soft-target store.
 * <pre>
 * id              long           stable row id
 * label           int            true class
 * features        array&lt;float&gt;   the student's inputs, carried through so training is a plain scan
 * teacher_logits  array&lt;float&gt;   the teacher's raw logits (output pre-activations), one per class
 * tap_&lt;layer&gt;     array&lt;float&gt;   flattened activations of each tapped teacher layer
 * (partition columns of the input, unchanged)
 * </pre>
 */
public final class SoftTargetSchema {
    public static final String ID = "id";
    public static final String LABEL = "label";
    public static final String FEATURES = "features";
    public static final String LOGITS = "teacher_logits";
    public static final String TAP_PREFIX = "tap_";

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);

    private SoftTargetSchema() {
    }

    public static String tapColumn(String layer) {
        return TAP_PREFIX + layer;
    }

    /** The store's schema for the given taps, followed by the input's partition columns. */
    public static StructType storeSchema(List<String> taps, StructType input, List<String> partitionColumns) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField(ID, DataTypes.LongType, false),
                DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
                DataTypes.createStructField(FEATURES, FLOATS, false),
                DataTypes.createStructField(LOGITS, FLOATS, false)));
        for (String tap : taps) {
            fields.add(DataTypes.createStructField(tapColumn(tap), FLOATS, false));
        }
        for (String p : partitionColumns) {
            fields.add(input.apply(p));
        }
        return DataTypes.createStructType(fields);
    }

    /**
     * Checks that a store has the columns training needs, with array types; every problem is recorded.
     *
     * @param path named in the sentences
     */
    public static void checkStoreColumns(StructType schema, List<String> needed, String path, ConfigProblems problems) {
        List<String> names = Arrays.asList(schema.fieldNames());
        for (String column : needed) {
            if (!names.contains(column)) {
                problems.add("Soft-target store " + path + " has no column '" + column + "'; its columns are "
                        + names + ".");
            } else if (!column.equals(ID) && !column.equals(LABEL)
                    && !(schema.apply(column).dataType() instanceof ArrayType)) {
                problems.add("Column '" + column + "' of soft-target store " + path + " has type "
                        + schema.apply(column).dataType().simpleString() + "; expected array<float>.");
            }
        }
    }
}
