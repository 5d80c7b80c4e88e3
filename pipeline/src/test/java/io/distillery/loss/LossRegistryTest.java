package io.distillery.loss;

import io.distillery.config.DistilleryException;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link LossRegistry}: built-in terms, error sentences, and registering a term. */
class LossRegistryTest {

    @Test
    void createsTheBuiltInTermsWithDefaults() {
        assertTrue(LossRegistry.knownNames().containsAll(List.of("ce", "dkd", "kd", "logit-mse")));
        assertEquals(new KdTerm(4), LossRegistry.create("kd", Map.of("temperature", 4)));
        assertEquals(new CeTerm(), LossRegistry.create("ce", null));
        assertEquals(new DkdTerm(4, 1, 8), LossRegistry.create("dkd", Map.of("temperature", 4.0)));
        assertEquals(new DkdTerm(2, 0.5, 3), LossRegistry.create("dkd",
                Map.of("temperature", 2L, "alpha", 0.5, "beta", 3)));
        assertEquals(new LogitMseTerm(), LossRegistry.create("logit-mse", Map.of()));
    }

    @Test
    void everyBuiltInTermRebuildsFromItsNameAndParams() {
        for (LossTerm term : List.of(new KdTerm(3), new CeTerm(), new DkdTerm(2, 0.5, 3), new LogitMseTerm())) {
            assertEquals(term, LossRegistry.create(term.name(), term.params()));
        }
    }

    @Test
    void unknownNameListsTheKnownNames() {
        DistilleryException e = assertThrows(DistilleryException.class, () -> LossRegistry.create("kdd", Map.of()));
        assertEquals("Loss term 'kdd' is unknown; known terms are " + LossRegistry.knownNames() + ".",
                e.getMessage());
        // Terms registered by other tests sort after these (their names start with "zz-").
        assertTrue(e.getMessage().startsWith("Loss term 'kdd' is unknown; known terms are [attention, ce, dkd, hint, "
                + "kd, logit-mse, rkd, similarity"), e.getMessage());
    }

    @Test
    void unknownParametersAreNamed() {
        DistilleryException one = assertThrows(DistilleryException.class,
                () -> LossRegistry.create("kd", Map.of("temperature", 4, "tau", 2)));
        assertEquals("Loss term 'kd' has unknown parameter [tau]; its parameters are [temperature].",
                one.getMessage());
        DistilleryException two = assertThrows(DistilleryException.class,
                () -> LossRegistry.create("ce", Map.of("weight", 1, "alpha", 2)));
        assertEquals("Loss term 'ce' has unknown parameters [alpha, weight]; its parameters are [].",
                two.getMessage());
    }

    @Test
    void missingNonNumericAndOutOfRangeParameters() {
        assertEquals("Loss term 'kd' needs parameter 'temperature'.",
                assertThrows(DistilleryException.class, () -> LossRegistry.create("kd", Map.of())).getMessage());
        assertEquals("Parameter 'beta' of loss term 'dkd' is high; it must be a number.",
                assertThrows(DistilleryException.class,
                        () -> LossRegistry.create("dkd", Map.of("temperature", 1, "beta", "high"))).getMessage());
        assertEquals("Loss term 'kd' has a bad parameter: temperature must be finite and > 0, got -1.0.",
                assertThrows(DistilleryException.class,
                        () -> LossRegistry.create("kd", Map.of("temperature", -1))).getMessage());
    }

    @Test
    void compositeReportsRegistryErrors() {
        assertThrows(DistilleryException.class,
                () -> CompositeLoss.builder().add(1, "kdd", Map.of()).build());
    }

    /** A term registered at run time works in a CompositeLoss, including the JSON round trip. */
    @Test
    void registeredTermIsUsableAndSerializable() {
        LossRegistry.register("zz-test-half-ce", Set.of(), p -> new HalfCe());
        assertThrows(IllegalArgumentException.class,
                () -> LossRegistry.register("zz-test-half-ce", Set.of(), p -> new HalfCe()));
        assertThrows(IllegalArgumentException.class, () -> LossRegistry.register("kd", Set.of(), p -> new HalfCe()));

        CompositeLoss loss = CompositeLoss.builder().add(2, new HalfCe()).build();
        assertEquals("2 * zz-test-half-ce", loss.formula());
        MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
                .layer(new OutputLayer.Builder().nIn(2).nOut(2).activation(Activation.SOFTMAX).lossFunction(loss)
                        .build())
                .build();
        MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(conf.toJson());
        assertEquals(loss, ((OutputLayer) back.getConf(0).getLayer()).getLossFn());
    }

    /** Half the hard-label cross-entropy: a stand-in for a user-defined term. */
    private record HalfCe() implements LossTerm {
        @Override
        public String name() {
            return "zz-test-half-ce";
        }

        @Override
        public Map<String, Object> params() {
            return Map.of();
        }

        @Override
        public INDArray scoreArray(INDArray labels, INDArray z) {
            return new CeTerm().scoreArray(labels, z).muli(0.5);
        }

        @Override
        public INDArray gradient(INDArray labels, INDArray z) {
            return new CeTerm().gradient(labels, z).muli(0.5);
        }
    }

    @Test
    void featureTermsAreBuiltWithTheirLayersAndDefaults() {
        FeatureTerm rkd = LossRegistry.createFeature("rkd", 2.0, Map.of("student-layer", "h1", "teacher-layer", "t2"));
        assertEquals("rkd(h1 -> t2, angle=50, distance=25)", rkd.describe());
        assertEquals("2 * rkd(h1 -> t2, angle=50, distance=25)", rkd.toString());
        assertEquals(new RkdLoss(2.0, 25, 50), rkd.lossFunction(new int[] {4}, new int[] {9}));
        assertEquals("hint(h1 -> t2)", LossRegistry.createFeature("hint", 1, Map.of("student-layer", "h1",
                "teacher-layer", "t2")).describe());
        DistilleryException missing = assertThrows(DistilleryException.class,
                () -> LossRegistry.createFeature("similarity", 1, Map.of("student-layer", "h1")));
        assertEquals("Loss term 'similarity' needs parameter 'teacher-layer'.", missing.getMessage());
        DistilleryException extra = assertThrows(DistilleryException.class, () -> LossRegistry.createFeature(
                "attention", 1, Map.of("student-layer", "c1", "teacher-layer", "c2", "p", 2)));
        assertEquals("Loss term 'attention' has unknown parameter [p]; its parameters are [student-layer, "
                + "teacher-layer].", extra.getMessage());
        DistilleryException inComposite = assertThrows(DistilleryException.class,
                () -> LossRegistry.create("hint", Map.of()));
        assertTrue(inComposite.getMessage().startsWith("Loss term 'hint' compares hidden layers"));
    }

    @Test
    void objectiveListsEveryTermInConfigurationOrder() {
        Objective o = Objective.of(List.of(
                new Objective.Entry("kd", 0.9, Map.of("temperature", 4)),
                new Objective.Entry("similarity", 3000, Map.of("student-layer", "h1", "teacher-layer", "t")),
                new Objective.Entry("ce", 0.1, Map.of())));
        assertEquals("0.9 * kd(T=4) + 3000 * similarity(h1 -> t) + 0.1 * ce", o.formula());
        assertEquals("0.9 * kd(T=4) + 0.1 * ce", o.response().formula());
        assertEquals(1, o.features().size());
        DistilleryException alone = assertThrows(DistilleryException.class, () -> Objective.of(List.of(
                new Objective.Entry("hint", 1, Map.of("student-layer", "h1", "teacher-layer", "t")))));
        assertTrue(alone.getMessage().startsWith("distillery.distill.loss has no response-based term (one of [ce, "
                + "dkd, kd, logit-mse"), alone.getMessage());
        DistilleryException unknown = assertThrows(DistilleryException.class, () -> Objective.of(List.of(
                new Objective.Entry("hints", 1, Map.of()))));
        assertTrue(unknown.getMessage().contains("[attention, ce, dkd, hint, kd, logit-mse, rkd, similarity"),
                unknown.getMessage());
    }
}
