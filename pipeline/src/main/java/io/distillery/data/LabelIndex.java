package io.distillery.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.ProvenanceJson;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

import java.io.Serializable;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_position;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

/**
 * The classes of a model: how many, and for string labels their names in index order. String labels are indexed
 * once, on the training data, in alphabetical order (Spark ML's {@code StringIndexer} with
 * {@code stringOrderType = alphabetAsc}: a stable order that does not depend on class frequencies, so retraining on
 * new data with the same classes keeps the indices). Every later stage maps its data with the names recorded in the
 * artifact it reads, never by indexing its own data, so a class keeps its index through the whole pipeline.
 *
 * @param count the number of classes
 * @param names class names in index order, or empty for integer labels
 */
public record LabelIndex(int count, List<String> names) implements Serializable {
    /** Provenance fact: the class names in index order, as a JSON array; absent for integer labels. */
    public static final String NAMES_FACT = "class-names";
    /** Provenance fact: the class count (written by every model and store). */
    public static final String COUNT_FACT = "num-classes";

    public LabelIndex {
        names = List.copyOf(names);
    }

    /** Integer labels in {@code [0, count)}. */
    public static LabelIndex integers(int count) {
        return new LabelIndex(count, List.of());
    }

    /** String labels with these class names, sorted alphabetically (their index order). */
    public static LabelIndex named(List<String> classNames) {
        List<String> sorted = classNames.stream().distinct().sorted(Comparator.naturalOrder()).toList();
        return new LabelIndex(sorted.size(), sorted);
    }

    /** True for string labels. */
    public boolean isNamed() {
        return !names.isEmpty();
    }

    /** True when the canonical-form {@code data} (as {@link DatasetReader} returns it) has string labels. */
    public static boolean hasStringLabels(Dataset<Row> data) {
        return data.schema().apply(Canonical.LABEL).dataType().equals(DataTypes.StringType);
    }

    /**
     * Indexes the string labels of {@code data}: its distinct class names (one Spark job; only the names reach the
     * driver), sorted alphabetically. Null labels are left to {@link DatasetValidator}.
     */
    public static LabelIndex fit(Dataset<Row> data, String path) {
        try {
            List<String> found = data.select(col(Canonical.LABEL)).where(col(Canonical.LABEL).isNotNull())
                    .distinct().collectAsList().stream().map(r -> r.getString(0)).toList();
            return named(found);
        } catch (Exception e) {
            throw SparkFailures.wrap(path, e);
        }
    }

    /**
     * {@code data} with its labels as indices. String labels are mapped by these names after one Spark job that
     * refuses a name this index does not hold; integer labels are returned as they are (the validator checks their
     * range). Refuses string labels for an integer index and the other way round.
     *
     * @param path   where the data came from, for the messages
     * @param source where this index came from ("the teacher at ..."), for the messages
     */
    public Dataset<Row> apply(Dataset<Row> data, String path, String source) {
        boolean strings = hasStringLabels(data);
        if (strings != isNamed()) {
            throw new DistilleryException("The data at '" + path + "' has " + (strings ? "string" : "integer")
                    + " labels but " + source + " was trained on " + (strings ? "integer labels" : "class names "
                    + names) + "; use labels of the same kind.");
        }
        if (!strings) {
            return data;
        }
        checkKnown(data, path, source);
        return map(data);
    }

    /** {@code data} with its string labels replaced by their indices, without checking for unknown names. */
    public Dataset<Row> map(Dataset<Row> data) {
        Column position = array_position(array(names.stream().map(n -> lit(n)).toArray(Column[]::new)),
                col(Canonical.LABEL));
        // array_position is 1-based and 0 for a name not held; checkKnown ran before, so -1 cannot occur.
        return data.withColumn(Canonical.LABEL, position.minus(1).cast(DataTypes.IntegerType));
    }

    private void checkKnown(Dataset<Row> data, String path, String source) {
        Column label = col(Canonical.LABEL);
        Column unknown = label.isNotNull().and(array_position(array(names.stream().map(n -> lit(n))
                .toArray(Column[]::new)), label).equalTo(0));
        Row r;
        try {
            r = data.agg(sum(when(unknown, 1).otherwise(0)), min(when(unknown, label))).head();
        } catch (Exception e) {
            throw SparkFailures.wrap(path, e);
        }
        if (!r.isNullAt(0) && r.getLong(0) > 0) {
            throw new DistilleryException("The data at '" + path + "' has class name '" + r.getString(1) + "' (in "
                    + r.getLong(0) + (r.getLong(0) == 1 ? " row" : " rows") + "), which is not one of the " + count
                    + " classes of " + source + " " + names + "; a model only knows the classes it was trained on.");
        }
    }

    /** The facts recording this index: the class names when labels are strings (nothing for integer labels). */
    public Map<String, String> facts() {
        if (!isNamed()) {
            return Map.of();
        }
        try {
            return Map.of(NAMES_FACT, ProvenanceJson.mapper().writeValueAsString(names));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The index an artifact recorded: its class names when it has them, else integer labels of its class count,
     * or of {@code fallbackCount} when it recorded none.
     */
    public static LabelIndex fromFacts(Provenance provenance, int fallbackCount) {
        String listed = provenance.fact(NAMES_FACT);
        String count = provenance.fact(COUNT_FACT);
        if (listed == null) {
            return integers(count == null ? fallbackCount : Integer.parseInt(count));
        }
        try {
            List<String> names = ProvenanceJson.mapper().readValue(listed, new TypeReference<List<String>>() {
            });
            return new LabelIndex(names.size(), names);
        } catch (JsonProcessingException e) {
            throw new DistilleryException("Fact " + NAMES_FACT + " is not a JSON list of class names: " + listed, e);
        }
    }

    /** For messages: the class count, and the names when there are any. */
    public String describe() {
        return isNamed() ? count + " classes " + names : count + " integer classes";
    }
}
