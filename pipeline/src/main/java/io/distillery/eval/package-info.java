/**
 * Evaluation metrics for students and teachers.
 *
 * <p>Accumulators here are pure Java (no Spark, no ND4J) and mergeable, so the same class serves a local loop over
 * rows and a Spark {@code treeAggregate} (seqOp = {@code add}, combOp = {@code merge}) without shipping ND4J
 * arrays through closures. DL4J's own {@code Evaluation} is not used for distillation metrics because it checks
 * label width and knows nothing of teachers.
 */
package io.distillery.eval;
