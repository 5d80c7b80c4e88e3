package io.distillery.loss;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;

import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The co-distillation objective: its gradient against central differences (with and without a teacher range, both
 * peer terms, rows with peer weight 0, 1 and 0.5, unlabelled rows), its value against the terms it is made of, and
 * its JSON round trip inside a DL4J configuration.
 */
class CoDistillationLossTest {
    private static final double EPS = 1e-5;

    private static CoDistillationLoss loss(boolean teacher, String peerTerm) {
        List<TermSpec> own = teacher
                ? List.of(new TermSpec("ce", 1.0, Map.of()), new TermSpec("kd", 0.5, Map.of("temperature", 4)))
                : List.of(new TermSpec("ce", 1.0, Map.of()));
        List<TermSpec> peer = List.of(peerTerm.equals("kd")
                ? new TermSpec("kd", 1.0, Map.of("temperature", 2)) : new TermSpec("logit-mse", 1.0, Map.of()));
        return new CoDistillationLoss(own, peer, 3, teacher);
    }

    /** [y | teacher? | peers | w] for n = 4 rows of 3 classes: row 1 unlabelled, weights 1, 0, 0.5, 1. */
    private static INDArray labels(Random rnd, boolean teacher) {
        int n = 4;
        int c = 3;
        double[][] y = LossTestData.oneHot(rnd, n, c, 0);
        y[1] = new double[c];
        double[][] t = LossTestData.logits(rnd, n, c, 3.0);
        double[][] p = LossTestData.logits(rnd, n, c, 2.0);
        double[] w = {1.0, 0.0, 0.5, 1.0};
        int width = CoDistillationLoss.labelWidth(c, teacher);
        double[][] rows = new double[n][width];
        for (int i = 0; i < n; i++) {
            int at = 0;
            System.arraycopy(y[i], 0, rows[i], at, c);
            at += c;
            if (teacher) {
                System.arraycopy(t[i], 0, rows[i], at, c);
                at += c;
            }
            System.arraycopy(p[i], 0, rows[i], at, c);
            rows[i][width - 1] = w[i];
        }
        return Nd4j.create(rows);
    }

    @ParameterizedTest(name = "teacher={0} peer={1}")
    @CsvSource({"false, kd", "true, kd", "false, logit-mse", "true, logit-mse"})
    void gradientMatchesCentralDifferences(boolean teacher, String peerTerm) {
        CoDistillationLoss loss = loss(teacher, peerTerm);
        Random rnd = new Random(teacher ? 11 : 12);
        INDArray labels = labels(rnd, teacher);
        double[][] z = LossTestData.logits(rnd, 4, 3, 2.0);
        ActivationSoftmax softmax = new ActivationSoftmax();
        INDArray analytic = loss.computeGradient(labels, Nd4j.create(z), softmax, null);
        double worst = 0;
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < z[i].length; j++) {
                double[][] plus = LossTestData.copy(z);
                double[][] minus = LossTestData.copy(z);
                plus[i][j] += EPS;
                minus[i][j] -= EPS;
                double numeric = (loss.computeScore(labels, Nd4j.create(plus), softmax, null, false)
                        - loss.computeScore(labels, Nd4j.create(minus), softmax, null, false)) / (2 * EPS);
                worst = Math.max(worst, LossTestData.checkGradientEntry(loss.formula(), i, j,
                        analytic.getDouble(i, j), numeric, 1e-9, 1e-6));
            }
        }
        assertTrue(worst < 1e-6);
    }

    @Test
    void valueIsOwnTermsPlusWeightedPeerTerm() {
        Random rnd = new Random(3);
        INDArray labels = labels(rnd, true);
        INDArray z = Nd4j.create(LossTestData.logits(rnd, 4, 3, 2.0));
        INDArray y = labels.getColumns(0, 1, 2);
        INDArray t = labels.getColumns(3, 4, 5);
        INDArray p = labels.getColumns(6, 7, 8);
        INDArray scores = loss(true, "kd").computeScoreArray(labels, z, new ActivationSoftmax(), null);
        INDArray ce = new CeTerm().scoreArray(Nd4j.hstack(y, t), z);
        INDArray kdTeacher = new KdTerm(4).scoreArray(Nd4j.hstack(y, t), z);
        INDArray kdPeer = new KdTerm(2).scoreArray(Nd4j.hstack(y, p), z);
        double[] w = {1.0, 0.0, 0.5, 1.0};
        for (int i = 0; i < 4; i++) {
            double expected = ce.getDouble(i, 0) + 0.5 * kdTeacher.getDouble(i, 0) + w[i] * kdPeer.getDouble(i, 0);
            assertEquals(expected, scores.getDouble(i, 0), 1e-12, "row " + i);
        }
        assertEquals(0.0, ce.getDouble(1, 0), 0.0, "the unlabelled row has no hard-label term");
    }

    @Test
    void survivesADl4jConfigurationRoundTrip() {
        CoDistillationLoss loss = loss(true, "logit-mse");
        var conf = new NeuralNetConfiguration.Builder().list()
                .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(loss).nIn(4).nOut(3)
                        .activation(org.nd4j.linalg.activations.Activation.SOFTMAX).build())
                .build();
        var back = org.deeplearning4j.nn.conf.MultiLayerConfiguration.fromJson(conf.toJson());
        var restored = ((org.deeplearning4j.nn.conf.layers.BaseOutputLayer) back.getConf(0).getLayer()).getLossFn();
        assertEquals(loss, restored);
    }
}
