package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.config.MultiTeacherSpec;
import io.distillery.config.Precision;
import io.distillery.loss.TeacherCombiner;
import io.distillery.provenance.Provenance;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.TeacherTargets;
import io.distillery.train.LabelledSubset;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The K soft-target stores of {@code multi-teacher} read as one dense store: each store checked against its own
 * teacher, the stores checked against each other, their rows joined by id on the executors (never collected), and
 * each row's K teacher outputs combined by the configured {@link TeacherCombiner} into the {@code teacher_logits}
 * column every loss already reads (K C wide for {@code per-teacher-loss}: the teachers' logits side by side).
 */
final class MultiTeacherStore {
    private static final org.apache.spark.sql.types.DataType FLOATS =
            DataTypes.createArrayType(DataTypes.FloatType, false);
    /** Schema of the combined rows: a dense store's columns (and the taps feature terms read, after them). */
    static final StructType SCHEMA = new StructType()
            .add(SoftTargetSchema.ID, DataTypes.LongType, false)
            .add(SoftTargetSchema.LABEL, DataTypes.IntegerType, false)
            .add(SoftTargetSchema.FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add(SoftTargetSchema.LOGITS, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    /** Facts every store must agree on. */
    private static final List<String> SHARED_FACTS = List.of("num-classes", "input-width", "partition-columns",
            "class-names", "scaling-hash");

    private MultiTeacherStore() {
    }

    /**
     * The stores' provenance by teacher name, each checked against its own teacher (made by it, the configured
     * class count), then against the first store: every {@link #SHARED_FACTS} value equal.
     */
    static Map<String, Provenance> check(JobContext ctx) {
        MultiTeacherSpec spec = ctx.config().multiTeacher();
        if (spec.teachers().size() < 2) {
            throw new DistilleryException("Key distillery.multi-teacher.teachers has " + spec.teachers().size()
                    + " teacher(s); multi-teacher distillation needs at least 2.");
        }
        Map<String, Provenance> stores = new LinkedHashMap<>();
        for (String name : spec.names()) {
            stores.put(name, DistillJob.checkStore(forTeacher(ctx, name), spec.storePath(name)));
        }
        ConfigProblems problems = new ConfigProblems();
        String first = spec.names().get(0);
        for (Map.Entry<String, Provenance> e : stores.entrySet()) {
            if (e.getKey().equals(first)) {
                continue;
            }
            for (String fact : SHARED_FACTS) {
                String expected = stores.get(first).fact(fact);
                String found = e.getValue().fact(fact);
                problems.check(java.util.Objects.equals(expected, found), "Soft-target store "
                        + spec.storePath(e.getKey()) + " has " + fact + " = " + show(found) + " but store "
                        + spec.storePath(first) + " has " + show(expected) + "; the teachers' stores must describe "
                        + "the same rows.");
            }
        }
        problems.throwIfAny();
        return stores;
    }

    /** The context of teacher {@code name}: {@link DistilleryConfig#forTeacher}. */
    static JobContext forTeacher(JobContext ctx, String name) {
        return new JobContext(ctx.spark(), ctx.config().forTeacher(name), ctx.files(), ctx.overwrite(),
                ctx.resume(), ctx.preparation());
    }

    /**
     * The combined rows (id, label, features of the first store; {@code teacher_logits} combined), after checking
     * that every store has the same number of rows and the same ids.
     *
     * @param stores the checked stores ({@link #check}), by teacher name
     */
    static Dataset<Row> combined(JobContext ctx, Map<String, Provenance> stores) {
        return combined(ctx, stores, Map.of());
    }

    /**
     * As {@link #combined(JobContext, Map)}, the rows also carrying the teachers' taps that feature terms read, as
     * float columns {@code tap_<teacher>/<layer>} ({@link MultiTeacherTaps}).
     *
     * @param taps the layers each teacher provides, by teacher name (absent or empty: none)
     */
    static Dataset<Row> combined(JobContext ctx, Map<String, Provenance> stores, Map<String, List<String>> taps) {
        DistilleryConfig cfg = ctx.config();
        MultiTeacherSpec spec = cfg.multiTeacher();
        int classes = cfg.data().numClasses();
        List<String> names = new ArrayList<>(stores.keySet());
        Dataset<Row> joined = null;
        long rows = -1;
        String firstPath = spec.storePath(names.get(0));
        for (int k = 0; k < names.size(); k++) {
            String path = spec.storePath(names.get(k));
            TeacherTargets targets = SoftTargetStore.teacherTargets(stores.get(names.get(k)), path, classes,
                    cfg.distill(), false);
            List<String> layers = taps.getOrDefault(names.get(k), List.of());
            Dataset<Row> store = SoftTargetStore.read(ctx, path, targets,
                    layers.stream().map(SoftTargetSchema::tapColumn).toList());
            Dataset<Row> logits = denseLogits(store, targets, classes, "logits_" + k, k == 0, names.get(k), layers);
            long count = logits.count();
            if (k == 0) {
                rows = count;
                joined = logits;
                continue;
            }
            if (count != rows) {
                throw new DistilleryException("Soft-target store " + path + " has " + count + " rows but store "
                        + firstPath + " has " + rows + "; the teachers' stores must hold the same rows.");
            }
            List<Row> missing = joined.select(SoftTargetSchema.ID).join(logits.select(SoftTargetSchema.ID),
                    joined.col(SoftTargetSchema.ID).equalTo(logits.col(SoftTargetSchema.ID)), "left_anti")
                    .limit(1).collectAsList();
            if (!missing.isEmpty()) {
                throw new DistilleryException("Soft-target store " + path + " has no row with id "
                        + missing.get(0).getLong(0) + ", which store " + firstPath + " has; the teachers' stores "
                        + "must hold the same ids.");
            }
            joined = joined.join(logits, SoftTargetSchema.ID);
        }
        TeacherCombiner combiner = TeacherCombiner.of(TeacherCombiner.Kind.fromConfig(spec.combine()),
                spec.temperature(), spec.weights(), names.size());
        List<String> tapColumns = new ArrayList<>();
        taps.forEach((teacher, layers) -> layers.forEach(l -> tapColumns.add(tapColumn(teacher, l))));
        return combine(joined, combiner, names.size(), cfg.distill().labelledFraction(), cfg.seed(), tapColumns);
    }

    /** Column of teacher {@code teacher}'s tap {@code layer} in the combined rows. */
    static String tapColumn(String teacher, String layer) {
        return SoftTargetSchema.tapColumn(MultiTeacherTaps.key(teacher, layer));
    }

    /**
     * id (with label and features for the first store), the store's teacher logits as a dense array, and the
     * teacher's {@code layers} as float arrays {@link #tapColumn}.
     */
    private static Dataset<Row> denseLogits(Dataset<Row> store, TeacherTargets targets, int classes, String column,
                                            boolean withInputs, String teacher, List<String> layers) {
        StructType schema = new StructType().add(SoftTargetSchema.ID, DataTypes.LongType, false);
        if (withInputs) {
            schema = schema.add(SoftTargetSchema.LABEL, DataTypes.IntegerType, false)
                    .add(SoftTargetSchema.FEATURES, FLOATS, false);
        }
        schema = schema.add(column, FLOATS, false);
        for (String layer : layers) {
            schema = schema.add(tapColumn(teacher, layer), FLOATS, false);
        }
        List<String> stored = layers.stream().map(SoftTargetSchema::tapColumn).toList();
        Precision precision = targets.layout().featurePrecision();
        // Through an RDD and back, so that every later reader gets rows that know their schema.
        return store.sparkSession().createDataFrame(store.javaRDD().map(r -> {
            List<Object> values = new ArrayList<>();
            values.add(r.getLong(r.fieldIndex(SoftTargetSchema.ID)));
            if (withInputs) {
                values.add(r.getInt(r.fieldIndex(SoftTargetSchema.LABEL)));
                values.add(r.get(r.fieldIndex(SoftTargetSchema.FEATURES)));
            }
            float[] logits = new float[classes];
            targets.write(r, classes, logits, 0);
            values.add(logits);
            for (String tap : stored) {
                values.add(TeacherTargets.floats(r, tap, precision));
            }
            return RowFactory.create(values.toArray());
        }), schema);
    }

    /**
     * Each joined row's K logits ({@code logits_0 .. logits_{K-1}}) combined on the executors; the label counts for
     * the {@code confidence} combiner only where the student may see it ({@link LabelledSubset}).
     */
    static Dataset<Row> combine(Dataset<Row> joined, TeacherCombiner combiner, int teachers, double labelledFraction,
                                long seed, List<String> tapColumns) {
        StructType schema = SCHEMA;
        for (String tap : tapColumns) {
            schema = schema.add(tap, FLOATS, false);
        }
        return joined.sparkSession().createDataFrame(joined.javaRDD().map(r -> {
            float[][] logits = new float[teachers][];
            for (int k = 0; k < teachers; k++) {
                logits[k] = unboxed(r.getList(r.fieldIndex("logits_" + k)));
            }
            long id = r.getLong(r.fieldIndex(SoftTargetSchema.ID));
            int label = r.getInt(r.fieldIndex(SoftTargetSchema.LABEL));
            boolean visible = LabelledSubset.isLabelled(id, seed, labelledFraction);
            float[] out = new float[combiner.width(logits[0].length)];
            combiner.combine(logits, visible ? label : -1, out, 0);
            Object[] values = new Object[4 + tapColumns.size()];
            values[0] = id;
            values[1] = label;
            values[2] = r.get(r.fieldIndex(SoftTargetSchema.FEATURES));
            values[3] = out;
            for (int t = 0; t < tapColumns.size(); t++) {
                values[4 + t] = r.get(r.fieldIndex(tapColumns.get(t)));
            }
            return RowFactory.create(values);
        }), schema);
    }

    private static float[] unboxed(List<Object> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ((Number) values.get(i)).floatValue();
        }
        return out;
    }

    private static String show(String fact) {
        return fact == null ? "(none)" : "'" + fact + "'";
    }
}
