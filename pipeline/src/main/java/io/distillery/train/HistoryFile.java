package io.distillery.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.distillery.config.DistilleryException;
import io.distillery.provenance.ProvenanceJson;
import io.distillery.store.ArtifactFiles;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code history.json} in a model's artifact directory: the model's per-epoch training history ({@link EpochRecord}:
 * mean training loss, held-out accuracy, seconds), the epochs trained and the epoch kept. Written into the
 * directory being committed, beside {@code model.zip} and {@code metadata.json}, so all three appear together.
 * JSON has no NaN: an unmeasured value is {@code null}.
 */
public final class HistoryFile {
    /** File name inside a model's artifact directory. */
    public static final String FILE = "history.json";

    private HistoryFile() {
    }

    /**
     * The document: {@code model}, {@code epochsTrained}, {@code bestEpoch} (null without early stopping) and
     * {@code epochs}, one object per epoch ({@code epoch, loss, heldOutAccuracy, seconds}).
     */
    public static Map<String, Object> document(String model, List<EpochRecord> epochs, Integer bestEpoch) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("model", model);
        doc.put("epochsTrained", epochs.isEmpty() ? 0 : epochs.get(epochs.size() - 1).epoch());
        doc.put("bestEpoch", bestEpoch);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EpochRecord e : epochs) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", e.epoch());
            row.put("loss", finite(e.loss()));
            row.put("heldOutAccuracy", finite(e.heldOutAccuracy()));
            row.put("seconds", finite(e.seconds()));
            rows.add(row);
        }
        doc.put("epochs", rows);
        return doc;
    }

    /**
     * Writes the history of {@code model} from a finished run's state into {@code dir} (a directory being
     * written).
     */
    public static void write(ArtifactFiles files, String dir, String model, TrainingState end) {
        Double best = end.metrics().get(EarlyStopping.bestEpochKey(model));
        write(files, dir, document(model, end.history(model), best == null ? null : best.intValue()));
    }

    /** Writes a history document into {@code dir}. */
    public static void write(ArtifactFiles files, String dir, Map<String, Object> document) {
        try {
            files.writeText(dir + "/" + FILE, ProvenanceJson.mapper().writeValueAsString(document));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("The training history cannot be written as JSON", e);
        }
    }

    /** The history document in {@code dir}, or null for a model saved without one (before it was recorded). */
    public static Map<String, Object> read(ArtifactFiles files, String dir) {
        String path = dir + "/" + FILE;
        if (!files.exists(path)) {
            return null;
        }
        try {
            return ProvenanceJson.mapper().readValue(files.readText(path), new TypeReference<>() {
            });
        } catch (JsonProcessingException e) {
            throw new DistilleryException("Training history " + path + " is not valid JSON: "
                    + e.getOriginalMessage() + ".", e);
        }
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
