package io.distillery.data;

import io.distillery.config.DistilleryException;
import io.distillery.provenance.Provenance;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How features are scaled before any model sees them: {@code x'[j] = (x[j] - offset[j]) / scale[j]}, in float
 * arithmetic, the same on every path (a Dataset's rows, or a batch on an executor), so a model sees the same bits
 * in training, in the store and in evaluation. {@code standard}: offset = mean, scale = population standard
 * deviation; {@code minmax}: offset = min, scale = max - min; {@code none}: the identity. A constant feature gets
 * scale 1: it is shifted to 0, never divided by 0.
 *
 * <p>The statistics are fitted once, on the teacher's training rows, and recorded in its provenance (facts
 * {@value #KIND_FACT}, {@value #HASH_FACT}, {@value #OFFSET_FACT}, {@value #SCALE_FACT}); every later stage reads
 * them from the artifact it consumes. The hash is a short SHA-256 of the kind and the statistics' bits, so two
 * artifacts made with other statistics are told apart by one comparison.
 */
public final class FeatureScaling implements Serializable {
    /** Provenance fact: {@code standard} or {@code minmax}; absent for {@code none}. */
    public static final String KIND_FACT = "scaling";
    /** Provenance fact: the short hash of the kind and the statistics. */
    public static final String HASH_FACT = "scaling-hash";
    /** Provenance fact: the offsets (mean or min), comma-separated, one per feature. */
    public static final String OFFSET_FACT = "scaling-offset";
    /** Provenance fact: the scales (std or max - min, 1 for a constant feature), comma-separated. */
    public static final String SCALE_FACT = "scaling-scale";
    /** The kinds {@code data.scaling} may name. */
    public static final List<String> KINDS = List.of("none", "standard", "minmax");
    /** No scaling: the features as they are. */
    public static final FeatureScaling NONE = new FeatureScaling("none", new float[0], new float[0]);
    private static final int HASH_CHARS = 12;

    private final String kind;
    private final float[] offset;
    private final float[] scale;

    private FeatureScaling(String kind, float[] offset, float[] scale) {
        this.kind = kind;
        this.offset = offset;
        this.scale = scale;
    }

    /** Scaling of {@code kind} from explicit offsets and scales (a scale of 0 is replaced by 1). */
    public static FeatureScaling of(String kind, float[] offset, float[] scale) {
        if (!KINDS.contains(kind)) {
            throw new DistilleryException("Feature scaling '" + kind + "' is not one of " + KINDS + ".");
        }
        if ("none".equals(kind)) {
            return NONE;
        }
        float[] s = scale.clone();
        for (int j = 0; j < s.length; j++) {
            s[j] = s[j] == 0f ? 1f : s[j];  // a constant feature: shifted only
        }
        return new FeatureScaling(kind, offset.clone(), s);
    }

    /** Scaling of {@code kind} from fitted statistics. */
    public static FeatureScaling of(String kind, FeatureStatistics stats) {
        if ("none".equals(kind)) {
            return NONE;
        }
        int width = stats.width();
        float[] offset = new float[width];
        float[] scale = new float[width];
        for (int j = 0; j < width; j++) {
            boolean standard = "standard".equals(kind);
            offset[j] = standard ? (float) stats.mean(j) : stats.min(j);
            scale[j] = standard ? (float) stats.std(j) : (float) ((double) stats.max(j) - stats.min(j));
        }
        return of(kind, offset, scale);
    }

    /**
     * Fits {@code kind} on the {@code features} column of canonical {@code rows} in one Spark pass: each partition
     * summarises its rows on the executor and only the per-feature vectors of each partition come back, merged on
     * the driver in partition order (not in the order tasks finish, as {@code treeAggregate} would), so the same
     * rows always give the same bits and the same hash.
     */
    public static FeatureScaling fit(Dataset<Row> rows, String kind, int width, String path) {
        if ("none".equals(kind)) {
            return NONE;
        }
        List<FeatureStatistics> parts;
        try {
            parts = rows.select(Canonical.FEATURES).javaRDD()
                    .mapPartitions(it -> List.of(FeatureStatistics.of(width, new FeatureLists(it))).iterator())
                    .collect();
        } catch (Exception e) {
            throw SparkFailures.wrap(path, e);
        }
        FeatureStatistics total = new FeatureStatistics(width);
        parts.forEach(total::merge);
        if (total.count() == 0) {
            throw new DistilleryException("The data at '" + path + "' has no training rows to fit the "
                    + kind + " feature scaling on.");
        }
        return of(kind, total);
    }

    /** Adapts an iterator of rows holding one features column to the lists of floats. */
    private record FeatureLists(Iterator<Row> rows) implements Iterator<List<Float>> {
        @Override
        public boolean hasNext() {
            return rows.hasNext();
        }

        @Override
        public List<Float> next() {
            return rows.next().getList(0);
        }
    }

    public String kind() {
        return kind;
    }

    public boolean isNone() {
        return "none".equals(kind);
    }

    /** Feature {@code j} scaled. */
    public float apply(int j, float x) {
        return (x - offset[j]) / scale[j];
    }

    /** Scales a row-major batch of rows of {@code width} features in place. */
    public void applyInPlace(float[] batch, int width) {
        if (isNone()) {
            return;
        }
        checkWidth(width);
        for (int i = 0; i < batch.length; i++) {
            int j = i % width;
            batch[i] = apply(j, batch[i]);
        }
    }

    /** {@code data} (canonical, any other columns kept) with its features scaled; the identity for none. */
    public Dataset<Row> apply(Dataset<Row> data) {
        if (isNone()) {
            return data;
        }
        int column = data.schema().fieldIndex(Canonical.FEATURES);
        FeatureScaling self = this;
        // The row encoder drops field metadata, hence withMetadata: the canonical marker must survive.
        return data.map((MapFunction<Row, Row>) r -> {
            Object[] values = new Object[r.length()];
            for (int c = 0; c < values.length; c++) {
                values[c] = r.get(c);
            }
            List<Float> f = r.getList(column);
            self.checkWidth(f.size());
            float[] scaled = new float[f.size()];
            for (int j = 0; j < scaled.length; j++) {
                scaled[j] = self.apply(j, f.get(j));
            }
            values[column] = scaled;
            return RowFactory.create(values);
        }, Encoders.row(data.schema())).withMetadata(Canonical.FEATURES, data.schema().apply(column).metadata());
    }

    private void checkWidth(int width) {
        if (width != offset.length) {
            throw new DistilleryException("Feature scaling was fitted on " + offset.length + " features but the "
                    + "data has " + width + ".");
        }
    }

    /** The short hash of the kind and the statistics' bits; {@code none} for no scaling. */
    public String hash() {
        if (isNone()) {
            return "none";
        }
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(kind.getBytes(StandardCharsets.UTF_8));
            ByteBuffer bits = ByteBuffer.allocate(8 * offset.length);
            for (int j = 0; j < offset.length; j++) {
                bits.putInt(Float.floatToIntBits(offset[j])).putInt(Float.floatToIntBits(scale[j]));
            }
            digest.update(bits.array());
            return HexFormat.of().formatHex(digest.digest()).substring(0, HASH_CHARS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** For messages: {@code none}, or the kind and the hash, e.g. {@code standard (statistics 3f2a9c01b7de)}. */
    public String describe() {
        return isNone() ? "none" : kind + " (statistics " + hash() + ")";
    }

    /** True when both scale every feature the same way. */
    public boolean sameAs(FeatureScaling other) {
        return hash().equals(other.hash());
    }

    /** The facts recording this scaling; none for {@code none}, so unscaled artifacts keep their facts. */
    public Map<String, String> facts() {
        Map<String, String> facts = new LinkedHashMap<>();
        if (!isNone()) {
            facts.put(KIND_FACT, kind);
            facts.put(HASH_FACT, hash());
            facts.put(OFFSET_FACT, join(offset));
            facts.put(SCALE_FACT, join(scale));
        }
        return facts;
    }

    /** The scaling an artifact recorded ({@code none} when it recorded none); its hash is checked. */
    public static FeatureScaling fromFacts(Provenance provenance, String path) {
        String kind = provenance.fact(KIND_FACT);
        if (kind == null) {
            return NONE;
        }
        try {
            FeatureScaling s = new FeatureScaling(kind, parse(provenance.fact(OFFSET_FACT)),
                    parse(provenance.fact(SCALE_FACT)));
            if (s.offset.length != s.scale.length || !s.hash().equals(provenance.fact(HASH_FACT))) {
                throw new DistilleryException("The feature scaling recorded in " + path + "/metadata.json does not "
                        + "match its hash " + provenance.fact(HASH_FACT) + "; the artifact was changed by hand.");
            }
            return s;
        } catch (NumberFormatException | NullPointerException e) {
            throw new DistilleryException("The feature scaling recorded in " + path + "/metadata.json cannot be "
                    + "read (" + e.getMessage() + ").", e);
        }
    }

    /** Float.toString is the shortest decimal that parses back to the same float, so the round trip is exact. */
    private static String join(float[] values) {
        List<String> text = new ArrayList<>(values.length);
        for (float v : values) {
            text.add(Float.toString(v));
        }
        return String.join(",", text);
    }

    private static float[] parse(String text) {
        String[] parts = text.split(",");
        float[] values = new float[parts.length];
        for (int j = 0; j < parts.length; j++) {
            values[j] = Float.parseFloat(parts[j]);
        }
        return values;
    }

    @Override
    public String toString() {
        return describe();
    }
}
