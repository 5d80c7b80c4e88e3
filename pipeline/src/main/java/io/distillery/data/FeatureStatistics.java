package io.distillery.data;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Per-feature count, mean, sum of squared deviations, minimum and maximum of a set of rows, accumulated one row at
 * a time (Welford) and merged pairwise (Chan et al.), in double precision: exact for a constant feature (its
 * deviation sum stays 0) and stable where a sum of squares minus a squared sum would cancel.
 */
public final class FeatureStatistics implements Serializable {
    private final int width;
    private long count;
    private final double[] mean;
    private final double[] m2;
    private final float[] min;
    private final float[] max;

    public FeatureStatistics(int width) {
        this.width = width;
        this.mean = new double[width];
        this.m2 = new double[width];
        this.min = new float[width];
        this.max = new float[width];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
    }

    /** The statistics of {@code rows}' feature lists, each of this width. */
    public static FeatureStatistics of(int width, Iterator<List<Float>> rows) {
        FeatureStatistics s = new FeatureStatistics(width);
        while (rows.hasNext()) {
            s.add(rows.next());
        }
        return s;
    }

    public void add(List<Float> features) {
        count++;
        for (int j = 0; j < width; j++) {
            float x = features.get(j);
            double delta = x - mean[j];
            mean[j] += delta / count;
            m2[j] += delta * (x - mean[j]);
            min[j] = Math.min(min[j], x);
            max[j] = Math.max(max[j], x);
        }
    }

    /** These statistics with {@code other}'s added (this object, changed). */
    public FeatureStatistics merge(FeatureStatistics other) {
        if (other.count == 0) {
            return this;
        }
        long n = count + other.count;
        for (int j = 0; j < width; j++) {
            double delta = other.mean[j] - mean[j];
            mean[j] += delta * other.count / n;
            m2[j] += other.m2[j] + delta * delta * ((double) count * other.count / n);
            min[j] = Math.min(min[j], other.min[j]);
            max[j] = Math.max(max[j], other.max[j]);
        }
        count = n;
        return this;
    }

    public long count() {
        return count;
    }

    public double mean(int j) {
        return mean[j];
    }

    /** The population standard deviation (divided by the count, not count - 1). */
    public double std(int j) {
        return count == 0 ? 0.0 : Math.sqrt(m2[j] / count);
    }

    public float min(int j) {
        return min[j];
    }

    public float max(int j) {
        return max[j];
    }

    public int width() {
        return width;
    }
}
