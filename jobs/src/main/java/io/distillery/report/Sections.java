package io.distillery.report;

import io.distillery.provenance.Provenance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The report's sections, each an HTML fragment with its heading; every text escaped on the way in. */
final class Sections {
    private Sections() {
    }

    /** One row per model of {@code metrics.json}: quality, the epoch kept, size and speed, artifact. */
    static String comparison(List<ModelReport> models) {
        StringBuilder s = new StringBuilder("<h2>Models</h2>\n<table id=\"comparison\"><thead><tr>"
                + "<th class=\"name\">model</th><th>accuracy</th><th>epoch kept / trained</th><th>NLL</th>"
                + "<th>ECE</th><th>agreement with teacher</th><th>KL(teacher||model)</th><th>parameters</th>"
                + "<th>zip bytes</th><th>forward rows/s per thread</th><th class=\"name\">artifact</th></tr></thead>"
                + "<tbody>\n");
        for (ModelReport m : models) {
            Map<String, Object> x = m.metrics();
            Object trained = x.get("epochsTrained");
            String epoch = trained == null ? "-" : (x.get("bestEpoch") == null ? "" : x.get("bestEpoch") + " / ")
                    + trained;
            s.append("<tr class=\"model-row\"><td class=\"name\">").append(Html.escape(m.name())).append("</td><td>")
                    .append(Html.number(x.get("accuracy"), 4)).append("</td><td>").append(Html.escape(epoch))
                    .append("</td><td>").append(Html.number(x.get("negativeLogLikelihood"), 4)).append("</td><td>")
                    .append(Html.number(x.get("expectedCalibrationError"), 4)).append("</td><td>")
                    .append(Html.number(x.get("agreementWithTeacher"), 4)).append("</td><td>")
                    .append(Html.number(x.get("meanKlTeacherStudent"), 4)).append("</td><td>")
                    .append(Html.count(x.get("parameters"))).append("</td><td>")
                    .append(Html.count(x.get("serializedBytes"))).append("</td><td>")
                    .append(Html.count(x.get("forwardRowsPerSecondPerThread"))).append("</td><td class=\"name\"><code>")
                    .append(Html.escape(m.path())).append("</code></td></tr>\n");
        }
        return s.append("</tbody></table>\n").toString();
    }

    /** Fraction of test rows on which two models predict different classes. */
    @SuppressWarnings("unchecked")
    static String disagreement(Map<String, Object> document) {
        if (!(document.get("disagreement") instanceof Map<?, ?> pairs) || pairs.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder("<h3>Disagreement</h3>\n<p>Fraction of the test rows on which two "
                + "models predict different classes.</p>\n<table id=\"disagreement\"><tr><th class=\"name\">pair</th>"
                + "<th>fraction</th></tr>\n");
        ((Map<String, Object>) pairs).forEach((pair, d) -> s.append("<tr><td class=\"name\">")
                .append(Html.escape(pair)).append("</td><td>").append(Html.number(d, 4)).append("</td></tr>\n"));
        return s.append("</table>\n").toString();
    }

    /** Training loss and held-out accuracy per epoch, kept epochs marked. */
    static String learningCurves(List<ModelReport> models) {
        StringBuilder s = new StringBuilder("<h2>Learning curves</h2>\n<p>Mean minibatch training loss and held-out "
                + "accuracy after each epoch; a diamond marks the epoch whose parameters each model kept (early "
                + "stopping's best, else the last). Models of different objectives have losses on different "
                + "scales.</p>\n");
        byte[] loss = Charts.learningCurves(models, "loss", "Training loss per epoch", "mean training loss");
        byte[] accuracy = Charts.learningCurves(models, "heldOutAccuracy", "Held-out accuracy per epoch",
                "held-out accuracy");
        if (loss == null && accuracy == null) {
            return s.append("<p>No model has a training history (history.json).</p>\n").toString();
        }
        if (loss != null) {
            s.append(Html.image(loss, "training loss per epoch")).append('\n');
        }
        if (accuracy != null) {
            s.append(Html.image(accuracy, "held-out accuracy per epoch")).append('\n');
        }
        List<String> without = models.stream().filter(m -> m.epochs().isEmpty()).map(ModelReport::name).toList();
        if (!without.isEmpty()) {
            s.append("<p>Without a training history: ").append(Html.escape(String.join(", ", without)))
                    .append(".</p>\n");
        }
        return s.toString();
    }

    /** The reliability diagram and how many test rows each of its bins holds. */
    static String calibration(List<ModelReport> models) {
        byte[] diagram = Charts.reliability(models);
        if (diagram == null) {
            return "";
        }
        StringBuilder s = new StringBuilder("<h2>Calibration</h2>\n<p>Per equal-width confidence bin, the accuracy "
                + "of the rows whose top probability falls in it against their mean top probability; the ECE in "
                + "the table above is the row-weighted mean gap.</p>\n");
        s.append(Html.image(diagram, "reliability diagram")).append('\n');
        byte[] counts = Charts.confidenceCounts(models);
        if (counts != null) {
            s.append(Html.image(counts, "test rows per confidence bin")).append('\n');
        }
        return s.toString();
    }

    /** The model the confusion matrix shows: the distilled student, else the first model that is not a teacher. */
    static ModelReport distilled(List<ModelReport> models) {
        for (ModelReport m : models) {
            if (m.name().equals("student")) {
                return m;
            }
        }
        return models.stream().filter(m -> !m.name().startsWith("teacher")).findFirst()
                .orElse(models.isEmpty() ? null : models.get(0));
    }

    /** The distilled student's confusion matrix, rows the true class, columns the predicted one. */
    @SuppressWarnings("unchecked")
    static String confusion(Map<String, Object> document, List<ModelReport> models) {
        ModelReport m = distilled(models);
        if (m == null || !(m.metrics().get("confusionMatrix") instanceof List<?> rows) || rows.isEmpty()) {
            return "";
        }
        List<String> names = new ArrayList<>();
        if (document.get("classNames") instanceof List<?> given) {
            given.forEach(n -> names.add(String.valueOf(n)));
        } else {
            for (int i = 0; i < rows.size(); i++) {
                names.add(Integer.toString(i));
            }
        }
        StringBuilder s = new StringBuilder("<h2>Confusion matrix: ").append(Html.escape(m.name()))
                .append("</h2>\n<p>Test rows by true class (rows) and predicted class (columns); the shade is the "
                        + "fraction of the true class.</p>\n<table id=\"confusion\"><tr><th class=\"name\">true \\ "
                        + "predicted</th>");
        names.forEach(n -> s.append("<th>").append(Html.escape(n)).append("</th>"));
        s.append("</tr>\n");
        for (int t = 0; t < rows.size(); t++) {
            List<Number> row = (List<Number>) rows.get(t);
            long total = row.stream().mapToLong(Number::longValue).sum();
            s.append("<tr><th class=\"name\">").append(Html.escape(t < names.size() ? names.get(t) : t))
                    .append("</th>");
            for (Number c : row) {
                double share = total == 0 ? 0 : c.doubleValue() / total;
                int shade = (int) Math.round(255 - 155 * share);
                s.append("<td style=\"background:rgb(").append(shade).append(',').append(shade).append(",255)\">")
                        .append(c.longValue()).append("</td>");
            }
            s.append("</tr>\n");
        }
        return s.append("</table>\n").toString();
    }

    /** The sweep's accuracy against size and against speed, Pareto fronts marked; empty without a sweep. */
    static String sweep(Map<String, Object> document, List<ModelReport> models) {
        if (!(document.get("sweep") instanceof List<?> listed) || listed.isEmpty()) {
            return "";
        }
        List<ModelReport> points = models.stream().filter(m -> listed.contains(m.name())).toList();
        List<Integer> colors = points.stream().map(models::indexOf).toList();  // as in the other charts
        List<String> names = points.stream().map(ModelReport::name).toList();
        double[] accuracy = points.stream().mapToDouble(m -> m.number("accuracy")).toArray();
        double[] parameters = points.stream().mapToDouble(m -> m.number("parameters")).toArray();
        double[] speed = points.stream().mapToDouble(m -> m.number("forwardRowsPerSecondPerThread")).toArray();
        double[] fewerParameters = new double[parameters.length];
        for (int i = 0; i < parameters.length; i++) {
            fewerParameters[i] = -parameters[i];
        }
        // ParetoFront orders by its first criterion; drawn against parameters, the front runs by -parameters.
        List<Integer> bySize = new ArrayList<>(ParetoFront.of(fewerParameters, accuracy));
        java.util.Collections.reverse(bySize);
        List<Integer> bySpeed = ParetoFront.of(speed, accuracy);
        StringBuilder s = new StringBuilder("<h2>Student-size sweep</h2>\n<p>Each student size distilled from the "
                + "one soft-target store and evaluated on the test set. A point is on the Pareto front (diamonds, "
                + "joined) when no other student is at least as accurate and at least as small (resp. fast), and "
                + "better in one.</p>\n");
        s.append(Html.image(Charts.pareto("Test accuracy against parameters", "parameters (log scale)", names,
                colors, parameters, accuracy, bySize, true), "accuracy against parameters")).append('\n');
        s.append(Html.image(Charts.pareto("Test accuracy against forward throughput",
                "forward rows/s per thread (log scale)", names, colors, speed, accuracy, bySpeed, true),
                "accuracy against rows per second")).append('\n');
        s.append("<table id=\"sweep\"><tr><th class=\"name\">student</th><th>accuracy</th><th>parameters</th>"
                + "<th>rows/s</th><th>front (size)</th><th>front (speed)</th></tr>\n");
        for (int i = 0; i < points.size(); i++) {
            s.append("<tr><td class=\"name\">").append(Html.escape(names.get(i))).append("</td><td>")
                    .append(Html.number(accuracy[i], 4)).append("</td><td>").append(Html.count(parameters[i]))
                    .append("</td><td>").append(Html.count(speed[i])).append("</td><td>")
                    .append(bySize.contains(i) ? "yes" : "").append("</td><td>")
                    .append(bySpeed.contains(i) ? "yes" : "").append("</td></tr>\n");
        }
        return s.append("</table>\n").toString();
    }

    /** Where every artifact came from: its metadata.json without the full config. */
    static String provenance(List<ModelReport> models, Provenance evaluation) {
        StringBuilder s = new StringBuilder("<h2>Provenance</h2>\n");
        for (ModelReport m : models) {
            s.append(artifact(m.name(), m.path(), m.provenance()));
        }
        if (evaluation != null) {
            s.append(artifact("evaluation", null, evaluation));
        }
        return s.toString();
    }

    private static String artifact(String name, String path, Provenance p) {
        StringBuilder s = new StringBuilder("<details><summary>").append(Html.escape(name));
        if (path != null) {
            s.append(" <code>").append(Html.escape(path)).append("</code>");
        }
        s.append("</summary>\n");
        if (p == null) {
            return s.append("<p>No metadata.json.</p></details>\n").toString();
        }
        s.append("<table class=\"provenance\"><tr><th class=\"name\">stage</th><td class=\"name\">")
                .append(Html.escape(p.stage())).append("</td></tr><tr><th class=\"name\">created</th>"
                        + "<td class=\"name\">").append(Html.escape(p.createdAt()))
                .append("</td></tr><tr><th class=\"name\">seed</th><td class=\"name\">").append(p.seed())
                .append("</td></tr>\n");
        if (p.versions() != null) {
            p.versions().forEach((k, v) -> s.append("<tr><th class=\"name\">").append(Html.escape(k))
                    .append("</th><td class=\"name\">").append(Html.escape(v)).append("</td></tr>\n"));
        }
        if (p.inputs() != null) {
            for (Provenance.InputRef in : p.inputs()) {
                s.append("<tr><th class=\"name\">input ").append(Html.escape(in.role()))
                        .append("</th><td class=\"name\"><code>").append(Html.escape(in.path())).append("</code> ")
                        .append(Html.escape(in.hash())).append("</td></tr>\n");
            }
        }
        if (p.facts() != null) {
            p.facts().forEach((k, v) -> s.append("<tr><th class=\"name\">").append(Html.escape(k))
                    .append("</th><td class=\"name\">").append(Html.escape(v)).append("</td></tr>\n"));
        }
        return s.append("</table></details>\n").toString();
    }
}
