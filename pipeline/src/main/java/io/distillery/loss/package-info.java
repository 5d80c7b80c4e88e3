/**
 * Loss functions for knowledge distillation, usable as DL4J {@link org.nd4j.linalg.lossfunctions.ILossFunction}s.
 *
 * <p>Teacher information reaches the loss through the labels array: DL4J's {@code BaseOutputLayer} hands labels
 * to the loss without checking their width, so a loss may receive {@code [one-hot | teacher logits]} rows (2C wide)
 * while the output layer is C wide. That keeps distillation inside a plain {@code MultiLayerNetwork.fit}, and
 * therefore inside DL4J's Spark training masters, with no custom training loop. DL4J's {@code Evaluation} does
 * check the width, so evaluate against the one-hot part only.
 *
 * <p>{@link io.distillery.loss.SoftmaxMath} holds the same math in plain Java for code that works on
 * {@code float[]}/{@code double[]} rows (evaluation, tests) without ND4J.
 */
package io.distillery.loss;
