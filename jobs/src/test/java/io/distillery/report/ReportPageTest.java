package io.distillery.report;

import io.distillery.provenance.Provenance;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page from a metrics document without Spark: every text escaped (a hostile model and class name), every
 * chart a real PNG embedded as a data URI, one table row per model, the sweep section only with a sweep.
 */
class ReportPageTest {
    private static final String HOSTILE = "<script>alert('x')</script>&\"";

    private static Map<String, Object> metrics(double accuracy, long parameters, double rowsPerSecond) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", 4L);
        m.put("accuracy", accuracy);
        m.put("parameters", parameters);
        m.put("serializedBytes", 1234L);
        m.put("epochsTrained", 3);
        m.put("bestEpoch", 2);
        m.put("forwardRowsPerSecondPerThread", rowsPerSecond);
        m.put("reliability", List.of(Map.of("lower", 0.0, "upper", 0.5, "count", 1L, "confidence", 0.4,
                "accuracy", 0.0), bin(0.5, 1.0, 3L, 0.8, 1.0)));
        m.put("confusionMatrix", List.of(List.of(2L, 0L), List.of(1L, 1L)));
        return m;
    }

    private static Map<String, Object> bin(double lower, double upper, long count, double confidence, double acc) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("lower", lower);
        b.put("upper", upper);
        b.put("count", count);
        b.put("confidence", confidence);
        b.put("accuracy", acc);
        return b;
    }

    private static List<Map<String, Object>> epochs() {
        List<Map<String, Object>> e = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", i);
            row.put("loss", 1.0 / i);
            row.put("heldOutAccuracy", i == 3 ? null : 0.5 + 0.1 * i);
            row.put("seconds", 1.5);
            e.add(row);
        }
        return e;
    }

    private static Provenance provenance() {
        return new Provenance("distill", "2026-01-01T00:00:00Z", Map.of("distillery", "0.1.0"), 7, "{}",
                List.of(new Provenance.InputRef("store", "/runs/<store>", "abc")), Map.of("loss", "a < b"));
    }

    private static String render(boolean sweep) {
        Map<String, Object> models = new LinkedHashMap<>();
        models.put("teacher", metrics(0.9, 50_000, 1000));
        models.put(HOSTILE, metrics(0.8, 5_000, 8000));
        models.put("small", metrics(0.7, 1_000, 20_000));
        models.put("bad", metrics(0.6, 10_000, 500));
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("testData", "/data/<test>");
        document.put("classNames", List.of("shirt", HOSTILE));
        document.put("models", models);
        if (sweep) {
            document.put("sweep", List.of(HOSTILE, "small", "bad"));
        }
        List<ModelReport> reports = new ArrayList<>();
        models.forEach((name, m) -> reports.add(new ModelReport(name, "/runs/" + name, (Map<String, Object>) m,
                name.equals("bad") ? List.of() : epochs(), provenance())));
        return ReportPage.render(document, reports, provenance());
    }

    @Test
    void escapesEveryTextAndEmbedsRealPngs() {
        String html = render(false);
        assertFalse(html.contains("<script>"), "unescaped model or class name");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"), "escaped name");
        assertTrue(html.contains("/data/&lt;test&gt;") && html.contains("a &lt; b"));
        assertEquals(4, count(html, "<tr class=\"model-row\">"), "one comparison row per model");
        List<byte[]> images = images(html);
        assertEquals(4, images.size(), "loss, accuracy, reliability, bin counts");
        for (byte[] png : images) {
            assertEquals("\u0089PNG", new String(png, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        assertTrue(html.contains("Without a training history: bad."));
        assertTrue(html.contains("<h2>Confusion matrix: " + Html.escape(HOSTILE)), "the first non-teacher model");
        assertFalse(html.contains("Student-size sweep"));
        assertFalse(html.contains("http://") || html.contains("https://"), "an external resource");
    }

    @Test
    void aSweepAddsItsParetoPlots() {
        String html = render(true);
        assertTrue(html.contains("Student-size sweep"));
        assertEquals(6, images(html).size());
        // By size: small (1,000) and the 5,000-parameter model are on the front; bad (10,000, least accurate) not.
        Matcher rows = Pattern.compile("<tr><td class=\"name\">([^<]*)</td><td>[^<]*</td><td>[^<]*</td><td>[^<]*"
                + "</td><td>(yes)?</td><td>(yes)?</td></tr>").matcher(html.substring(html.indexOf("id=\"sweep\"")));
        Map<String, String> fronts = new LinkedHashMap<>();
        while (rows.find()) {
            fronts.put(rows.group(1), (rows.group(2) == null ? "-" : "size") + "/"
                    + (rows.group(3) == null ? "-" : "speed"));
        }
        assertEquals(Map.of(Html.escape(HOSTILE), "size/speed", "small", "size/speed", "bad", "-/-"), fronts);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static List<byte[]> images(String html) {
        Matcher m = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"").matcher(html);
        List<byte[]> out = new ArrayList<>();
        while (m.find()) {
            out.add(Base64.getDecoder().decode(m.group(1)));
        }
        return out;
    }
}
