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
 * id                    long           stable row id
 * label                 int            true class
 * features              array&lt;float&gt;   the student's inputs, carried through so training is a plain scan
 * teacher_logits        array&lt;float&gt;   dense store: the teacher's raw logits (output pre-activations), one per
 *                                      class
 * teacher_topk_index    array&lt;int&gt;     top-k store: the k most probable classes, most probable first
 * teacher_topk_logprob  array&lt;float&gt;   top-k store: their log-probabilities at T = 1 (float32), or
 *                       array&lt;short&gt;   the same as IEEE float16 bits ({@link Half})
 * teacher_topk_logrest  float          top-k store: log of the probability (T = 1) of the classes not kept
 *                                      (always float32; -Infinity when every class is kept)
 * teacher_logsumexp     float          top-k store: log-sum-exp of all C logits (always float32)
 * tap_&lt;layer&gt;           array&lt;float&gt;   flattened activations of each tapped teacher layer
 *                                      (array&lt;short&gt; float16 bits when the store's feature precision is float16)
 * (partition columns of the input, unchanged)
 * </pre>
 * A store has either {@code teacher_logits} or the four {@code teacher_topk_*}/{@code teacher_logsumexp}
 * columns; its {@code metadata.json} says which ({@link StoreLayout}). See {@link TopKLogits} for why the top-k
 * values are log-probabilities and how the dense row is rebuilt.
 */
public final class SoftTargetSchema {
    public static final String ID = "id";
    public static final String LABEL = "label";
    public static final String FEATURES = "features";
    public static final String LOGITS = "teacher_logits";
    public static final String TOPK_INDEX = "teacher_topk_index";
    public static final String TOPK_LOGPROB = "teacher_topk_logprob";
    public static final String TOPK_LOGREST = "teacher_topk_logrest";
    public static final String LOGSUMEXP = "teacher_logsumexp";
    public static final String TAP_PREFIX = "tap_";

    private static final DataType FLOATS = DataTypes.createArrayType(DataTypes.FloatType, false);
    private static final DataType HALVES = DataTypes.createArrayType(DataTypes.ShortType, false);
    private static final DataType INTS = DataTypes.createArrayType(DataTypes.IntegerType, false);

    private SoftTargetSchema() {
    }

    public static String tapColumn(String layer) {
        return TAP_PREFIX + layer;
    }

    /** The dense float32 store's schema for the given taps, followed by the input's partition columns. */
    public static StructType storeSchema(List<String> taps, StructType input, List<String> partitionColumns) {
        return storeSchema(taps, input, partitionColumns, StoreLayout.dense());
    }

    /** The store's schema for the given taps and layout, followed by the input's partition columns. */
    public static StructType storeSchema(List<String> taps, StructType input, List<String> partitionColumns,
                                         StoreLayout layout) {
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField(ID, DataTypes.LongType, false),
                DataTypes.createStructField(LABEL, DataTypes.IntegerType, false),
                DataTypes.createStructField(FEATURES, FLOATS, false)));
        if (layout.isTopK()) {
            fields.add(DataTypes.createStructField(TOPK_INDEX, INTS, false));
            fields.add(DataTypes.createStructField(TOPK_LOGPROB, arrayOf(layout.logitPrecision()), false));
            fields.add(DataTypes.createStructField(TOPK_LOGREST, DataTypes.FloatType, false));
            fields.add(DataTypes.createStructField(LOGSUMEXP, DataTypes.FloatType, false));
        } else {
            fields.add(DataTypes.createStructField(LOGITS, FLOATS, false));
        }
        for (String tap : taps) {
            fields.add(DataTypes.createStructField(tapColumn(tap), arrayOf(layout.featurePrecision()), false));
        }
        for (String p : partitionColumns) {
            fields.add(input.apply(p));
        }
        return DataTypes.createStructType(fields);
    }

    /** {@code array<float>}, or {@code array<short>} holding float16 bits. */
    public static DataType arrayOf(io.distillery.config.Precision precision) {
        return precision == io.distillery.config.Precision.FLOAT16 ? HALVES : FLOATS;
    }

    /**
     * Checks that a store has the columns training needs, with array types; every problem is recorded.
     *
     * @param path named in the sentences
     */
    public static void checkStoreColumns(StructType schema, List<String> needed, String path, ConfigProblems problems) {
        checkStoreColumns(schema, needed, StoreLayout.dense(), path, problems);
    }

    /**
     * Checks that a store has the columns training needs, with the types its layout implies (the top-k columns and
     * float16 columns exactly, the others as arrays); every problem is recorded.
     *
     * @param path named in the sentences
     */
    public static void checkStoreColumns(StructType schema, List<String> needed, StoreLayout layout, String path,
                                         ConfigProblems problems) {
        List<String> names = Arrays.asList(schema.fieldNames());
        for (String column : needed) {
            if (!names.contains(column)) {
                problems.add("Soft-target store " + path + " has no column '" + column + "'; its columns are "
                        + names + ".");
                continue;
            }
            DataType actual = schema.apply(column).dataType();
            DataType exact = switch (column) {
                case TOPK_INDEX -> INTS;
                case TOPK_LOGPROB -> arrayOf(layout.logitPrecision());
                case LOGSUMEXP, TOPK_LOGREST -> DataTypes.FloatType;
                default -> column.startsWith(TAP_PREFIX) && layout.featurePrecision()
                        == io.distillery.config.Precision.FLOAT16 ? HALVES : null;
            };
            if (exact != null) {
                if (!sameType(actual, exact)) {
                    problems.add("Column '" + column + "' of soft-target store " + path + " has type "
                            + actual.simpleString() + "; its metadata (" + layout + ") implies "
                            + exact.simpleString() + ".");
                }
            } else if (!column.equals(ID) && !column.equals(LABEL) && !(actual instanceof ArrayType)) {
                problems.add("Column '" + column + "' of soft-target store " + path + " has type "
                        + actual.simpleString() + "; expected array<float>.");
            }
        }
    }

    /** Equal types, ignoring whether array elements may be null (Parquet does not keep that flag). */
    private static boolean sameType(DataType actual, DataType expected) {
        if (actual instanceof ArrayType a && expected instanceof ArrayType e) {
            return a.elementType().equals(e.elementType());
        }
        return actual.equals(expected);
    }
}
