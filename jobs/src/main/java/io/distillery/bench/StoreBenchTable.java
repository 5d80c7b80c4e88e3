package io.distillery.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The printed form of a {@code bench store} result: teacher lines, the Markdown table, the goal verdicts. */
final class StoreBenchTable {
    private StoreBenchTable() {
    }

    /** The Markdown table, teacher lines and verdicts. */
    static String render(StoreBench.Result result) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, Map<String, Object>> t : result.teachers().entrySet()) {
            s.append("teacher ").append(t.getKey()).append(": ").append(t.getValue()).append('\n');
        }
        s.append('\n');
        s.append("| data | store | values | teacher cols B/row | % of dense | whole row B/row | % of dense "
                + "| KL uniform T=1 | KL uniform T=4 | KL renorm. T=1 | KL renorm. T=4 | dropped mass T=1 "
                + "| dropped mass T=4 |\n");
        s.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (StoreBench.Entry e : result.entries()) {
            s.append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %.1f | %s | %.1f | %s | %s | %s | %s | %s | %s | %s |%n",
                    e.dataset(), e.store(), e.precision(), e.logitBytesPerRow(), pct(e.logitFraction()),
                    e.rowBytesPerRow(), pct(e.rowFraction()), num(e.klUniform()[0]), num(e.klUniform()[1]),
                    num(e.klRenormalise()[0]), num(e.klRenormalise()[1]), num(e.droppedMass()[0]),
                    num(e.droppedMass()[1])));
        }
        for (Map.Entry<String, List<TailRankEstimate.Row>> t : result.tailEstimates().entrySet()) {
            s.append('\n').append("Design study, not a store format (").append(t.getKey()).append("): top-10 plus r "
                    + "float16 coefficients on a rank-r PCA basis of the centred logits, fitted on the even ids, "
                    + "measured on the odd ids (TailRankEstimate)\n\n");
            s.append("| rank r | variance explained | extra B/row (raw) | KL T=1 | KL T=4 |\n");
            s.append("|---:|---:|---:|---:|---:|\n");
            for (TailRankEstimate.Row r : t.getValue()) {
                s.append(String.format(Locale.ROOT, "| %d | %s | %d | %s | %s |%n", r.rank(),
                        pct(r.explainedVariance()), r.extraBytesPerRow(), num(r.klT1()), num(r.klT4())));
            }
        }
        s.append('\n');
        for (String v : result.verdicts()) {
            s.append(v).append('\n');
        }
        return s.toString();
    }

    private static String pct(double f) {
        return String.format(Locale.ROOT, f >= 0.1 ? "%.1f%%" : "%.2f%%", 100 * f);
    }

    private static String num(double x) {
        if (x == 0) {
            return "0";
        }
        return Math.abs(x) >= 0.01 ? String.format(Locale.ROOT, "%.4f", x) : String.format(Locale.ROOT, "%.2e", x);
    }
}
