package io.distillery.loss;

import io.distillery.config.DistilleryException;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CompositeLoss}: equivalence with {@link DistillationLoss}, masks, formula, and serialization. */
class CompositeLossTest {

    private static final ActivationSoftmax SOFTMAX = new ActivationSoftmax();

    private static CompositeLoss everyTerm() {
        return CompositeLoss.builder()
                .add(0.5, new KdTerm(4))
                .add(0.25, new CeTerm())
                .add(1, "dkd", Map.of("temperature", 2))
                .add(0.125, new LogitMseTerm())
                .build();
    }

    @ParameterizedTest(name = "masked={0}")
    @ValueSource(booleans = {false, true})
    void hintonCompositeEqualsDistillationLoss(boolean masked) {
        int n = 9;
        int c = 5;
        Random rnd = new Random(masked ? 11 : 12);
        INDArray labels = LossTestData.labels(LossTestData.oneHot(rnd, n, c, 0), LossTestData.logits(rnd, n, c, 3));
        INDArray z = Nd4j.create(LossTestData.logits(rnd, n, c, 2));
        INDArray mask = masked ? Nd4j.create(new double[] {1, 0, 1, 1, 0, 1, 1, 1, 0}, new long[] {n, 1},
                DataType.DOUBLE) : null;
        CompositeLoss composite = CompositeLoss.builder().add(0.9, new KdTerm(4)).add(0.1, new CeTerm()).build();
        // hinton() weights ce by 1 - 0.9 = 0.09999999999999998, so it is not equal, but it reads the same.
        assertEquals(composite.formula(), CompositeLoss.hinton(4, 0.9).formula());
        DistillationLoss reference = new DistillationLoss(4, 0.9, c);

        INDArray expectedScores = reference.computeScoreArray(labels, z, SOFTMAX, mask);
        INDArray expectedGrad = reference.computeGradient(labels, z, SOFTMAX, mask);
        assertTrue(expectedScores.equalsWithEps(composite.computeScoreArray(labels, z, SOFTMAX, mask), 1e-12));
        assertTrue(expectedGrad.equalsWithEps(composite.computeGradient(labels, z, SOFTMAX, mask), 1e-12));
        for (boolean average : new boolean[] {false, true}) {
            assertEquals(reference.computeScore(labels, z, SOFTMAX, mask, average),
                    composite.computeScore(labels, z, SOFTMAX, mask, average), 1e-12);
            Pair<Double, INDArray> both = composite.computeGradientAndScore(labels, z, SOFTMAX, mask, average);
            assertEquals(reference.computeScore(labels, z, SOFTMAX, mask, average), both.getFirst(), 1e-12);
            assertTrue(expectedGrad.equalsWithEps(both.getSecond(), 1e-12));
        }
        // In float too, to the precision of float.
        INDArray zf = z.castTo(DataType.FLOAT);
        INDArray lf = labels.castTo(DataType.FLOAT);
        assertTrue(reference.computeGradient(lf, zf, SOFTMAX, mask)
                .equalsWithEps(composite.computeGradient(lf, zf, SOFTMAX, mask), 1e-5));
    }

    @Test
    void maskedRowsHaveZeroScoreAndGradient() {
        Random rnd = new Random(3);
        INDArray labels = LossTestData.labels(LossTestData.oneHot(rnd, 4, 3, 0), LossTestData.logits(rnd, 4, 3, 3));
        INDArray z = Nd4j.create(LossTestData.logits(rnd, 4, 3, 2));
        INDArray mask = Nd4j.create(new double[] {1, 0, 1, 0}); // rank 1 is accepted as well
        CompositeLoss loss = everyTerm();
        INDArray scores = loss.computeScoreArray(labels, z, SOFTMAX, mask);
        INDArray grad = loss.computeGradient(labels, z, SOFTMAX, mask);
        INDArray unmasked = loss.computeScoreArray(labels, z, SOFTMAX, null);
        for (int i = 0; i < 4; i++) {
            double expected = i % 2 == 0 ? unmasked.getDouble(i, 0) : 0.0;
            assertEquals(expected, scores.getDouble(i, 0), 0.0);
            if (i % 2 == 1) {
                assertEquals(0.0, grad.getRow(i).norm2Number().doubleValue(), 0.0);
            }
        }
        assertThrows(UnsupportedOperationException.class,
                () -> loss.computeScoreArray(labels, z, SOFTMAX, Nd4j.ones(DataType.DOUBLE, 4, 3)));
    }

    @Test
    void sumOfTermsWithWeights() {
        Random rnd = new Random(5);
        INDArray labels = LossTestData.labels(LossTestData.oneHot(rnd, 6, 4, 0), LossTestData.logits(rnd, 6, 4, 3));
        INDArray z = Nd4j.create(LossTestData.logits(rnd, 6, 4, 2));
        INDArray expected = new KdTerm(4).scoreArray(labels, z).muli(0.5)
                .addi(new CeTerm().scoreArray(labels, z).muli(0.25))
                .addi(new DkdTerm(2, 1, 8).scoreArray(labels, z))
                .addi(new LogitMseTerm().scoreArray(labels, z).muli(0.125));
        assertTrue(expected.equalsWithEps(everyTerm().computeScoreArray(labels, z, SOFTMAX, null), 1e-12));
    }

    @Test
    void formulaIsReadable() {
        assertEquals("0.9 * kd(T=4) + 0.1 * ce", CompositeLoss.hinton(4, 0.9).formula());
        assertEquals("0.5 * kd(T=4) + 0.25 * ce + 1 * dkd(T=2, alpha=1, beta=8) + 0.125 * logit-mse",
                everyTerm().formula());
        assertEquals("CompositeLoss(0.9 * kd(T=4) + 0.1 * ce)", CompositeLoss.hinton(4, 0.9).toString());
    }

    @Test
    void specsAreCanonicalSoEqualityIgnoresHowParametersWereWritten() {
        CompositeLoss a = CompositeLoss.builder().add(1, "dkd", Map.of("temperature", 2)).build();
        CompositeLoss b = CompositeLoss.builder().add(1, new DkdTerm(2.0, 1.0, 8.0)).build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(Map.of("alpha", 1.0, "beta", 8.0, "temperature", 2.0), a.getTerms().get(0).getParams());
        assertEquals(List.of(new DkdTerm(2, 1, 8)), a.lossTerms());
    }

    @Test
    void rejectsNonSoftmaxActivationAndCWideLabels() {
        INDArray z = Nd4j.create(new double[][] {{1, 2, 3}});
        INDArray twoC = Nd4j.create(new double[][] {{1, 0, 0, 3, 2, 1}});
        CompositeLoss loss = CompositeLoss.hinton(2, 0.5);
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeScoreArray(twoC, z, new ActivationIdentity(), null));
        assertThrows(IllegalArgumentException.class,
                () -> loss.computeGradient(Nd4j.create(new double[][] {{1, 0, 0}}), z, SOFTMAX, null));
    }

    @Test
    void rejectsBadWeightsAndEmptySums() {
        DistilleryException negative = assertThrows(DistilleryException.class,
                () -> CompositeLoss.builder().add(-1, new CeTerm()).build());
        assertEquals("Loss term 'ce' has weight -1.0; weights must be finite and >= 0.", negative.getMessage());
        assertThrows(DistilleryException.class, () -> CompositeLoss.builder().add(Double.NaN, new CeTerm()).build());
        assertThrows(DistilleryException.class, () -> CompositeLoss.builder().build());
    }

    private static MultiLayerConfiguration networkWith(CompositeLoss loss) {
        return new NeuralNetConfiguration.Builder()
                .seed(42)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.05))
                .list()
                .layer(new OutputLayer.Builder().nIn(4).nOut(3).activation(Activation.SOFTMAX).lossFunction(loss)
                        .build())
                .build();
    }

    @Test
    void networkConfigurationJsonRoundTripKeepsTheLoss() {
        MultiLayerConfiguration conf = networkWith(everyTerm());
        String json = conf.toJson();
        assertTrue(json.contains("io.distillery.loss.CompositeLoss"), json);
        assertTrue(json.contains("\"dkd\""), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        CompositeLoss restored = (CompositeLoss) ((OutputLayer) back.getConf(0).getLayer()).getLossFn();
        assertEquals(everyTerm(), restored);
        assertEquals(everyTerm().formula(), restored.formula());
        assertEquals(conf, back);
        assertEquals(json, back.toJson());
    }

    @Test
    void javaSerializationRebuildsTheTerms() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(everyTerm());
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            CompositeLoss back = (CompositeLoss) in.readObject();
            assertEquals(everyTerm(), back);
            assertEquals(everyTerm().lossTerms(), back.lossTerms());
        }
    }

    /** The composite trains a real network on 2C-wide labels with unlabelled rows. */
    @Test
    void fitDecreasesTheScore() {
        MultiLayerNetwork net = new MultiLayerNetwork(networkWith(CompositeLoss.builder()
                .add(0.8, new DkdTerm(4, 1, 8)).add(0.2, new CeTerm()).add(0.1, new LogitMseTerm()).build()));
        net.init();
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(DataType.FLOAT, 64, 4);
        INDArray w = Nd4j.create(new float[][] {{1, -1, 0}, {0, 1, -1}, {-1, 0, 1}, {0.5f, 0.5f, -1}});
        INDArray teacher = x.mmul(w).muli(2);
        INDArray hard = Nd4j.zeros(DataType.FLOAT, 64, 3);
        INDArray argmax = teacher.argMax(1);
        for (int i = 0; i < 64; i += 2) { // every other row unlabelled
            hard.putScalar(i, argmax.getInt(i), 1f);
        }
        DataSet data = new DataSet(x, DistillationLoss.packLabels(hard, teacher));
        double before = net.score(data);
        for (int i = 0; i < 100; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(Double.isFinite(after) && after < 0.5 * before, "score before " + before + ", after " + after);
    }
}
