package io.distillery.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The compact-store keys: defaults (a dense float32 store, uniform missing mass) and one sentence per bad value. */
class TopKConfigTest {

    private static List<String> withData(String... more) {
        List<String> o = new ArrayList<>(List.of("data.train=/data/train", "data.test=/data/test"));
        o.addAll(List.of(more));
        return o;
    }

    private static String error(String... overrides) {
        return assertThrows(DistilleryException.class, () -> ConfigLoader.load(null, withData(overrides)))
                .getMessage();
    }

    @Test
    void defaultsAreADenseFloat32StoreAndUniformMissingMass() {
        DistilleryConfig cfg = ConfigLoader.load(null, withData());
        assertEquals(0, cfg.softTargets().topK());
        assertEquals(false, cfg.softTargets().isTopK());
        assertEquals(Precision.FLOAT32, cfg.softTargets().logitPrecision());
        assertEquals(Precision.FLOAT32, cfg.softTargets().featurePrecision());
        assertEquals(MissingMass.UNIFORM, cfg.distill().missingMass());
    }

    @Test
    void topKSettingsLoad() {
        DistilleryConfig cfg = ConfigLoader.load(null, withData("soft-targets.top-k=3",
                "soft-targets.logit-precision=float16", "soft-targets.feature-precision=float16",
                "distill.missing-mass=renormalise"));
        assertEquals(3, cfg.softTargets().topK());
        assertEquals(Precision.FLOAT16, cfg.softTargets().logitPrecision());
        assertEquals(Precision.FLOAT16, cfg.softTargets().featurePrecision());
        assertEquals(MissingMass.RENORMALISE, cfg.distill().missingMass());
        // k = C keeps every class (useful with float16 values): allowed.
        assertEquals(10, ConfigLoader.load(null, withData("soft-targets.top-k=10")).softTargets().topK());
    }

    @Test
    void negativeTopKIsAConfigError() {
        String m = error("soft-targets.top-k=-1");
        assertTrue(m.contains("Key distillery.soft-targets.top-k is -1;"), m);
    }

    @Test
    void topKAboveTheClassCountIsAConfigError() {
        // num-classes is 0 (from the data) by default; soft-targets then checks top-k against the teacher.
        String m = error("data.num-classes=10", "soft-targets.top-k=11");
        assertTrue(m.contains("distillery.soft-targets.top-k is 11 but distillery.data.num-classes is 10"), m);
    }

    @Test
    void unknownPrecisionsAndTreatmentsAreNamedTogether() {
        String m = error("soft-targets.logit-precision=half", "soft-targets.feature-precision=bf16",
                "distill.missing-mass=drop");
        assertTrue(m.contains("Key distillery.soft-targets.logit-precision is 'half'; it must be float32 or float16."),
                m);
        assertTrue(m.contains("Key distillery.soft-targets.feature-precision is 'bf16'"), m);
        assertTrue(m.contains("Key distillery.distill.missing-mass is 'drop'; it must be uniform or renormalise."), m);
    }

    @Test
    void float16LogitsNeedATopKStore() {
        String m = error("soft-targets.logit-precision=float16");
        assertTrue(m.contains("distillery.soft-targets.logit-precision is float16 but top-k is 0"), m);
    }
}
