package io.distillery.jobs;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryException;
import io.distillery.data.Canonical;
import io.distillery.data.DatasetReader;
import io.distillery.data.DatasetValidator;
import io.distillery.data.FeatureScaling;
import io.distillery.data.InputPreparation;
import io.distillery.data.LabelIndex;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.List;

/**
 * Reads and validates the configured datasets before any training or inference job starts, and prepares them the
 * one way every stage does: string labels mapped to indices, then features scaled ({@link InputPreparation}).
 * Training from scratch fits the preparation on {@code data.train} ({@link #fitTrain}); every other read applies the
 * one of the context, taken from the artifact the stage consumes.
 */
final class Inputs {
    private Inputs() {
    }

    /**
     * The training data read and prepared by what is fitted on it here: string labels indexed alphabetically (or
     * the integer class count, from the config or the largest label + 1), and the scaling statistics of
     * {@code data.scaling} fitted on the rows trained on (outside the validation split).
     *
     * @param ctx  the context to read and prepare every later dataset with (its preparation and class count)
     * @param rows the canonical training rows, all of them (validation rows too), prepared
     */
    record Fitted(JobContext ctx, Dataset<Row> rows) {
    }

    static Fitted fitTrain(JobContext ctx) {
        DataSpec spec = ctx.config().data();
        String path = spec.train();
        Dataset<Row> raw = DatasetReader.read(ctx.spark(), spec, path);
        LabelIndex labels;
        Dataset<Row> indexed;
        if (LabelIndex.hasStringLabels(raw)) {
            labels = LabelIndex.fit(raw, path);
            if (spec.numClasses() != 0 && spec.numClasses() != labels.count()) {
                throw new DistilleryException("Key distillery.data.num-classes is " + spec.numClasses()
                        + " but the data at '" + path + "' has " + labels.describe() + "; set it to "
                        + labels.count() + ", or to 0 to take it from the data.");
            }
            indexed = labels.map(raw);
            DatasetValidator.validate(indexed, spec.withNumClasses(labels.count()), path);
        } else {
            labels = LabelIndex.integers(DatasetValidator.validate(raw, spec, path));
            indexed = raw;
        }
        int width = featureWidth(ctx, indexed);
        FeatureScaling scaling = FeatureScaling.fit(Splits.training(ctx, indexed), spec.scaling(), width, path);
        InputPreparation fitted = new InputPreparation(labels, scaling, "the training data at '" + path + "'");
        return new Fitted(ctx.prepared(fitted), scaling.apply(indexed));
    }

    /** The canonical training set (id, label, features), validated and prepared. */
    static Dataset<Row> train(JobContext ctx) {
        DataSpec spec = ctx.config().data();
        return prepare(ctx, DatasetReader.read(ctx.spark(), spec, spec.train()), spec, spec.train());
    }

    /** The canonical held-out set, validated and prepared. */
    static Dataset<Row> test(JobContext ctx) {
        return ctx.preparation().scaling().apply(testUnscaled(ctx));
    }

    /** The canonical held-out set with its labels indexed but its features as they are (evaluate scales per model). */
    static Dataset<Row> testUnscaled(JobContext ctx) {
        DataSpec spec = ctx.config().data().forHeldOut();
        return indexAndValidate(ctx, DatasetReader.read(ctx.spark(), spec, spec.test()), spec, spec.test());
    }

    /** The validation set named by {@code data.validation}, validated and prepared as the held-out set is. */
    static Dataset<Row> validation(JobContext ctx) {
        DataSpec spec = ctx.config().data().forHeldOut();
        return prepare(ctx, DatasetReader.read(ctx.spark(), spec, spec.validation()), spec, spec.validation());
    }

    /** Canonical data read from {@code path} with the context's preparation applied, validated in between. */
    static Dataset<Row> prepare(JobContext ctx, Dataset<Row> raw, DataSpec spec, String path) {
        return ctx.preparation().scaling().apply(indexAndValidate(ctx, raw, spec, path));
    }

    private static Dataset<Row> indexAndValidate(JobContext ctx, Dataset<Row> raw, DataSpec spec, String path) {
        InputPreparation p = ctx.preparation();
        if (p == null) {
            throw new IllegalStateException("No input preparation yet: fit it or read it from an artifact first.");
        }
        Dataset<Row> indexed = p.labels().apply(raw, path, p.source());
        DatasetValidator.validate(indexed, spec, path);
        return indexed;
    }

    /**
     * Refuses an artifact whose feature scaling is not of the configured kind ({@code data.scaling}): the config
     * describes the run, so an artifact made otherwise is from another run.
     */
    static void checkScalingConfigured(JobContext ctx, FeatureScaling recorded, String artifact) {
        String configured = ctx.config().data().scaling();
        if (!configured.equals(recorded.kind())) {
            throw new DistilleryException("Key distillery.data.scaling is " + configured + " but " + artifact
                    + " was made with feature scaling " + recorded.describe() + "; set data.scaling = "
                    + recorded.kind() + ", or retrain the teacher with " + configured + ".");
        }
    }

    /**
     * Canonical {@code rows} as the student reads them: with a cross-modal view configured, its
     * {@code student_features} in the place of {@code features} (the teacher's, dropped); else the rows as they are.
     */
    static Dataset<Row> studentView(JobContext ctx, Dataset<Row> rows) {
        if (!ctx.config().data().hasStudentView()) {
            return rows;
        }
        return rows.drop(Canonical.FEATURES).withColumnRenamed(Canonical.STUDENT_FEATURES, Canonical.FEATURES)
                .withMetadata(Canonical.FEATURES, Canonical.MARKER);
    }

    /**
     * The width of the student's own view (cross-modal distillation): the number of student feature columns, else
     * read from the first row's {@code student_features} (the validator checked every row has it).
     */
    static int studentWidth(JobContext ctx, Dataset<Row> data) {
        int declared = ctx.config().data().studentFeatureColumns().size();
        if (declared > 0) {
            return declared;
        }
        List<Row> first = data.select(Canonical.STUDENT_FEATURES).takeAsList(1);
        if (first.isEmpty()) {
            throw new DistilleryException("Dataset " + ctx.config().data().train() + " is empty.");
        }
        return first.get(0).getList(0).size();
    }

    /**
     * Refuses a configured student view (cross-modal distillation) for {@code scheme}, which trains every model on
     * one view: a view would mix the two, so it is one sentence before any work.
     */
    static void refuseStudentView(io.distillery.config.DistilleryConfig cfg, String scheme) {
        if (cfg.data().hasStudentView()) {
            throw new DistilleryException("Key distillery.data.student-features-column or student-feature-columns "
                    + "names a student view (" + cfg.data().studentViewName() + "), but " + scheme + " trains "
                    + "every model on one view; leave them empty, or use the offline scheme for cross-modal "
                    + "distillation.");
        }
    }

    /** Features per row: declared in config, else read from the first row (the validator checked they agree). */
    static int featureWidth(JobContext ctx, Dataset<Row> data) {
        int declared = ctx.config().data().declaredFeatureWidth();
        if (declared > 0) {
            return declared;
        }
        List<Row> first = data.select(SoftTargetSchema.FEATURES).takeAsList(1);
        if (first.isEmpty()) {
            throw new DistilleryException("Dataset " + ctx.config().data().train() + " is empty.");
        }
        return first.get(0).getList(0).size();
    }
}
