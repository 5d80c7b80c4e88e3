package io.distillery.jobs;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A stage's fingerprint: the hash of everything its output depends on (its config subtree, the seed, its inputs'
 * hashes). Stored in the output's provenance; {@code run} skips a stage whose output carries the same fingerprint.
 */
final class Fingerprint {
    static final String FACT = "fingerprint";

    private Fingerprint() {
    }

    static String of(String... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                digest.update(p.getBytes(StandardCharsets.UTF_8));
                digest.update((byte) 0);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
