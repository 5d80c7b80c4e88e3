package io.distillery.data;

import io.distillery.provenance.Provenance;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What turns a stage's canonical data into a model's inputs, as fitted on the teacher's training data (or by
 * {@code codistill} without a teacher) and recorded in every artifact made from it: the class index of the labels
 * and the feature scaling.
 *
 * @param labels  the classes: their count and, for string labels, their names in index order
 * @param scaling the feature scaling and its statistics
 * @param source  where it was read or fitted ("the teacher at ...", "the soft-target store at ..."), for messages
 */
public record InputPreparation(LabelIndex labels, FeatureScaling scaling, String source) {

    /** The facts an artifact made with this preparation records; none for integer labels without scaling. */
    public Map<String, String> facts() {
        Map<String, String> facts = new LinkedHashMap<>(labels.facts());
        facts.putAll(scaling.facts());
        return facts;
    }

    /**
     * The preparation an artifact recorded.
     *
     * @param path          the artifact, for messages
     * @param source        how messages name the artifact
     * @param fallbackCount the class count for an artifact that recorded none
     */
    public static InputPreparation fromFacts(Provenance provenance, String path, String source, int fallbackCount) {
        return new InputPreparation(LabelIndex.fromFacts(provenance, fallbackCount),
                FeatureScaling.fromFacts(provenance, path), source);
    }
}
