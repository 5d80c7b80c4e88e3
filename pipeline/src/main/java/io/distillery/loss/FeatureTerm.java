package io.distillery.loss;

import io.distillery.config.DistilleryException;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One feature- or relation-based term of an objective, as configured: {@code weight * name(student-layer ->
 * teacher-layer, params)}. Unlike a {@link LossTerm} it compares a hidden student layer with a tapped teacher layer,
 * so it becomes an auxiliary head of the training graph ({@code io.distillery.model.TrainingGraph}) whose loss is
 * {@link #lossFunction}, built once the layers' shapes are known.
 *
 * <p>Shapes are {@code [width]} for dense layers and {@code [channels, height, width]} for convolutional ones.
 */
public final class FeatureTerm implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final double weight;
    private final String studentLayer;
    private final String teacherLayer;
    private final Map<String, Double> params;

    FeatureTerm(String name, double weight, String studentLayer, String teacherLayer, Map<String, Double> params) {
        if (!(weight >= 0.0) || Double.isInfinite(weight)) {
            throw new DistilleryException("Loss term '" + name + "' has weight " + weight
                    + "; weights must be finite and >= 0.");
        }
        this.name = name;
        this.weight = weight;
        this.studentLayer = studentLayer;
        this.teacherLayer = teacherLayer;
        this.params = new TreeMap<>(params);
    }

    public String name() {
        return name;
    }

    public double weight() {
        return weight;
    }

    /** @return the student layer (config {@code student-layer}) the term reads */
    public String studentLayer() {
        return studentLayer;
    }

    /** @return the teacher layer (config {@code teacher-layer}) whose store tap is the target */
    public String teacherLayer() {
        return teacherLayer;
    }

    /** @return true for {@code hint}, whose head has a learned regressor before its loss */
    public boolean needsRegressor() {
        return name.equals(HintLoss.NAME);
    }

    /** @return e.g. {@code hint(hidden1 -> hidden2)} or {@code rkd(hidden1 -> hidden2, distance=25, angle=50)} */
    public String describe() {
        StringBuilder sb = new StringBuilder(name).append('(').append(studentLayer).append(" -> ").append(teacherLayer);
        params.forEach((k, v) -> sb.append(", ").append(k).append('=').append(ResponseLabels.number(v)));
        return sb.append(')').toString();
    }

    /**
     * The loss of this term's head.
     *
     * @param student shape of the student layer (for {@code hint}: of its regressor's output, already the
     *                teacher's width)
     * @param teacher shape of the teacher layer
     * @throws DistilleryException if the shapes do not suit the term, in one sentence naming both layers
     */
    public FeatureLossFunction lossFunction(int[] student, int[] teacher) {
        return switch (name) {
            case HintLoss.NAME -> new HintLoss(weight);
            case AttentionLoss.NAME -> {
                if (student.length != 3 || teacher.length != 3) {
                    throw new DistilleryException("Loss term 'attention' compares convolutional layers, but student "
                            + "layer '" + studentLayer + "' has shape " + Arrays.toString(student) + " and teacher "
                            + "layer '" + teacherLayer + "' has shape " + Arrays.toString(teacher)
                            + " ([channels, height, width] expected for both).");
                }
                if (student[1] != teacher[1] || student[2] != teacher[2]) {
                    throw new DistilleryException("Loss term 'attention' needs equal spatial sizes, but student layer '"
                            + studentLayer + "' is " + student[1] + "x" + student[2] + " and teacher layer '"
                            + teacherLayer + "' is " + teacher[1] + "x" + teacher[2] + ".");
                }
                yield new AttentionLoss(weight, student[1] * student[2]);
            }
            case SimilarityLoss.NAME -> new SimilarityLoss(weight);
            case RkdLoss.NAME -> new RkdLoss(weight, params.get("distance"), params.get("angle"));
            default -> throw new IllegalStateException("not a feature term: " + name);
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FeatureTerm t && name.equals(t.name) && Double.compare(weight, t.weight) == 0
                && studentLayer.equals(t.studentLayer) && teacherLayer.equals(t.teacherLayer)
                && params.equals(t.params);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, weight, studentLayer, teacherLayer, params);
    }

    @Override
    public String toString() {
        return ResponseLabels.number(weight) + " * " + describe();
    }
}
