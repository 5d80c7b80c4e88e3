package io.distillery.bench;

import java.util.Random;

/**
 * The synthetic task of {@code bench store}: how hard a set of class prototypes with isotropic Gaussian noise is, so
 * that the noise can be set from the accuracy the best possible (nearest-prototype) classifier reaches.
 */
final class SyntheticPrototypes {
    private SyntheticPrototypes() {
    }

    /**
     * The noise level at which the nearest-prototype rule (Bayes-optimal for equiprobable classes and isotropic
     * Gaussian noise) is right with probability {@code target}, by bisection on a fixed Monte Carlo sample.
     */
    static double sigmaForBayesAccuracy(double[][] proto, double target, Random rnd) {
        double lo = 0;
        double hi = 10 * medianNearestDistance(proto);
        long seed = rnd.nextLong();
        for (int i = 0; i < 14; i++) {
            double mid = (lo + hi) / 2;
            // The same draws at every step (common random numbers), so accuracy falls monotonically with sigma.
            if (nearestPrototypeAccuracy(proto, mid, new Random(seed), 3000) > target) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }

    static double nearestPrototypeAccuracy(double[][] proto, double sigma, Random rnd, int samples) {
        int d = proto[0].length;
        double[] x = new double[d];
        int right = 0;
        for (int s = 0; s < samples; s++) {
            int c = rnd.nextInt(proto.length);
            for (int i = 0; i < d; i++) {
                x[i] = proto[c][i] + sigma * rnd.nextGaussian();
            }
            int best = -1;
            double bestDist = Double.POSITIVE_INFINITY;
            for (int k = 0; k < proto.length; k++) {
                double dist = 0;
                for (int i = 0; i < d && dist < bestDist; i++) {
                    double diff = x[i] - proto[k][i];
                    dist += diff * diff;
                }
                if (dist < bestDist) {
                    bestDist = dist;
                    best = k;
                }
            }
            if (best == c) {
                right++;
            }
        }
        return (double) right / samples;
    }

    static double medianNearestDistance(double[][] p) {
        double[] nearest = new double[p.length];
        for (int a = 0; a < p.length; a++) {
            double best = Double.POSITIVE_INFINITY;
            for (int b = 0; b < p.length; b++) {
                if (a != b) {
                    double s = 0;
                    for (int i = 0; i < p[a].length; i++) {
                        double diff = p[a][i] - p[b][i];
                        s += diff * diff;
                    }
                    best = Math.min(best, s);
                }
            }
            nearest[a] = Math.sqrt(best);
        }
        java.util.Arrays.sort(nearest);
        return nearest[p.length / 2];
    }
}
