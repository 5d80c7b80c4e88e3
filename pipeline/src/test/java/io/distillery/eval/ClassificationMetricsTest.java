package io.distillery.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClassificationMetricsTest {

    /**
     * Four rows, C = 3, 5 ECE bins ((0,.2], (.2,.4], (.4,.6], (.6,.8], (.8,1]):
     * <pre>
     * row  student p          label  argmax  hit  conf  bin  teacher t         teacher argmax
     *  1   [.7, .2, .1]         0      0     yes   .7    3   [.6, .3, .1]       0 (agree)
     *  2   [.2, .5, .3]         2      1     no    .5    2   [.1, .2, .7]       2 (disagree)
     *  3   [.05, .05, .9]       2      2     yes   .9    4   none
     *  4   [.45, .35, .2]       1      0     no    .45   2   none
     * accuracy = 2/4; per class: class 0 1/1, class 1 0/1, class 2 1/2
     * NLL = -(ln .7 + ln .3 + ln .9 + ln .35) / 4
     * ECE = (|1 - .7| + |0 - (.5 + .45)| + |1 - .9|) / 4 = (.3 + .95 + .1) / 4 = .3375
     * agreement = 1/2
     * KL1 = .6 ln(.6/.7) + .3 ln(.3/.2) + .1 ln(.1/.1);  KL2 = .1 ln(.1/.2) + .2 ln(.2/.5) + .7 ln(.7/.3)
     * mean KL = (KL1 + KL2) / 2
     * </pre>
     */
    @Test
    void handComputedSmallCase() {
        ClassificationMetrics m = handCase();
        assertEquals(4, m.count());
        assertEquals(2, m.teacherCount());
        assertEquals(0.5, m.accuracy(), 0);
        assertArrayEquals(new double[] {1.0, 0.0, 0.5}, m.perClassAccuracy(), 0);
        assertEquals(-(Math.log(.7) + Math.log(.3) + Math.log(.9) + Math.log(.35)) / 4, m.negativeLogLikelihood(),
                1e-15);
        assertEquals(0.3375, m.expectedCalibrationError(), 1e-15);
        assertEquals(0.5, m.agreementWithTeacher(), 0);
        double kl1 = .6 * Math.log(.6 / .7) + .3 * Math.log(.3 / .2);
        double kl2 = .1 * Math.log(.1 / .2) + .2 * Math.log(.2 / .5) + .7 * Math.log(.7 / .3);
        assertEquals((kl1 + kl2) / 2, m.meanKlTeacherStudent(), 1e-15);
    }

    private static ClassificationMetrics handCase() {
        return new ClassificationMetrics(3, 5)
                .add(new double[] {.7, .2, .1}, 0, new double[] {.6, .3, .1})
                .add(new double[] {.2, .5, .3}, 2, new double[] {.1, .2, .7})
                .add(new double[] {.05, .05, .9}, 2, null)
                .add(new double[] {.45, .35, .2}, 1, null);
    }

    @Test
    void undefinedResultsAreNaN() {
        ClassificationMetrics empty = new ClassificationMetrics(2, 10);
        assertEquals(0, empty.count());
        assertTrue(Double.isNaN(empty.accuracy()));
        assertTrue(Double.isNaN(empty.negativeLogLikelihood()));
        assertTrue(Double.isNaN(empty.expectedCalibrationError()));
        assertTrue(Double.isNaN(empty.agreementWithTeacher()));
        assertTrue(Double.isNaN(empty.meanKlTeacherStudent()));

        ClassificationMetrics m = new ClassificationMetrics(3, 10).add(new double[] {.1, .8, .1}, 1, null);
        double[] perClass = m.perClassAccuracy();
        assertTrue(Double.isNaN(perClass[0]));
        assertEquals(1.0, perClass[1], 0);
        assertTrue(Double.isNaN(perClass[2]));
        assertTrue(Double.isNaN(m.agreementWithTeacher()));
        assertTrue(Double.isNaN(m.meanKlTeacherStudent()));
    }

    @Test
    void zeroProbabilitiesAreClamped() {
        ClassificationMetrics m = new ClassificationMetrics(2, 10).add(new double[] {1, 0}, 1, new double[] {0, 1});
        assertEquals(-Math.log(1e-12), m.negativeLogLikelihood(), 1e-9);
        assertEquals(-Math.log(1e-12), m.meanKlTeacherStudent(), 1e-9); // 1 * ln(1 / 1e-12); 0 ln 0 = 0
        assertEquals(0.0, m.agreementWithTeacher(), 0);
        assertEquals(1.0, m.expectedCalibrationError(), 0); // confidence 1, accuracy 0
    }

    @Test
    void perfectlyCalibratedToyCaseHasZeroEce() {
        // 10 rows at confidence .7 with 7 right, 10 at .9 with 9 right: acc(B) = conf(B) in both bins.
        ClassificationMetrics m = new ClassificationMetrics(2, 10);
        for (int i = 0; i < 10; i++) {
            m.add(new double[] {.7, .3}, i < 7 ? 0 : 1, null);
            m.add(new double[] {.1, .9}, i < 9 ? 1 : 0, null);
        }
        assertEquals(0.8, m.accuracy(), 1e-15);
        assertEquals(0.0, m.expectedCalibrationError(), 1e-12);
    }

    @Test
    void sampledCalibratedModelHasSmallEce() {
        // Confidence c ~ U(0.5, 1) and the top class is right with probability c: calibrated by construction, so
        // the ECE is only sampling noise.
        Random rnd = new Random(11);
        ClassificationMetrics m = new ClassificationMetrics(2, 15);
        for (int i = 0; i < 200_000; i++) {
            double c = 0.5 + 0.5 * rnd.nextDouble();
            m.add(new double[] {c, 1 - c}, rnd.nextDouble() < c ? 0 : 1, null);
        }
        assertTrue(m.expectedCalibrationError() < 0.01, "ECE " + m.expectedCalibrationError());

        // The same rows with an overconfident model (reports c but is right with c - 0.2) have ECE ~0.2.
        ClassificationMetrics over = new ClassificationMetrics(2, 15);
        for (int i = 0; i < 200_000; i++) {
            double c = 0.5 + 0.5 * rnd.nextDouble();
            over.add(new double[] {c, 1 - c}, rnd.nextDouble() < c - 0.2 ? 0 : 1, null);
        }
        assertEquals(0.2, over.expectedCalibrationError(), 0.01);
    }

    @Test
    void mergeEqualsSinglePass() {
        Random rnd = new Random(5);
        int c = 4;
        ClassificationMetrics single = new ClassificationMetrics(c, 10);
        ClassificationMetrics[] parts = {new ClassificationMetrics(c, 10), new ClassificationMetrics(c, 10),
                new ClassificationMetrics(c, 10)};
        for (int i = 0; i < 1000; i++) {
            double[] p = randomDistribution(rnd, c);
            double[] t = rnd.nextBoolean() ? randomDistribution(rnd, c) : null;
            int label = rnd.nextInt(c);
            single.add(p, label, t);
            parts[rnd.nextInt(3)].add(p, label, t);
        }
        // Tree-shaped merge, as treeAggregate would do it.
        ClassificationMetrics merged = parts[0].merge(parts[1].merge(parts[2]));
        assertSame(parts[0], merged);
        assertEquals(single.count(), merged.count());
        assertEquals(single.teacherCount(), merged.teacherCount());
        assertEquals(single.accuracy(), merged.accuracy(), 0);
        assertArrayEquals(single.perClassAccuracy(), merged.perClassAccuracy(), 0);
        assertEquals(single.agreementWithTeacher(), merged.agreementWithTeacher(), 0);
        assertEquals(single.negativeLogLikelihood(), merged.negativeLogLikelihood(), 1e-12);
        assertEquals(single.meanKlTeacherStudent(), merged.meanKlTeacherStudent(), 1e-12);
        assertEquals(single.expectedCalibrationError(), merged.expectedCalibrationError(), 1e-12);

        assertThrows(IllegalArgumentException.class,
                () -> merged.merge(new ClassificationMetrics(c, 5)));
        assertThrows(IllegalArgumentException.class,
                () -> merged.merge(new ClassificationMetrics(c + 1, 10)));
    }

    @Test
    void javaSerializationRoundTrip() throws Exception {
        // Spark ships the zero value and partial results with Java serialization.
        ClassificationMetrics m = handCase();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(m);
        }
        ClassificationMetrics back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ClassificationMetrics) in.readObject();
        }
        assertEquals(m.toMap(), back.toMap());
    }

    @Test
    void toMapIsJsonFriendly() throws Exception {
        ClassificationMetrics m = new ClassificationMetrics(3, 5).add(new double[] {.7, .2, .1}, 0, null);
        Map<String, Object> map = m.toMap();
        assertEquals(Arrays.asList("count", "accuracy", "perClassAccuracy", "negativeLogLikelihood",
                "expectedCalibrationError", "eceBins", "teacherCount", "agreementWithTeacher",
                "meanKlTeacherStudent", "reliability", "confusionMatrix"), Arrays.asList(map.keySet().toArray()));
        assertEquals(1L, map.get("count"));
        assertEquals(Arrays.asList(1.0, null, null), map.get("perClassAccuracy"));
        assertNull(map.get("agreementWithTeacher"));
        String json = new ObjectMapper().writeValueAsString(map);
        assertTrue(json.contains("\"meanKlTeacherStudent\":null"), json);
        assertTrue(!json.contains("NaN"), json);
        // One correct row at confidence .7: ECE = |1 - .7| = .3, and it survives the JSON round trip.
        assertEquals(0.3, (Double) new ObjectMapper().readValue(json, Map.class).get("expectedCalibrationError"),
                1e-15);
    }

    @Test
    void confusionMatrixAndReliabilityBinsCountEveryRowAndMerge() {
        ClassificationMetrics a = new ClassificationMetrics(3, 5)
                .add(new double[] {.7, .2, .1}, 0, null)     // correct, bin (.6, .8]
                .add(new double[] {.1, .85, .05}, 0, null);  // 0 predicted as 1, bin (.8, 1]
        ClassificationMetrics b = new ClassificationMetrics(3, 5)
                .add(new double[] {.2, .3, .5}, 2, null)     // correct, bin (.4, .6]
                .add(new double[] {.1, .1, .8}, 2, null);    // correct, bin (.6, .8]
        a.merge(b);
        assertArrayEquals(new long[][] {{1, 1, 0}, {0, 0, 0}, {0, 0, 2}}, a.confusionMatrix());
        List<LinkedHashMap<String, Object>> bins = a.reliability();
        assertEquals(5, bins.size());
        assertEquals(List.of(0L, 0L, 1L, 2L, 1L), bins.stream().map(x -> x.get("count")).toList());
        assertEquals(0.75, (Double) bins.get(3).get("confidence"), 1e-12);
        assertEquals(1.0, (Double) bins.get(3).get("accuracy"), 1e-12);
        assertEquals(0.0, (Double) bins.get(4).get("accuracy"), 1e-12);
        assertNull(bins.get(0).get("accuracy"));
        assertEquals(0.6, (Double) bins.get(3).get("lower"), 1e-12);
        // The ECE is the count-weighted gap of these bins.
        double ece = 0;
        for (LinkedHashMap<String, Object> bin : bins) {
            long n = (Long) bin.get("count");
            if (n > 0) {
                ece += n * Math.abs((Double) bin.get("accuracy") - (Double) bin.get("confidence")) / 4;
            }
        }
        assertEquals(a.expectedCalibrationError(), ece, 1e-12);
    }

    @Test
    void rejectsBadInput() {
        ClassificationMetrics m = new ClassificationMetrics(3, 5);
        assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {.5, .5}, 0, null));
        assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {.5, .3, .2}, 3, null));
        assertThrows(IllegalArgumentException.class, () -> m.add(new double[] {.5, .3, .2}, 0, new double[2]));
        assertThrows(IllegalArgumentException.class, () -> new ClassificationMetrics(0, 5));
        assertThrows(IllegalArgumentException.class, () -> new ClassificationMetrics(3, 0));
        assertEquals(0, m.count());
    }

    private static double[] randomDistribution(Random rnd, int c) {
        double[] p = new double[c];
        double sum = 0;
        for (int i = 0; i < c; i++) {
            p[i] = rnd.nextDouble() + (i == 0 ? 0 : 1e-3);
            sum += p[i];
        }
        for (int i = 0; i < c; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
