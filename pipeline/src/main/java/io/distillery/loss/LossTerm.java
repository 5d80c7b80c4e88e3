package io.distillery.loss;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Map;

/**
 * One named term of a response-based distillation objective: a function of the student logits z and of the
 * labels only, so it can live inside a DL4J {@link org.nd4j.linalg.lossfunctions.ILossFunction}
 * ({@link CompositeLoss} sums weighted terms).
 *
 * <h2>Inputs</h2>
 * <ul>
 *   <li>{@code z}: student logits [n, C] (the output layer's pre-activation; the layer's activation is softmax).</li>
 *   <li>{@code labels}: [n, 2C] = {@code [y | t]}, a one-hot hard target y (an all-zero y marks an
 *       <em>unlabelled</em> row) followed by the teacher's logits t (before any temperature). Terms that do not
 *       need y or t ignore that half. Labels in another data type are cast to the type of z.</li>
 * </ul>
 *
 * <h2>Contract</h2>
 * {@link #scoreArray} returns the per-example value [n, 1] and {@link #gradient} its derivative with respect to z,
 * [n, C], per example and <em>not</em> divided by n (DL4J divides in the updater, as for its built-in losses).
 * Both are computed in the data type of z and neither modifies its inputs. Masks and weights are applied by the
 * caller. Implementations are immutable; {@link #params()} must return every parameter so that
 * {@link LossRegistry#create(String, Map)} with {@link #name()} and {@code params()} rebuilds an equal term
 * (this is how {@link CompositeLoss} is serialized).
 */
public interface LossTerm {

    /** @return the registry name, e.g. {@code "kd"} */
    String name();

    /** @return all parameters by registry parameter name (defaults filled in), e.g. {@code {temperature=4.0}} */
    Map<String, Object> params();

    /**
     * @param labels [n, 2C] = [one-hot y | teacher logits t]
     * @param z      student logits [n, C]
     * @return per-example values, a new [n, 1] array
     */
    INDArray scoreArray(INDArray labels, INDArray z);

    /**
     * @param labels [n, 2C] = [one-hot y | teacher logits t]
     * @param z      student logits [n, C]
     * @return d(scoreArray row i)/d(z row i), a new [n, C] array, not divided by n
     */
    INDArray gradient(INDArray labels, INDArray z);

    /**
     * Whether the term reads the teacher's logits t. A {@link CompositeLoss} over several teachers takes such a term
     * once per teacher and averages; a term that reads only y and z (ce) is taken once.
     */
    default boolean readsTeacher() {
        return true;
    }

    /** @return a short readable form for {@link CompositeLoss#formula()}, e.g. {@code "kd(T=4)"} or {@code "ce"} */
    default String describe() {
        return name();
    }
}
