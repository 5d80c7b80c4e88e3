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
 * <p><b>Feature and relation terms</b> ({@code hint}, {@code attention}, {@code similarity}, {@code rkd}) compare a
 * hidden student layer with a tapped teacher layer (or relations between the rows of a minibatch), which an
 * {@code ILossFunction} on the output layer never sees. They are {@link io.distillery.loss.FeatureTerm}s, built by
 * {@link io.distillery.loss.LossRegistry#createFeature} (the registry lists both kinds in its error messages), and
 * each becomes an auxiliary output of the student's training graph ({@code io.distillery.model.TrainingGraph}): a
 * DL4J {@code LossLayer} fed from the named student layer (through a learned regressor for {@code hint}), whose
 * {@link io.distillery.loss.FeatureLossFunction} receives the student activations as its pre-output and the
 * teacher's tapped activations from the store as its labels. So every term is still an ordinary DL4J loss, back-
 * propagated by {@code ComputationGraph.fit}, and training stays inside the parameter-averaged trainer. An
 * {@code ILossFunction} receives the whole minibatch, which is what the batch-relation terms need; their summed
 * per-example scores are b times the paper's batch loss, so that DL4J's division by the minibatch size minimises
 * the batch loss itself (see {@link io.distillery.loss.FeatureLossFunction}).
 *
 * <p>{@link io.distillery.loss.Objective} is a whole configured objective: the response-based terms as one
 * {@code CompositeLoss} for the output layer, the feature terms for the heads, and the formula of all of them.
 *
 * <p>{@link io.distillery.loss.SoftmaxMath} holds the same math in plain Java for code that works on
 * {@code float[]}/{@code double[]} rows (evaluation, tests) without ND4J.
 */
package io.distillery.loss;
