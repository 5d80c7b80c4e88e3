/**
 * Data-parallel training on Spark: the shared epoch loop ({@link io.distillery.train.DistributedTrainer}), our
 * parameter-averaging backend and DL4J's, per-partition training blocks, checkpoints and held-out accuracy.
 */
package io.distillery.train;
