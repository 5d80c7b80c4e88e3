package io.distillery.loss;

import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;

import java.io.File;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link DistillationLoss} inside a real DL4J network: configuration JSON, model zips, and fit(). */
class DistillationLossNetworkTest {

    private static MultiLayerNetwork tinyNet() {
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(42)
                .dataType(DataType.FLOAT)
                .updater(new Adam(0.05))
                .list()
                .layer(new OutputLayer.Builder()
                        .nIn(4).nOut(3)
                        .activation(Activation.SOFTMAX)
                        .lossFunction(new DistillationLoss(4, 0.9, 3))
                        .build())
                .build();
        MultiLayerNetwork net = new MultiLayerNetwork(conf);
        net.init();
        return net;
    }

    private static DistillationLoss lossOf(MultiLayerConfiguration conf) {
        return (DistillationLoss) ((OutputLayer) conf.getConf(0).getLayer()).getLossFn();
    }

    @Test
    void configurationJsonRoundTripKeepsTheLoss() {
        MultiLayerConfiguration conf = tinyNet().getLayerWiseConfigurations();
        String json = conf.toJson();
        assertTrue(json.contains("io.distillery.loss.DistillationLoss"), json);
        assertTrue(json.contains("\"temperature\""), json);
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
        assertEquals(new DistillationLoss(4, 0.9, 3), lossOf(back));
        assertEquals(conf, back);
    }

    @Test
    void modelSerializerRoundTripGivesIdenticalOutput(@TempDir Path dir) throws Exception {
        MultiLayerNetwork net = tinyNet();
        DataSet data = distillationData(16, 1);
        net.fit(data); // so the updater state is non-trivial
        File file = dir.resolve("student.zip").toFile();
        ModelSerializer.writeModel(net, file, true);
        MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);

        assertEquals(new DistillationLoss(4, 0.9, 3), lossOf(restored.getLayerWiseConfigurations()));
        assertEquals(net.params(), restored.params());
        assertEquals(net.output(data.getFeatures()), restored.output(data.getFeatures()));
        assertEquals(net.score(data), restored.score(data), 0.0);
    }

    /** DL4J accepts [one-hot | teacher logits] labels (2C wide) for a C-wide output, and the loss decreases. */
    @Test
    void fitOnTwoCWideLabelsDecreasesTheScore() {
        MultiLayerNetwork net = tinyNet();
        DataSet data = distillationData(64, 7);
        assertEquals(6, data.getLabels().size(1));
        double before = net.score(data);
        for (int i = 0; i < 100; i++) {
            net.fit(data);
        }
        double after = net.score(data);
        assertTrue(Double.isFinite(after));
        assertTrue(after < 0.5 * before, "score before " + before + ", after " + after);
        INDArray out = net.output(data.getFeatures());
        assertEquals(3, out.size(1));
    }

    /**
     * Features x ~ N(0, 1) in 4 dimensions; a fixed linear "teacher" gives logits t = 2 x W; the hard label is
     * argmax t, except every fourth row, which is unlabelled (teacher only).
     */
    private static DataSet distillationData(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        INDArray x = Nd4j.randn(DataType.FLOAT, n, 4);
        INDArray w = Nd4j.create(new float[][] {{1, -1, 0}, {0, 1, -1}, {-1, 0, 1}, {0.5f, 0.5f, -1}});
        INDArray teacher = x.mmul(w).muli(2);
        INDArray hard = Nd4j.zeros(DataType.FLOAT, n, 3);
        INDArray argmax = teacher.argMax(1);
        for (int i = 0; i < n; i++) {
            if (i % 4 != 3) {
                hard.putScalar(i, argmax.getInt(i), 1f);
            }
        }
        return new DataSet(x, DistillationLoss.packLabels(hard, teacher));
    }
}
