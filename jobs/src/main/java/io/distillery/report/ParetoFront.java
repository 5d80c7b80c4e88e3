package io.distillery.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The Pareto front of points scored on two criteria, both to maximize (pass a cost negated): a point is on the front
 * when no other point is at least as good on both and strictly better on one. Ties (equal points) are all kept.
 */
public final class ParetoFront {
    private ParetoFront() {
    }

    /**
     * Indices of the non-dominated points, ordered by {@code a} ascending (the order to draw the front in). NaN
     * points are never on the front and never dominate.
     */
    public static List<Integer> of(double[] a, double[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("criteria of different lengths: " + a.length + " and " + b.length);
        }
        List<Integer> front = new ArrayList<>();
        for (int i = 0; i < a.length; i++) {
            if (Double.isNaN(a[i]) || Double.isNaN(b[i])) {
                continue;
            }
            boolean dominated = false;
            for (int j = 0; j < a.length && !dominated; j++) {
                dominated = j != i && a[j] >= a[i] && b[j] >= b[i] && (a[j] > a[i] || b[j] > b[i]);
            }
            if (!dominated) {
                front.add(i);
            }
        }
        front.sort(Comparator.comparingDouble(i -> a[i]));
        return front;
    }
}
