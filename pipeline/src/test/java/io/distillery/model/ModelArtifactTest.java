package io.distillery.model;

import io.distillery.config.DistilleryException;
import io.distillery.config.LayerSpec;
import io.distillery.config.ModelSpec;
import io.distillery.loss.CompositeLoss;
import io.distillery.loss.DistillationLoss;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.Versions;
import io.distillery.store.ArtifactFiles;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ModelArtifact} saves and loads every model kind (teacher MLP, conv net, students with the distillation
 * losses) exactly, with updater state; a truncated zip is a user error; {@link LogitsAndTaps} gives true logits.
 */
class ModelArtifactTest {
    private static final int CLASSES = 10;
    private static final int WIDTH = 784;
    private static final ArtifactFiles FILES = ArtifactFiles.local();

    private static Provenance provenance() {
        return new Provenance("test", "2024-01-01T00:00:00Z", Versions.current(), 42, "{}", List.of(),
                Map.of("role", "test"));
    }

    private static LayerSpec dense(String name, int units, double dropout) {
        return new LayerSpec("dense", name, units, 2, 1, "relu", dropout);
    }

    private static ModelSpec spec(LayerSpec... layers) {
        return new ModelSpec(List.of(layers), "adam", 0.01, 1e-4, 0, 0);
    }

    private static INDArray features(int n, long seed) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.FLOAT, n, WIDTH);
    }

    private static INDArray oneHot(int n) {
        INDArray y = Nd4j.zeros(DataType.FLOAT, n, CLASSES);
        for (int i = 0; i < n; i++) {
            y.putScalar(i, (i * 7) % CLASSES, 1f);
        }
        return y;
    }

    /** Builds, trains a few steps (so the updater has state) and round-trips the network through an artifact. */
    private static void assertRoundTrip(Path dir, ModelSpec spec, List<Integer> inputShape, ILossFunction loss,
                                        INDArray labels) {
        MultiLayerNetwork net = ModelFactory.build(spec, WIDTH, inputShape, CLASSES, loss, 42);
        INDArray x = features(labels.rows(), 1);
        for (int i = 0; i < 3; i++) {
            net.fit(x, labels);
        }
        String out = dir.resolve("model").toString();
        ModelArtifact.save(FILES, net, out, provenance(), false);
        assertTrue(FILES.isCommitted(out));
        assertEquals(provenance(), FILES.readProvenance(out));

        MultiLayerNetwork loaded = ModelArtifact.load(FILES, out);
        assertEquals(net.getLayerWiseConfigurations(), loaded.getLayerWiseConfigurations());
        assertEquals(net.params(), loaded.params());
        assertNotNull(net.getUpdater().getStateViewArray());
        assertEquals(net.getUpdater().getStateViewArray(), loaded.getUpdater().getStateViewArray());
        INDArray sample = features(5, 2);
        assertEquals(net.output(sample, false), loaded.output(sample, false));
        // The loss survives the round trip (a student keeps its distillation loss for resumed training).
        ILossFunction restored = ((org.deeplearning4j.nn.conf.layers.BaseOutputLayer)
                loaded.getOutputLayer().conf().getLayer()).getLossFn();
        assertEquals(loss, restored);
        // And training continues identically from the restored state (same RNG state for dropout masks).
        Nd4j.getRandom().setSeed(99);
        net.fit(x, labels);
        Nd4j.getRandom().setSeed(99);
        loaded.fit(x, labels);
        assertTrue(net.params().equalsWithEps(loaded.params(), 1e-6));
    }

    @Test
    void denseMlpWithDropout(@TempDir Path dir) {
        assertRoundTrip(dir, spec(dense("h1", 32, 0.2), dense("h2", 16, 0.5)), List.of(), new LossMCXENT(),
                oneHot(16));
    }

    @Test
    void convolutionalModel(@TempDir Path dir) {
        ModelSpec conv = spec(new LayerSpec("conv", "c1", 4, 5, 1, "relu", 0),
                new LayerSpec("pool", "p1", 0, 2, 2, "relu", 0), dense("d1", 16, 0));
        assertRoundTrip(dir, conv, List.of(1, 28, 28), new LossMCXENT(), oneHot(8));
    }

    @Test
    void studentWithDistillationLoss(@TempDir Path dir) {
        INDArray labels = DistillationLoss.packLabels(oneHot(16), Nd4j.randn(DataType.FLOAT, 16, CLASSES));
        assertRoundTrip(dir, spec(dense("hidden1", 32, 0)), List.of(), new DistillationLoss(4, 0.9, CLASSES), labels);
    }

    @Test
    void studentWithCompositeLoss(@TempDir Path dir) {
        INDArray labels = DistillationLoss.packLabels(oneHot(16), Nd4j.randn(DataType.FLOAT, 16, CLASSES));
        assertRoundTrip(dir, spec(dense("hidden1", 32, 0)), List.of(), CompositeLoss.hinton(2, 0.5), labels);
    }

    @Test
    void truncatedZipIsAUserErrorNamingTheFile(@TempDir Path dir) throws IOException {
        MultiLayerNetwork net = ModelFactory.build(spec(dense("h1", 16, 0)), WIDTH, List.of(), CLASSES,
                new LossMCXENT(), 42);
        String out = dir.resolve("teacher").toString();
        ModelArtifact.save(FILES, net, out, provenance(), false);
        Path zip = dir.resolve("teacher").resolve(ModelArtifact.MODEL_FILE);
        try (RandomAccessFile f = new RandomAccessFile(zip.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        DistilleryException e = assertThrows(DistilleryException.class, () -> ModelArtifact.load(FILES, out));
        assertTrue(e.getMessage().contains(zip.toString()), e.getMessage());
        // Without Hadoop's .crc sidecar (a zip copied in by other tools) DL4J itself meets the truncation.
        Files.deleteIfExists(dir.resolve("teacher").resolve(".model.zip.crc"));
        DistilleryException noCrc = assertThrows(DistilleryException.class, () -> ModelArtifact.load(FILES, out));
        assertTrue(noCrc.getMessage().contains(zip.toString()), noCrc.getMessage());

        Files.delete(zip);
        DistilleryException missing = assertThrows(DistilleryException.class, () -> ModelArtifact.load(FILES, out));
        assertTrue(missing.getMessage().contains(out), missing.getMessage());
    }

    @Test
    void existingArtifactIsRefusedWithoutOverwrite(@TempDir Path dir) {
        MultiLayerNetwork net = ModelFactory.build(spec(dense("h1", 8, 0)), WIDTH, List.of(), CLASSES,
                new LossMCXENT(), 42);
        String out = dir.resolve("m").toString();
        ModelArtifact.save(FILES, net, out, provenance(), false);
        String hash = ModelArtifact.hash(FILES, out);
        assertThrows(DistilleryException.class, () -> ModelArtifact.save(FILES, net, out, provenance(), false));
        assertEquals(hash, ModelArtifact.hash(FILES, out));
        MultiLayerNetwork other = ModelFactory.build(spec(dense("h1", 8, 0)), WIDTH, List.of(), CLASSES,
                new LossMCXENT(), 7);
        ModelArtifact.save(FILES, other, out, provenance(), true);
        assertFalse(hash.equals(ModelArtifact.hash(FILES, out)));
    }

    @Test
    void logitsAreLogOutputUpToARowConstant() {
        MultiLayerNetwork net = ModelFactory.build(spec(dense("h1", 24, 0.5), dense("h2", 12, 0)), WIDTH, List.of(),
                CLASSES, new LossMCXENT(), 42);
        INDArray x = features(64, 3);
        for (int i = 0; i < 5; i++) {
            net.fit(x, oneHot(64));
        }
        LogitsAndTaps.Result r = new LogitsAndTaps(net, List.of("h2", "h1")).forward(x);
        INDArray probs = net.output(x, false);
        assertArrayEquals(new long[] {64, CLASSES}, r.logits().shape());
        assertTrue(probs.equalsWithEps(Transforms.softmax(r.logits(), true), 1e-5));
        // log(p) - z is the same constant across each row (-logsumexp(z)).
        INDArray diff = Transforms.log(probs, true).sub(r.logits());
        INDArray spread = diff.max(1).sub(diff.min(1));
        assertTrue(spread.maxNumber().doubleValue() < 1e-3, spread.toString());
        // Taps come back in the requested order with the layers' widths, dropout off (deterministic).
        assertEquals(2, r.taps().length);
        assertArrayEquals(new long[] {64, 12}, r.taps()[0].shape());
        assertArrayEquals(new long[] {64, 24}, r.taps()[1].shape());
        assertEquals(r.taps()[0], new LogitsAndTaps(net, List.of("h2")).forward(x).taps()[0]);
        // The original network is untouched: its output is still softmax.
        assertEquals(probs, net.output(x, false));
    }

    @Test
    void convTapsAreFlattened() {
        ModelSpec conv = spec(new LayerSpec("conv", "c1", 3, 5, 1, "relu", 0),
                new LayerSpec("pool", "p1", 0, 2, 2, "relu", 0), dense("d1", 16, 0));
        MultiLayerNetwork net = ModelFactory.build(conv, WIDTH, List.of(1, 28, 28), CLASSES, new LossMCXENT(), 42);
        LogitsAndTaps.Result r = new LogitsAndTaps(net, List.of("p1")).forward(features(4, 5));
        assertArrayEquals(new long[] {4, 3 * 12 * 12}, r.taps()[0].shape());
        assertTrue(net.output(features(4, 5), false).equalsWithEps(Transforms.softmax(r.logits(), true), 1e-5));
    }

    @Test
    void unknownTapListsTheLayers() {
        MultiLayerNetwork net = ModelFactory.build(spec(dense("hidden1", 8, 0), dense("hidden2", 8, 0)), WIDTH,
                List.of(), CLASSES, new LossMCXENT(), 42);
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> new LogitsAndTaps(net, List.of("hidden1", "hiden2")));
        String m = e.getMessage();
        assertTrue(m.contains("hiden2"), m);
        assertTrue(m.contains("[hidden1, hidden2, output]"), m);
    }
}
