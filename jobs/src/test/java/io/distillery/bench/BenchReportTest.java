package io.distillery.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bench report's ratios with their per-turn spread, and its own reliability rules. */
class BenchReportTest {

    private static Measurement measured(BenchReport report, String name, long rows, double... seconds) {
        Measurement m = report.add(new Measurement("training", name, "student 784-32-10", "2", rows));
        for (double s : seconds) {
            m.add(s);
        }
        return m;
    }

    @Test
    void aRatioCarriesTheSmallestAndLargestRatioOfRunsOfTheSameTurn() {
        BenchReport report = new BenchReport();
        // 1000 rows per run: ours 100, 50, 100, 125, 100 rows/s; plain 200, 200, 100, 250, 125 rows/s.
        Measurement ours = measured(report, "ours", 1000, 10, 20, 10, 8, 10);
        Measurement plain = measured(report, "plain", 1000, 5, 5, 10, 4, 8);
        report.ratio("training: ours / plain", ours, plain, 0.8);
        BenchReport.Ratio r = report.ratios().get(0);
        assertEquals(100.0 / 200.0, r.value(), 1e-12);  // medians: 100 and 200 rows/s
        assertEquals(0.25, r.min(), 1e-12);             // turn 2: 50 / 200
        assertEquals(1.0, r.max(), 1e-12);              // turn 3: 100 / 100
        assertTrue(report.render().contains("0.500   0.250   1.000  >= 0.80 NOT met"), report::render);
        assertEquals(0.25, ((Double) ((java.util.Map<?, ?>) ((List<?>) report.toJson().get("ratios")).get(0))
                .get("min")), 1e-12);
    }

    @Test
    void runCountsThatDifferLeaveTheSpreadUnknown() {
        BenchReport report = new BenchReport();
        report.ratio("x", measured(report, "a", 10, 10, 10), measured(report, "b", 10, 10), Double.NaN);
        assertTrue(Double.isNaN(report.ratios().get(0).min()));
        assertTrue(Double.isNaN(report.ratios().get(0).max()));
    }

    @Test
    void shortOrFewRunsAreReportedAsUnreliable() {
        BenchReport report = new BenchReport();
        measured(report, "ours", 1000, 12, 11, 13, 12, 12);
        assertEquals(List.of(), report.trustProblems());
        assertTrue(!report.render().contains("UNRELIABLE"), report::render);

        measured(report, "plain", 1000, 2, 3, 2);
        List<String> problems = report.trustProblems();
        assertEquals(2, problems.size(), problems::toString);
        assertTrue(problems.get(0).contains("training plain (student 784-32-10, threads 2) 2.0 s"), problems::toString);
        assertTrue(problems.get(1).contains("training plain (student 784-32-10, threads 2) 3: raise --repeats"),
                problems::toString);
        assertTrue(report.render().contains("UNRELIABLE: timed runs shorter than 10 s"), report::render);
        assertEquals(problems, report.toJson().get("unreliable"));
    }
}
