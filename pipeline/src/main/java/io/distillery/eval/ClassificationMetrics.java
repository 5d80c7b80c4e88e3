package io.distillery.eval;

import io.distillery.loss.SoftmaxMath;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Mergeable accumulator of classification metrics for a student, optionally compared with a teacher.
 *
 * <p>Usage: {@link #add} one row at a time, {@link #merge} partial accumulators (in any grouping: every field is a
 * count or a sum, so merging is associative and commutative up to floating-point rounding), then read the
 * results. Designed for Spark's {@code treeAggregate(new ClassificationMetrics(c, b), (m, row) -> m.add(...),
 * ClassificationMetrics::merge)}: it is {@link Serializable}, holds only primitive arrays, and both mutators
 * return {@code this}.
 *
 * <p>Definitions (n = {@link #count()}, p = student probabilities, argmax ties go to the lowest index):
 * <ul>
 *   <li>accuracy = #(argmax p == label) / n; per-class accuracy is the same over rows of each true class
 *       (i.e. per-class recall).</li>
 *   <li>agreement with teacher = #(argmax p == argmax teacherProbs) / #(rows with teacher probs).</li>
 *   <li>mean KL(teacher || student) = mean over rows with teacher probs of sum_i t_i ln(t_i / p_i), with
 *       0 ln 0 = 0 and p_i clamped at {@value #PROB_FLOOR} (so one zero student probability gives a large finite
 *       value rather than an infinite mean).</li>
 *   <li>negative log-likelihood = mean of -ln max(p[label], {@value #PROB_FLOOR}).</li>
 *   <li>expected calibration error (Guo et al. 2017) = sum_b |B_b| / n * |acc(B_b) - conf(B_b)| where the
 *       confidence is max p and bins are the equal-width intervals (0, 1/B], (1/B, 2/B], ..., ((B-1)/B, 1]
 *       (a confidence of exactly 0, impossible for a normalized p, goes to the first bin).</li>
 * </ul>
 * Results are NaN where undefined (no rows, no rows of a class, no teacher probs).
 *
 * <p>Not thread-safe; give each task its own instance and merge.
 */
public final class ClassificationMetrics implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Lower clamp for probabilities inside logarithms. */
    public static final double PROB_FLOOR = 1e-12;

    private final int numClasses;
    private final int eceBins;

    private long count;
    private long correct;
    private double nllSum;
    private final long[] classCount;
    private final long[] classCorrect;

    private long teacherCount;
    private long teacherAgree;
    private double klSum;

    private final long[] binCount;
    private final long[] binCorrect;
    private final double[] binConfidenceSum;
    /** Row-major C x C counts: [true class][predicted class]. */
    private final long[] confusion;

    /**
     * @param numClasses number of classes C, &gt;= 1; every probability vector must have this length
     * @param eceBins    number of equal-width confidence bins for the ECE, &gt;= 1 (15 is customary)
     */
    public ClassificationMetrics(int numClasses, int eceBins) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, got " + numClasses);
        }
        if (eceBins < 1) {
            throw new IllegalArgumentException("eceBins must be >= 1, got " + eceBins);
        }
        this.numClasses = numClasses;
        this.eceBins = eceBins;
        this.classCount = new long[numClasses];
        this.classCorrect = new long[numClasses];
        this.binCount = new long[eceBins];
        this.binCorrect = new long[eceBins];
        this.binConfidenceSum = new double[eceBins];
        this.confusion = new long[numClasses * numClasses];
    }

    /**
     * Adds one row.
     *
     * @param probs        the student's class probabilities (length C; not renormalized here)
     * @param label        the true class, in [0, C)
     * @param teacherProbs the teacher's class probabilities (length C), or null if there is no teacher for this row
     * @return this
     * @throws IllegalArgumentException on a wrong length or label
     */
    public ClassificationMetrics add(double[] probs, int label, double[] teacherProbs) {
        checkLength(probs, "probs");
        if (label < 0 || label >= numClasses) {
            throw new IllegalArgumentException("label " + label + " outside [0, " + numClasses + ")");
        }
        // Validate everything before touching any field, so a rejected row leaves the accumulator unchanged.
        if (teacherProbs != null) {
            checkLength(teacherProbs, "teacherProbs");
        }
        int predicted = SoftmaxMath.argmax(probs);
        boolean hit = predicted == label;
        count++;
        classCount[label]++;
        confusion[label * numClasses + predicted]++;
        if (hit) {
            correct++;
            classCorrect[label]++;
        }
        nllSum -= Math.log(Math.max(probs[label], PROB_FLOOR));

        double confidence = probs[predicted];
        int bin = bin(confidence);
        binCount[bin]++;
        binConfidenceSum[bin] += confidence;
        if (hit) {
            binCorrect[bin]++;
        }

        if (teacherProbs != null) {
            teacherCount++;
            if (SoftmaxMath.argmax(teacherProbs) == predicted) {
                teacherAgree++;
            }
            klSum += SoftmaxMath.klDivergence(teacherProbs, probs, PROB_FLOOR);
        }
        return this;
    }

    /**
     * Adds all counts and sums of {@code other} into this accumulator.
     *
     * @param other an accumulator with the same number of classes and bins (not modified)
     * @return this
     */
    public ClassificationMetrics merge(ClassificationMetrics other) {
        if (other.numClasses != numClasses || other.eceBins != eceBins) {
            throw new IllegalArgumentException("cannot merge metrics for " + other.numClasses + " classes / "
                    + other.eceBins + " bins into " + numClasses + " classes / " + eceBins + " bins");
        }
        count += other.count;
        correct += other.correct;
        nllSum += other.nllSum;
        for (int i = 0; i < numClasses; i++) {
            classCount[i] += other.classCount[i];
            classCorrect[i] += other.classCorrect[i];
        }
        teacherCount += other.teacherCount;
        teacherAgree += other.teacherAgree;
        klSum += other.klSum;
        for (int b = 0; b < eceBins; b++) {
            binCount[b] += other.binCount[b];
            binCorrect[b] += other.binCorrect[b];
            binConfidenceSum[b] += other.binConfidenceSum[b];
        }
        for (int i = 0; i < confusion.length; i++) {
            confusion[i] += other.confusion[i];
        }
        return this;
    }

    /** @return the number of classes C */
    public int numClasses() {
        return numClasses;
    }

    /** @return the number of ECE bins */
    public int eceBins() {
        return eceBins;
    }

    /** @return the number of rows added */
    public long count() {
        return count;
    }

    /** @return the number of rows that had teacher probabilities */
    public long teacherCount() {
        return teacherCount;
    }

    /** @return top-1 accuracy, NaN if empty */
    public double accuracy() {
        return ratio(correct, count);
    }

    /** @return accuracy over the rows of each true class (recall), NaN for classes with no rows */
    public double[] perClassAccuracy() {
        double[] acc = new double[numClasses];
        for (int i = 0; i < numClasses; i++) {
            acc[i] = ratio(classCorrect[i], classCount[i]);
        }
        return acc;
    }

    /** @return fraction of rows with teacher probs where the student's argmax equals the teacher's, else NaN */
    public double agreementWithTeacher() {
        return ratio(teacherAgree, teacherCount);
    }

    /** @return mean KL(teacher || student) in nats over rows with teacher probs, else NaN */
    public double meanKlTeacherStudent() {
        return teacherCount == 0 ? Double.NaN : klSum / teacherCount;
    }

    /** @return mean -ln p[label] (p clamped at {@value #PROB_FLOOR}), NaN if empty */
    public double negativeLogLikelihood() {
        return count == 0 ? Double.NaN : nllSum / count;
    }

    /** @return expected calibration error over {@link #eceBins()} equal-width confidence bins, NaN if empty */
    public double expectedCalibrationError() {
        if (count == 0) {
            return Double.NaN;
        }
        double ece = 0.0;
        for (int b = 0; b < eceBins; b++) {
            if (binCount[b] > 0) {
                // |B|/n * |acc - conf| = |correct_B - confSum_B| / n: no per-bin division needed.
                ece += Math.abs(binCorrect[b] - binConfidenceSum[b]);
            }
        }
        return ece / count;
    }

    /** @return the confusion matrix: {@code [t][p]} rows of true class t predicted as p (a new array) */
    public long[][] confusionMatrix() {
        long[][] m = new long[numClasses][numClasses];
        for (int t = 0; t < numClasses; t++) {
            System.arraycopy(confusion, t * numClasses, m[t], 0, numClasses);
        }
        return m;
    }

    /**
     * The reliability diagram behind the ECE: per confidence bin, its bounds, its row count, the mean confidence
     * and the accuracy of its rows (null for an empty bin).
     *
     * @return one map per bin, lowest confidence first
     */
    public List<LinkedHashMap<String, Object>> reliability() {
        List<LinkedHashMap<String, Object>> bins = new ArrayList<>(eceBins);
        for (int b = 0; b < eceBins; b++) {
            LinkedHashMap<String, Object> bin = new LinkedHashMap<>();
            bin.put("lower", (double) b / eceBins);
            bin.put("upper", (double) (b + 1) / eceBins);
            bin.put("count", binCount[b]);
            bin.put("confidence", jsonNumber(binCount[b] == 0 ? Double.NaN : binConfidenceSum[b] / binCount[b]));
            bin.put("accuracy", jsonNumber(ratio(binCorrect[b], binCount[b])));
            bins.add(bin);
        }
        return bins;
    }

    /**
     * All results as an ordered map for JSON reports: {@code count, accuracy, perClassAccuracy (list),
     * negativeLogLikelihood, expectedCalibrationError, eceBins, teacherCount, agreementWithTeacher,
     * meanKlTeacherStudent, reliability (list of bins, see {@link #reliability}), confusionMatrix (list of rows,
     * true class by predicted class)}. NaN values become {@code null}, because JSON has no NaN.
     *
     * @return a new mutable map
     */
    public LinkedHashMap<String, Object> toMap() {
        LinkedHashMap<String, Object> m = new LinkedHashMap<>();
        m.put("count", count);
        m.put("accuracy", jsonNumber(accuracy()));
        List<Double> perClass = new ArrayList<>(numClasses);
        for (double a : perClassAccuracy()) {
            perClass.add(jsonNumber(a));
        }
        m.put("perClassAccuracy", perClass);
        m.put("negativeLogLikelihood", jsonNumber(negativeLogLikelihood()));
        m.put("expectedCalibrationError", jsonNumber(expectedCalibrationError()));
        m.put("eceBins", eceBins);
        m.put("teacherCount", teacherCount);
        m.put("agreementWithTeacher", jsonNumber(agreementWithTeacher()));
        m.put("meanKlTeacherStudent", jsonNumber(meanKlTeacherStudent()));
        m.put("reliability", reliability());
        List<List<Long>> rows = new ArrayList<>(numClasses);
        for (long[] row : confusionMatrix()) {
            rows.add(java.util.Arrays.stream(row).boxed().toList());
        }
        m.put("confusionMatrix", rows);
        return m;
    }

    @Override
    public String toString() {
        return "ClassificationMetrics" + toMap();
    }

    /** Bin of a confidence in (0, 1]: (k/B, (k+1)/B] maps to k; out-of-range values are clamped. */
    private int bin(double confidence) {
        int b = (int) Math.ceil(confidence * eceBins) - 1;
        return Math.min(Math.max(b, 0), eceBins - 1);
    }

    private void checkLength(double[] p, String what) {
        if (p == null || p.length != numClasses) {
            throw new IllegalArgumentException(what + " must have length " + numClasses + ", got "
                    + (p == null ? "null" : p.length));
        }
    }

    private static double ratio(long num, long den) {
        return den == 0 ? Double.NaN : (double) num / den;
    }

    private static Double jsonNumber(double v) {
        return Double.isNaN(v) ? null : v;
    }
}
