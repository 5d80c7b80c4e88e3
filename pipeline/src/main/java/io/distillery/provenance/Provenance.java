package io.distillery.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an artifact is and how it was made, stored as {@code metadata.json} beside the artifact's data.
 * A stage that consumes the artifact compares the {@link #facts()} it depends on (the teacher's hash, the class
 * count, the feature width...) with what it expects, and refuses to run on a mismatch.
 *
 * @param stage     the stage that wrote the artifact ({@code train-teacher}, {@code soft-targets}, ...)
 * @param createdAt ISO-8601 instant
 * @param versions  versions of Distillery, Java, Spark and DL4J that made it
 * @param seed      the run's seed
 * @param config    the resolved config of the run (JSON text), with credentials removed
 * @param inputs    the artifacts and datasets read, with their content hashes
 * @param facts     stage-specific key facts that consumers check (all values as strings)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"stage", "createdAt", "versions", "seed", "inputs", "facts", "config"})
public record Provenance(String stage, String createdAt, Map<String, String> versions, long seed, String config,
                         List<InputRef> inputs, Map<String, String> facts) {

    /**
     * One input of a stage.
     *
     * @param role what the input was to the stage ({@code train-data}, {@code teacher}, {@code store})
     * @param path where it was read
     * @param hash SHA-256 content hash of its data files
     */
    public record InputRef(String role, String path, String hash) {
    }

    /** The value of a fact, or null. */
    public String fact(String key) {
        return facts == null ? null : facts.get(key);
    }

    /** A copy with one more fact. */
    public Provenance withFact(String key, String value) {
        Map<String, String> f = new LinkedHashMap<>(facts == null ? Map.of() : facts);
        f.put(key, value);
        return new Provenance(stage, createdAt, versions, seed, config, inputs, f);
    }
}
