package io.distillery.data;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DataSpec;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;

/**
 * Which columns of a dataset play which role (id, label, features, partitions), resolved from its schema and the
 * config, with every schema problem found on the way. Needs no Spark job: it looks at the schema only, so schema
 * mistakes are reported before anything is read.
 *
 * @param idColumn       the id column, or null when ids must be generated
 * @param labelColumn    the label column
 * @param featuresColumn the array column holding all features, or null when {@code featureColumns} is used
 * @param featureColumns numeric feature columns in order, empty when {@code featuresColumn} is used
 * @param partitionColumns partition columns kept as they are
 * @param problems       the schema problems found, in full sentences
 * @param studentFeaturesColumn the array column of the student's own view (cross-modal), or null
 * @param studentFeatureColumns the numeric columns of the student's own view, empty when none or when
 *                       {@code studentFeaturesColumn} is used
 */
record ColumnRoles(String idColumn, String labelColumn, String featuresColumn, List<String> featureColumns,
                   List<String> partitionColumns, List<String> problems, String studentFeaturesColumn,
                   List<String> studentFeatureColumns) {

    private static final Set<DataType> INTEGRAL = Set.of(DataTypes.ByteType, DataTypes.ShortType,
            DataTypes.IntegerType, DataTypes.LongType);

    /** Resolves roles in {@code schema}, without example values in the messages; see the other overload. */
    static ColumnRoles resolve(StructType schema, DataSpec spec, String path) {
        return resolve(schema, spec, path, column -> null);
    }

    /**
     * Resolves roles in {@code schema}. A canonical schema (see {@link Canonical}) uses the canonical names; raw data
     * uses the names in {@code spec}, and the label's position when {@code spec.labelIndex()} is set. For CSV with
     * {@code features-column} set and absent from the file, the features are all remaining columns in file order,
     * because CSV has no array type; each must be numeric.
     *
     * @param example a value of a column that is not a number, for the message (null when none is known); the
     *                schema alone cannot say which value made Spark infer a string
     */
    static ColumnRoles resolve(StructType schema, DataSpec spec, String path, Function<String, String> example) {
        ConfigProblems problems = new ConfigProblems();
        List<String> names = Arrays.asList(schema.fieldNames());
        boolean canonical = Canonical.isCanonical(schema);
        String where = " in the data at '" + path + "'";
        String has = "; the data has columns " + names + ".";

        String idName = canonical ? Canonical.ID : spec.idColumn();
        String id = null;
        if (!idName.isBlank() && names.contains(idName)) {
            id = idName;
            DataType t = schema.apply(idName).dataType();
            problems.check(INTEGRAL.contains(t), "Id column '" + idName + "'" + where + " has type "
                    + t.simpleString() + "; ids must be integers (int or long).");
        } else if (canonical) {
            problems.add("Canonical column 'id' is missing" + where + has);
        }

        String label = canonical ? Canonical.LABEL : spec.labelColumn();
        if (!canonical && spec.labelIndex() >= 0) {
            List<String> fileColumns = names.stream().filter(n -> !spec.partitionColumns().contains(n)).toList();
            label = spec.labelIndex() < fileColumns.size() ? fileColumns.get(spec.labelIndex()) : null;
            problems.check(label != null, "Key distillery.data.label-index is " + spec.labelIndex()
                    + " but the data at '" + path + "' has " + fileColumns.size() + " columns "
                    + abbreviate(fileColumns) + ", at positions 0 to " + (fileColumns.size() - 1) + ".");
        }
        if (label != null && !names.contains(label)) {
            problems.add(missing(label, canonical ? "the canonical form" : "distillery.data.label-column", names,
                    where));
        } else if (label != null) {
            DataType t = schema.apply(label).dataType();
            // Strings are class names, indexed by LabelIndex before validation.
            problems.check(INTEGRAL.contains(t) || t.equals(DataTypes.StringType), "Label column '" + label + "'"
                    + where + " has type " + t.simpleString()
                    + "; labels must be integers (int or long) or strings (class names).");
        }

        List<String> partitions = new ArrayList<>();
        for (String p : spec.partitionColumns()) {
            if (names.contains(p)) {
                partitions.add(p);
            } else {
                problems.add(missing(p, "distillery.data.partition-columns", names, where));
            }
        }

        String featuresArray = null;
        List<String> featureList = new ArrayList<>();
        String featuresName = canonical ? Canonical.FEATURES : spec.featuresColumn();
        if (!featuresName.isBlank()) {
            if (names.contains(featuresName)) {
                featuresArray = featuresName;
                DataType t = schema.apply(featuresName).dataType();
                boolean ok = t instanceof ArrayType a && a.elementType() instanceof NumericType;
                problems.check(ok, "Features column '" + featuresName + "'" + where + " has type " + t.simpleString()
                        + "; it must be an array of numbers (array<float>, array<double> or array<int>).");
            } else if ("csv".equals(spec.format()) && !canonical) {
                List<StructField> notNumbers = new ArrayList<>();
                for (StructField f : schema.fields()) {
                    String n = f.name();
                    if (n.equals(label) || n.equals(id) || n.equals(idName) || partitions.contains(n)
                            || spec.studentFeatureColumns().contains(n)) {
                        continue;
                    }
                    if (f.dataType() instanceof NumericType) {
                        featureList.add(n);
                    } else {
                        notNumbers.add(f);  // silently dropping it would change the feature width
                    }
                }
                if (!notNumbers.isEmpty()) {
                    problems.add(notNumeric(notNumbers, path, example));
                } else {
                    problems.check(!featureList.isEmpty(), "The CSV data at '" + path
                            + "' has no numeric columns besides the id and label to use as features" + has);
                }
            } else {
                problems.add(missing(featuresName, "distillery.data.features-column", names, where));
            }
        } else {
            List<String> absent = new ArrayList<>();
            for (String f : spec.featureColumns()) {
                if (!names.contains(f)) {
                    absent.add(f);
                } else if (!(schema.apply(f).dataType() instanceof NumericType)) {
                    String value = example.apply(f);
                    problems.add("Feature column '" + f + "'" + where + " has type "
                            + schema.apply(f).dataType().simpleString()
                            + (value == null ? "" : " (e.g. the value '" + value + "')")
                            + "; feature columns must be numeric.");
                }
            }
            if (absent.size() == 1) {
                problems.add(missing(absent.get(0), "distillery.data.feature-columns", names, where));
            } else if (!absent.isEmpty()) {
                problems.add(absent.size() + " feature columns named by distillery.data.feature-columns are missing"
                        + where + ", e.g. " + absent.subList(0, Math.min(5, absent.size())) + has);
            }
            featureList.addAll(spec.featureColumns());
        }
        String studentArray = null;
        List<String> studentList = List.of();
        if (spec.hasStudentView()) {
            // Canonical rows carry the view as student_features; a file marked canonical but written without it
            // (e.g. a sample with an extra view column) is read by the configured names.
            boolean carried = canonical && names.contains(Canonical.STUDENT_FEATURES);
            String studentName = carried ? Canonical.STUDENT_FEATURES : spec.studentFeaturesColumn();
            if (!studentName.isBlank()) {
                studentArray = studentArray(schema, studentName, where, names, problems);
            } else {
                studentList = spec.studentFeatureColumns();
                studentColumns(schema, studentList, where, names, example, problems);
            }
        }
        return new ColumnRoles(id, label, featuresArray, List.copyOf(featureList), List.copyOf(partitions),
                problems.list(), studentArray, List.copyOf(studentList));
    }

    /** The student's array column, checked like the features column; null when missing. */
    private static String studentArray(StructType schema, String name, String where, List<String> names,
                                       ConfigProblems problems) {
        if (!names.contains(name)) {
            problems.add(missing(name, "distillery.data.student-features-column", names, where));
            return null;
        }
        DataType t = schema.apply(name).dataType();
        problems.check(t instanceof ArrayType a && a.elementType() instanceof NumericType, "Student features "
                + "column '" + name + "'" + where + " has type " + t.simpleString()
                + "; it must be an array of numbers (array<float>, array<double> or array<int>).");
        return name;
    }

    /** The student's numeric columns: each present and numeric, as the teacher's feature columns. */
    private static void studentColumns(StructType schema, List<String> columns, String where, List<String> names,
                                       Function<String, String> example, ConfigProblems problems) {
        List<String> absent = columns.stream().filter(c -> !names.contains(c)).toList();
        if (absent.size() == 1) {
            problems.add(missing(absent.get(0), "distillery.data.student-feature-columns", names, where));
        } else if (!absent.isEmpty()) {
            problems.add(absent.size() + " student feature columns named by distillery.data.student-feature-columns"
                    + " are missing" + where + ", e.g. " + absent.subList(0, Math.min(5, absent.size()))
                    + "; the data has columns " + abbreviate(names) + ".");
        }
        for (String c : columns) {
            if (names.contains(c) && !(schema.apply(c).dataType() instanceof NumericType)) {
                String value = example.apply(c);
                problems.add("Student feature column '" + c + "'" + where + " has type "
                        + schema.apply(c).dataType().simpleString()
                        + (value == null ? "" : " (e.g. the value '" + value + "')")
                        + "; feature columns must be numeric.");
            }
        }
    }

    /** Whether the data carries the student's own view (cross-modal distillation). */
    boolean hasStudentView() {
        return studentFeaturesColumn != null || !studentFeatureColumns.isEmpty();
    }

    /** The student's view as one {@code array<float>} expression; only with {@link #hasStudentView()}. */
    Column studentFeaturesAsFloatArray() {
        return asFloatArray(studentFeaturesColumn, studentFeatureColumns);
    }

    /** Throws one DistilleryException listing every schema problem, if any. */
    ColumnRoles throwIfProblems() {
        ConfigProblems p = new ConfigProblems();
        problems.forEach(p::add);
        p.throwIfAny();
        return this;
    }

    /** The features as one {@code array<float>} expression, whichever form the data holds them in. */
    Column featuresAsFloatArray() {
        return asFloatArray(featuresColumn, featureColumns);
    }

    private static Column asFloatArray(String arrayColumn, List<String> columns) {
        if (arrayColumn != null) {
            return col(quote(arrayColumn)).cast(DataTypes.createArrayType(DataTypes.FloatType));
        }
        return array(columns.stream().map(f -> col(quote(f)).cast(DataTypes.FloatType)).toArray(Column[]::new));
    }

    /** One sentence on the CSV columns that would be features but are not numbers, with a value of the first. */
    private static String notNumeric(List<StructField> columns, String path, Function<String, String> example) {
        StructField first = columns.get(0);
        String value = example.apply(first.name());
        String read = "Spark read " + (columns.size() == 1 ? "it" : "'" + first.name() + "'") + " as "
                + first.dataType().simpleString() + (value == null ? "" : ", e.g. the value '" + value + "'");
        String fix = "; fix the data, or list the feature columns to use in distillery.data.feature-columns "
                + "(with distillery.data.features-column = \"\").";
        if (columns.size() == 1) {
            return "Column '" + first.name() + "' of the CSV data at '" + path + "' is not numeric (" + read
                    + "), so it cannot be a feature" + fix;
        }
        List<String> names = columns.stream().map(StructField::name).toList();
        return columns.size() + " columns of the CSV data at '" + path + "' are not numeric, " + abbreviate(names)
                + " (" + read + "), so they cannot be features" + fix;
    }

    /** Backtick-quotes a column name so that dots and spaces in user column names are taken literally. */
    static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    private static String missing(String name, String key, List<String> names, String where) {
        String suggestion = closest(name, names);
        return "Column '" + name + "' (named by " + key + ") is missing" + where + "; the data has columns "
                + abbreviate(names) + "." + (suggestion == null ? "" : " Did you mean '" + suggestion + "'?");
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 20 ? names.toString()
                : names.subList(0, 20) + " and " + (names.size() - 20) + " more";
    }

    /** A column name that differs only in case or by at most two edits: the likely intended one. */
    private static String closest(String name, List<String> names) {
        String best = null;
        int bestDistance = 3;
        for (String n : names) {
            int d = n.equalsIgnoreCase(name) ? 0
                    : editDistance(n.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                best = n;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
