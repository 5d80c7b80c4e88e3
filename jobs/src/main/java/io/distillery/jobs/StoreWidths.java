package io.distillery.jobs;

import io.distillery.config.DataSpec;
import io.distillery.data.Canonical;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The input widths of a soft-target store: the teacher's (what it reads, the canonical {@code features}) and the
 * store's {@code features} column (what the student reads). They differ only in cross-modal distillation, where
 * the store carries the student's own view ({@code data.student-features-column} or
 * {@code student-feature-columns}) in place of the teacher's features.
 *
 * @param teacher the teacher's input width
 * @param stored  the width of the store's {@code features} column
 */
record StoreWidths(int teacher, int stored) {
    /** Fact naming the input column(s) the store's features (and a model's inputs) come from, when cross-modal. */
    static final String STUDENT_FEATURES = "student-features";
    /** Fact: the teacher's input width, recorded when the store's features are the student's view. */
    static final String TEACHER_INPUT_WIDTH = "teacher-input-width";

    /** The widths of canonical {@code rows} as {@code ctx} reads them (the student's view read when configured). */
    static StoreWidths of(JobContext ctx, Dataset<Row> rows) {
        int teacher = Inputs.featureWidth(ctx, rows);
        DataSpec data = ctx.config().data();
        return new StoreWidths(teacher, data.hasStudentView() ? Inputs.studentWidth(ctx, rows) : teacher);
    }

    /** The canonical column the store's {@code features} are copied from. */
    static String storedColumn(DataSpec data) {
        return data.hasStudentView() ? Canonical.STUDENT_FEATURES : Canonical.FEATURES;
    }

    /**
     * The store's width facts: {@code input-width} (the store's features, as always), and for a cross-modal store
     * which view they are and the teacher's width; one-view stores record exactly what they did before.
     */
    Map<String, String> facts(DataSpec data) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("input-width", Integer.toString(stored));
        if (data.hasStudentView()) {
            facts.put(STUDENT_FEATURES, data.studentViewName());
            facts.put(TEACHER_INPUT_WIDTH, Integer.toString(teacher));
        }
        return facts;
    }
}
