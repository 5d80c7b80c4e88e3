package io.distillery.report;

import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;
import io.distillery.train.HistoryFile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Loads what the report shows: each model of {@code metrics.json} with its history and provenance. */
public final class ReportInputs {
    private ReportInputs() {
    }

    /**
     * One {@link ModelReport} per model of the metrics document, in its order.
     *
     * @param document   the {@code metrics.json} document
     * @param modelPaths model name to artifact directory (a model without one is shown without history)
     */
    @SuppressWarnings("unchecked")
    static List<ModelReport> load(ArtifactFiles files, Map<String, Object> document, Map<String, String> modelPaths) {
        Map<String, Object> models = (Map<String, Object>) document.get("models");
        List<ModelReport> out = new ArrayList<>();
        for (Map.Entry<String, Object> e : models.entrySet()) {
            String path = modelPaths.get(e.getKey());
            List<Map<String, Object>> epochs = List.of();
            Provenance provenance = null;
            if (path != null && files.isCommitted(path)) {
                Map<String, Object> history = HistoryFile.read(files, path);
                if (history != null && history.get("epochs") instanceof List<?> list) {
                    epochs = (List<Map<String, Object>>) list;
                }
                provenance = files.readProvenance(path);
            }
            out.add(new ModelReport(e.getKey(), path, (Map<String, Object>) e.getValue(), epochs, provenance));
        }
        return out;
    }
}
