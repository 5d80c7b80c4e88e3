package io.distillery.report;

import io.distillery.provenance.Provenance;
import io.distillery.store.ArtifactFiles;

import java.util.List;
import java.util.Map;

/**
 * Assembles {@code report.html} from a {@code metrics.json} document: the comparison table, learning curves,
 * calibration, the distilled student's confusion matrix, the sweep's Pareto plots when there is a sweep, and the
 * provenance of every artifact. Every text is escaped; every chart is an embedded PNG, so the page needs nothing
 * beside itself.
 */
public final class ReportPage {
    /** File name of the report inside the evaluation directory, beside {@code metrics.json}. */
    public static final String FILE = "report.html";

    private static final String STYLE = """
            body{font-family:sans-serif;margin:2em;color:#222;max-width:1200px}
            table{border-collapse:collapse;margin:1em 0}
            th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
            th{background:#f0f0f0}td.name,th.name{text-align:left}
            img{display:block;margin:1em 0;border:1px solid #ddd}
            details{margin:.5em 0}code{font-size:90%}
            """;

    private ReportPage() {
    }

    /**
     * Loads the models' histories and provenance and renders the page.
     *
     * @param document   the {@code metrics.json} document
     * @param modelPaths model name to artifact directory
     * @param evaluation the evaluation's own provenance
     */
    public static String render(ArtifactFiles files, Map<String, Object> document, Map<String, String> modelPaths,
                                Provenance evaluation) {
        return render(document, ReportInputs.load(files, document, modelPaths), evaluation);
    }

    static String render(Map<String, Object> document, List<ModelReport> models, Provenance evaluation) {
        System.setProperty("java.awt.headless", "true");
        StringBuilder page = new StringBuilder(1 << 16);
        page.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>Distillery report</title><style>").append(STYLE).append("</style></head><body>\n");
        page.append("<h1>Distillery report</h1>\n<p>Test data <code>").append(Html.escape(document.get("testData")))
                .append("</code>");
        if (evaluation != null) {
            page.append(", evaluated ").append(Html.escape(evaluation.createdAt()));
        }
        page.append(".</p>\n");
        page.append(Sections.comparison(models));
        page.append(Sections.disagreement(document));
        page.append(Sections.sweep(document, models));
        page.append(Sections.learningCurves(models));
        page.append(Sections.calibration(models));
        page.append(Sections.confusion(document, models));
        page.append(Sections.provenance(models, evaluation));
        page.append("</body></html>\n");
        return page.toString();
    }
}
