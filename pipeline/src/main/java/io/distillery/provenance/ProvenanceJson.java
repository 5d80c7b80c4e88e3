package io.distillery.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.distillery.config.DistilleryException;

/** Converts {@link Provenance} to and from the JSON text of {@code metadata.json}. */
public final class ProvenanceJson {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ProvenanceJson() {
    }

    public static String toJson(Provenance p) {
        try {
            return MAPPER.writeValueAsString(p);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Provenance cannot be written as JSON", e);
        }
    }

    /** Parses {@code json}; {@code source} names the file in the error sentence. */
    public static Provenance fromJson(String json, String source) {
        try {
            return MAPPER.readValue(json, Provenance.class);
        } catch (JsonProcessingException e) {
            throw new DistilleryException("Metadata file " + source + " is not valid provenance JSON: "
                    + e.getOriginalMessage() + ".", e);
        }
    }

    /** The shared mapper, for other small JSON documents (metrics, checkpoint state). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
