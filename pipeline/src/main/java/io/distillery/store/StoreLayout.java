package io.distillery.store;

import io.distillery.config.DistilleryException;
import io.distillery.config.Precision;
import io.distillery.config.SoftTargetSpec;
import io.distillery.provenance.Provenance;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a soft-target store keeps of the teacher: every logit (dense) or the top k classes, and at which precision
 * the kept values and the taps are stored. Written into the store's {@code metadata.json} as facts
 * ({@code logits}, {@code top-k}, {@code logit-precision}, {@code feature-precision}) and read back from them by
 * {@code distill}, so a reader never guesses the layout from column types.
 *
 * <p>A plain serializable class, not a record: it is shipped to executors, and Spark's Kryo cannot serialize
 * records.
 */
public final class StoreLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Fact: {@code dense} or {@code top-k}. */
    public static final String LOGITS_FACT = "logits";
    /** Fact: k, the classes kept per row (0 for a dense store). */
    public static final String TOP_K_FACT = "top-k";
    /** Fact: {@code float32} or {@code float16}, the precision of a top-k store's kept values. */
    public static final String LOGIT_PRECISION_FACT = "logit-precision";
    /** Fact: {@code float32} or {@code float16}, the precision of the {@code tap_*} columns. */
    public static final String FEATURE_PRECISION_FACT = "feature-precision";

    private final int topK;
    private final Precision logitPrecision;
    private final Precision featurePrecision;

    public StoreLayout(int topK, Precision logitPrecision, Precision featurePrecision) {
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        }
        this.topK = topK;
        this.logitPrecision = topK == 0 ? Precision.FLOAT32 : logitPrecision;
        this.featurePrecision = featurePrecision;
    }

    /** Every logit, float32 (the store as it was before top-k existed). */
    public static StoreLayout dense() {
        return new StoreLayout(0, Precision.FLOAT32, Precision.FLOAT32);
    }

    /** The layout the soft-target stage writes for this config. */
    public static StoreLayout of(SoftTargetSpec spec) {
        return new StoreLayout(spec.topK(), spec.logitPrecision(), spec.featurePrecision());
    }

    /**
     * The layout recorded in a store's metadata. Stores written before these facts existed have only
     * {@code logits = dense}: they read as dense float32.
     */
    public static StoreLayout of(Provenance store, String path) {
        String logits = store.fact(LOGITS_FACT);
        String k = store.fact(TOP_K_FACT);
        if ("dense".equals(logits) && (k == null || "0".equals(k))) {
            return new StoreLayout(0, Precision.FLOAT32, precision(store, FEATURE_PRECISION_FACT, path));
        }
        if (!"top-k".equals(logits) || k == null) {
            throw new DistilleryException("Soft-target store " + path + " has metadata fact logits = " + logits
                    + " and top-k = " + k + "; expected logits = dense, or logits = top-k with a top-k count.");
        }
        int topK;
        try {
            topK = Integer.parseInt(k);
        } catch (NumberFormatException e) {
            topK = -1;
        }
        if (topK < 1) {
            throw new DistilleryException("Soft-target store " + path + " has metadata fact top-k = " + k
                    + "; a top-k store keeps a positive number of classes.");
        }
        return new StoreLayout(topK, precision(store, LOGIT_PRECISION_FACT, path),
                precision(store, FEATURE_PRECISION_FACT, path));
    }

    private static Precision precision(Provenance store, String fact, String path) {
        String value = store.fact(fact);
        if (value == null) {
            return Precision.FLOAT32;
        }
        for (Precision p : Precision.values()) {
            if (p.configName().equals(value)) {
                return p;
            }
        }
        throw new DistilleryException("Soft-target store " + path + " has metadata fact " + fact + " = " + value
                + "; expected float32 or float16.");
    }

    /** The facts recorded in the store's {@code metadata.json}. */
    public Map<String, String> facts() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put(LOGITS_FACT, isTopK() ? "top-k" : "dense");
        f.put(TOP_K_FACT, Integer.toString(topK));
        f.put(LOGIT_PRECISION_FACT, logitPrecision.configName());
        f.put(FEATURE_PRECISION_FACT, featurePrecision.configName());
        return f;
    }

    public boolean isTopK() {
        return topK > 0;
    }

    /** k; 0 for a dense store. */
    public int topK() {
        return topK;
    }

    public Precision logitPrecision() {
        return logitPrecision;
    }

    public Precision featurePrecision() {
        return featurePrecision;
    }

    /** True for the layout every store had before compact stores (dense logits, float32 taps). */
    public boolean isDefault() {
        return !isTopK() && featurePrecision == Precision.FLOAT32;
    }

    @Override
    public String toString() {
        return isTopK() ? "top-" + topK + " " + logitPrecision.configName() + ", taps " + featurePrecision.configName()
                : "dense, taps " + featurePrecision.configName();
    }
}
