package io.distillery.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** The versions recorded in every artifact's provenance, read from the build (no Spark or DL4J classes needed). */
public final class Versions {
    private Versions() {
    }

    public static Map<String, String> current() {
        Map<String, String> v = new LinkedHashMap<>();
        Properties p = new Properties();
        try (InputStream in = Versions.class.getResourceAsStream("/distillery-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // Versions are informative; a missing file must not stop a run.
        }
        v.put("distillery", p.getProperty("distillery", "unknown"));
        v.put("spark", p.getProperty("spark", "unknown"));
        v.put("dl4j", p.getProperty("dl4j", "unknown"));
        v.put("java", System.getProperty("java.version"));
        return v;
    }
}
