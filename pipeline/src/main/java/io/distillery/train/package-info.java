/**
 * Data-parallel training on Spark: the shared epoch loop ({@link io.distillery.train.DistributedTrainer}), our
 * parameter-averaging backend and DL4J's, per-partition training blocks, checkpoints and held-out accuracy.
 * Our backend, the checkpoints and the resume path take a {@code MultiLayerNetwork} or a {@code ComputationGraph}
 * (a student's training graph with auxiliary heads, whose outputs read ranges of the blocks' label columns); the
 * plain-network path is unchanged.
 */
package io.distillery.train;
