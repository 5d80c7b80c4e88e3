package io.distillery.loss;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Combines K teachers' logits for one row into the one row of logits a response term reads, so that every
 * response term (kd, dkd, logit-mse) learns from several teachers unchanged:
 *
 * <ul>
 *   <li>{@code mean-probabilities}: the mean of the teachers' probabilities at temperature T (Hinton et al. 2015);
 *   <li>{@code mean-logits}: the mean of their logits (TextBrewer's multi-teacher distiller);
 *   <li>{@code weighted}: fixed weights per teacher on their probabilities at T;
 *   <li>{@code confidence}: per-row weights on their probabilities at T from each teacher's cross-entropy on the
 *       true label where the row is labelled (CA-MKD, Zhang et al. 2022), and from its entropy where it is not:
 *       {@code w_k = (1 - softmax(s)_k) / (K - 1)} for scores {@code s_k} (lower score, larger weight);
 *   <li>{@code per-teacher-loss}: no combination: the K teachers' logits side by side ({@link #width} K C), for a
 *       {@link CompositeLoss} that takes each response term once per teacher and averages. For kd (and logit-mse)
 *       that has the gradient of kd on {@code mean-probabilities} (of logit-mse on {@code mean-logits}); for dkd it is
 *       another objective.
 * </ul>
 *
 * <p>A combination of probabilities {@code p} is written as the logits {@code T * log p}, whose softmax at T is
 * {@code p} exactly, so a term at the combiner's temperature sees exactly the combined distribution (at another
 * temperature it sees {@code p^(T/T')} renormalised). Serializable: it runs on the executors, per row, while the
 * store's rows are packed.
 */
public final class TeacherCombiner implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Floor of a combined probability before its log, so an underflowed class stays finite. */
    private static final double MIN_P = 1e-30;

    /** How the teachers' outputs are combined. */
    public enum Kind {
        MEAN_PROBABILITIES, MEAN_LOGITS, WEIGHTED, CONFIDENCE, PER_TEACHER_LOSS;

        /** The config spelling, e.g. {@code mean-probabilities}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The kind spelled {@code name} in config, or an exception listing the known ones. */
        public static Kind fromConfig(String name) {
            for (Kind k : values()) {
                if (k.configName().equals(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("'" + name + "' is not a teacher combiner; use one of "
                    + Arrays.stream(values()).map(Kind::configName).toList() + ".");
        }
    }

    private final Kind kind;
    private final double temperature;
    private final double[] weights;

    private TeacherCombiner(Kind kind, double temperature, double[] weights) {
        this.kind = kind;
        this.temperature = temperature;
        this.weights = weights;
    }

    /**
     * @param kind        how to combine
     * @param temperature T of the probabilities combined (that of the response term that reads the result)
     * @param weights     {@code weighted} only: one non-negative weight per teacher, not all 0 (normalised to sum
     *                    to 1); ignored otherwise
     * @param teachers    K, at least 2
     */
    public static TeacherCombiner of(Kind kind, double temperature, List<Double> weights, int teachers) {
        if (teachers < 2) {
            throw new IllegalArgumentException("a combination needs at least 2 teachers, not " + teachers);
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature " + temperature + " must be positive");
        }
        double[] w = new double[teachers];
        if (kind == Kind.WEIGHTED) {
            if (weights.size() != teachers) {
                throw new IllegalArgumentException(weights.size() + " weights for " + teachers + " teachers");
            }
            double sum = 0;
            for (int k = 0; k < teachers; k++) {
                w[k] = weights.get(k);
                if (!(w[k] >= 0) || Double.isInfinite(w[k])) {
                    throw new IllegalArgumentException("weight " + w[k] + " of teacher " + k + " must be >= 0");
                }
                sum += w[k];
            }
            if (sum == 0) {
                throw new IllegalArgumentException("the teachers' weights are all 0");
            }
            for (int k = 0; k < teachers; k++) {
                w[k] /= sum;
            }
        } else {
            Arrays.fill(w, 1.0 / teachers);
        }
        return new TeacherCombiner(kind, temperature, w);
    }

    public Kind kind() {
        return kind;
    }

    public int teachers() {
        return weights.length;
    }

    /** Width of a combined row for C classes: C, or K C for {@code per-teacher-loss}. */
    public int width(int classes) {
        return kind == Kind.PER_TEACHER_LOSS ? teachers() * classes : classes;
    }

    /**
     * Writes the combined logits of one row into {@code out[offset, offset + width(C))}.
     *
     * @param logits K rows of C logits, one per teacher
     * @param label  the row's class when its label may be used, else -1 ({@code confidence} then uses entropy)
     */
    public void combine(float[][] logits, int label, float[] out, int offset) {
        int classes = logits[0].length;
        if (kind == Kind.PER_TEACHER_LOSS) {
            for (int k = 0; k < logits.length; k++) {
                System.arraycopy(logits[k], 0, out, offset + k * classes, classes);
            }
            return;
        }
        if (kind == Kind.MEAN_LOGITS) {
            for (int c = 0; c < classes; c++) {
                double sum = 0;
                for (float[] t : logits) {
                    sum += t[c];
                }
                out[offset + c] = (float) (sum / logits.length);
            }
            return;
        }
        double[] w = kind == Kind.CONFIDENCE ? confidenceWeights(logits, label) : weights;
        double[] mixed = new double[classes];
        for (int k = 0; k < logits.length; k++) {
            double[] p = SoftmaxMath.softmax(logits[k], temperature);
            for (int c = 0; c < classes; c++) {
                mixed[c] += w[k] * p[c];
            }
        }
        for (int c = 0; c < classes; c++) {
            out[offset + c] = (float) (temperature * Math.log(Math.max(mixed[c], MIN_P)));
        }
    }

    /**
     * CA-MKD's weights {@code (1 - softmax(s)_k) / (K - 1)}: {@code s_k} is teacher k's cross-entropy on
     * {@code label} (at T = 1), or its prediction's entropy when the row is unlabelled.
     */
    static double[] confidenceWeights(float[][] logits, int label) {
        int teachers = logits.length;
        double[] score = new double[teachers];
        for (int k = 0; k < teachers; k++) {
            double[] logP = SoftmaxMath.logSoftmax(logits[k], 1.0);
            if (label >= 0) {
                score[k] = -logP[label];
            } else {
                double h = 0;
                for (double lp : logP) {
                    h -= Math.exp(lp) * lp;
                }
                score[k] = h;
            }
        }
        double[] s = SoftmaxMath.softmax(score, 1.0);
        double[] w = new double[teachers];
        for (int k = 0; k < teachers; k++) {
            w[k] = (1 - s[k]) / (teachers - 1);
        }
        return w;
    }

    @Override
    public String toString() {
        return kind == Kind.WEIGHTED ? kind.configName() + Arrays.toString(weights) + "(T=" + temperature + ")"
                : kind.configName() + "(T=" + temperature + ")";
    }
}
