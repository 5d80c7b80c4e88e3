/**
 * Data-parallel training on Spark, with the round as the unit.
 * <ul>
 *   <li>{@link io.distillery.train.TrainingState}: what a round carries and a checkpoint holds: the trainable
 *       models (one, or K for co-distillation), the frozen snapshots, the round, epoch and exchange counters.</li>
 *   <li>{@link io.distillery.train.RoundLoop}: the one loop; a {@link io.distillery.train.RoundEngine} runs a
 *       round ({@link io.distillery.train.AveragingEngine}: our parameter averaging, every trainable model averaged
 *       over its own workers; {@link io.distillery.train.Dl4jEpochEngine}: DL4J's training master, a round per
 *       epoch), and {@link io.distillery.train.RoundListener}s do the rest (progress, checkpoints, the
 *       co-distillation exchange).</li>
 *   <li>{@link io.distillery.train.RoundStep}: a scheme's executor side, per minibatch and model (the plain fit;
 *       {@link io.distillery.train.CoDistillationStep}, which runs the peers' snapshots first).</li>
 *   <li>{@link io.distillery.train.Network}: one view of a {@code MultiLayerNetwork} or a {@code ComputationGraph},
 *       so nothing else switches on the network type; {@link io.distillery.train.LabelLayout}: the named ranges of
 *       a row's label vector.</li>
 *   <li>Per-partition {@link io.distillery.train.TrainingBlock}s packed once and cached,
 *       {@link io.distillery.train.Checkpoints} of the whole state, {@link io.distillery.train.HeldOutAccuracy}.</li>
 * </ul>
 */
package io.distillery.train;
