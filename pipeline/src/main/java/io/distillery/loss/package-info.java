/**
 * Loss functions for knowledge distillation, usable as DL4J {@link org.nd4j.linalg.lossfunctions.ILossFunction}s.
 *
 * <p>Teacher information reaches the loss through the labels array: DL4J's {@code BaseOutputLayer} hands labels
 * to the loss without checking their width, so a loss may receive {@code [one-hot | teacher logits]} rows (2C wide)
 * while the output layer is C wide. That keeps distillation inside a plain {@code MultiLayerNetwork.fit}, and
 * therefore inside DL4J's Spark training masters, with no custom training loop. DL4J's {@code Evaluation} does
 * check the width, so evaluate against the one-hot part only.
 *
 * <p>Objectives: {@link io.distillery.loss.DistillationLoss} is the fixed Hinton objective; {@link
 * io.distillery.loss.CompositeLoss} is any weighted sum of response-based {@link io.distillery.loss.LossTerm}s
 * ({@code kd}, {@code ce}, {@code dkd}, {@code logit-mse}) looked up by name in {@link
 * io.distillery.loss.LossRegistry}.
 *
 * <p><b>Feature and relation terms</b> (FitNets hints, attention transfer, similarity-preserving, RKD) do not fit
 * {@code LossTerm}: they compare hidden-layer activations (or relations between the rows of a minibatch), which an
 * {@code ILossFunction} on the output layer never sees. They will need their own interface taking the student's and
 * teacher's tapped activations (cf. {@code io.distillery.model.LogitsAndTaps}) and producing gradients for those
 * layers, and so a training step that back-propagates from more than the output layer. They can share the
 * registry's naming and error conventions (a second map of factories beside the response-based one), but not
 * {@code LossTerm} itself; {@link io.distillery.loss.LossRegistry#register} only accepts response-based terms.
 *
 * <p>{@link io.distillery.loss.SoftmaxMath} holds the same math in plain Java for code that works on
 * {@code float[]}/{@code double[]} rows (evaluation, tests) without ND4J.
 */
package io.distillery.loss;
