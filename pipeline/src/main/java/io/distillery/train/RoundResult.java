package io.distillery.train;

import java.io.Serializable;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the workers of one round send back, summed: parameters and updater state weighted by the number of
 * minibatches each worker fitted, the total of those minibatches, the summed minibatch losses, and what the
 * workers' steps learnt from (which snapshots, at which weight).
 */
final class RoundResult implements Serializable {
    private static final long serialVersionUID = 1L;

    final double[] paramSum;
    final double[] updaterSum;
    long batches;
    double lossSum;
    int maxIteration;
    final TreeSet<String> reads;

    RoundResult(float[] params, float[] updater, long batches, double lossSum, int iteration, Set<String> reads) {
        this.paramSum = new double[params.length];
        this.updaterSum = new double[updater.length];
        for (int i = 0; i < params.length; i++) {
            paramSum[i] = (double) params[i] * batches;
        }
        for (int i = 0; i < updater.length; i++) {
            updaterSum[i] = (double) updater[i] * batches;
        }
        this.batches = batches;
        this.lossSum = lossSum;
        this.maxIteration = iteration;
        this.reads = new TreeSet<>(reads);
    }

    /** Adds {@code other} into this result (used by {@code treeReduce}). */
    RoundResult merge(RoundResult other) {
        for (int i = 0; i < paramSum.length; i++) {
            paramSum[i] += other.paramSum[i];
        }
        for (int i = 0; i < updaterSum.length; i++) {
            updaterSum[i] += other.updaterSum[i];
        }
        batches += other.batches;
        lossSum += other.lossSum;
        maxIteration = Math.max(maxIteration, other.maxIteration);
        reads.addAll(other.reads);
        return this;
    }

    /** The batch-weighted average of the workers' states. */
    ModelState average() {
        float[] p = new float[paramSum.length];
        float[] u = new float[updaterSum.length];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) (paramSum[i] / batches);
        }
        for (int i = 0; i < u.length; i++) {
            u[i] = (float) (updaterSum[i] / batches);
        }
        return new ModelState(p, u, maxIteration);
    }
}
