package io.distillery.report;

import io.distillery.provenance.Provenance;

import java.util.List;
import java.util.Map;

/**
 * What the report shows of one evaluated model.
 *
 * @param name       its name in {@code metrics.json}
 * @param path       its artifact directory
 * @param metrics    its entry in {@code metrics.json} (accuracy, sizes, reliability bins, confusion matrix...)
 * @param epochs     its {@code history.json} epochs ({@code epoch, loss, heldOutAccuracy, seconds}); empty when
 *                   the model was saved without a history
 * @param provenance its {@code metadata.json}, or null when it cannot be read
 */
record ModelReport(String name, String path, Map<String, Object> metrics, List<Map<String, Object>> epochs,
                   Provenance provenance) {

    /** A metric as a double, NaN when absent. */
    double number(String key) {
        return metrics.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    /** The epoch whose parameters were kept (early stopping), else the last one trained, else 0. */
    int keptEpoch() {
        if (metrics.get("bestEpoch") instanceof Number n) {
            return n.intValue();
        }
        return metrics.get("epochsTrained") instanceof Number n ? n.intValue() : 0;
    }
}
