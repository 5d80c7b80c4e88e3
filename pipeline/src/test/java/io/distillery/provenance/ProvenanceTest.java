package io.distillery.provenance;

import io.distillery.config.DistilleryException;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.AtomicOutput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Provenance JSON round trip, credential redaction, content hashes, data identities and atomic outputs on the local
 * file system.
 */
class ProvenanceTest {

    private static Provenance sample() {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("teacher-hash", "ab".repeat(32));
        facts.put("num-classes", "10");
        return new Provenance("soft-targets", "2024-01-02T03:04:05Z", Versions.current(), 42,
                "{\"seed\": 42}", List.of(new Provenance.InputRef("teacher", "/runs/teacher", "cd".repeat(32))),
                facts);
    }

    @Test
    void jsonRoundTripGivesAnEqualRecord() {
        Provenance p = sample();
        String json = ProvenanceJson.toJson(p);
        assertEquals(p, ProvenanceJson.fromJson(json, "metadata.json"));
        assertEquals("10", ProvenanceJson.fromJson(json, "m").fact("num-classes"));
        Provenance more = p.withFact("fingerprint", "x");
        assertEquals(more, ProvenanceJson.fromJson(ProvenanceJson.toJson(more), "m"));
        assertEquals(p.facts().size() + 1, more.facts().size());
    }

    @Test
    void badJsonNamesTheFile() {
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> ProvenanceJson.fromJson("{not json", "/runs/x/metadata.json"));
        assertTrue(e.getMessage().contains("/runs/x/metadata.json"), e.getMessage());
    }

    @Test
    void redactsSecretsInJson() {
        String json = "{\n  \"fs.s3a.secret.key\": \"s3cr3tValue\",\n  \"password\" : \"hunter2\",\n"
                + "  \"aws.access.key\": \"AKIAIOSFODNN7EXAMPLE\",\n  \"seed\": 42,\n  \"run-dir\": \"/runs/a\"\n}";
        String r = Redaction.redact(json);
        for (String secret : List.of("s3cr3tValue", "hunter2", "AKIAIOSFODNN7EXAMPLE")) {
            assertFalse(r.contains(secret), r);
        }
        assertTrue(r.contains("\"fs.s3a.secret.key\": \"***\""), r);
        assertTrue(r.contains("\"seed\": 42"), r);
        assertTrue(r.contains("\"run-dir\": \"/runs/a\""), r);
        // Still valid JSON with the same keys.
        Map<?, ?> parsed = assertDoesNotThrowParse(r);
        assertEquals("***", parsed.get("password"));
        assertEquals(42, parsed.get("seed"));
    }

    private static Map<?, ?> assertDoesNotThrowParse(String json) {
        try {
            return ProvenanceJson.mapper().readValue(json, Map.class);
        } catch (IOException e) {
            throw new AssertionError("redacted text is not JSON: " + json, e);
        }
    }

    @Test
    void redactsSecretsInKeyValueText() {
        String text = "spark.hadoop.fs.s3a.secret.key=s3cr3tValue password=hunter2 "
                + "aws.access.key=AKIAIOSFODNN7EXAMPLE,spark.master=local[2] db.token = tok123";
        String r = Redaction.redact(text);
        for (String secret : List.of("s3cr3tValue", "hunter2", "AKIAIOSFODNN7EXAMPLE", "tok123")) {
            assertFalse(r.contains(secret), r);
        }
        assertTrue(r.contains("spark.master=local[2]"), r);
        assertTrue(r.contains("password="), r);
    }

    /** The files a stage writes beside its data, which neither a content hash nor a data identity counts. */
    private static void writeBookkeeping(Path dir) throws IOException {
        Files.writeString(dir.resolve(ArtifactFiles.METADATA), "{}");
        Files.writeString(dir.resolve(ArtifactFiles.SUCCESS), "");
        Files.writeString(dir.resolve(".part-0.parquet.crc"), "x");
    }

    @Test
    void contentHashIsStableAndSensitiveToContent(@TempDir Path dir) throws IOException {
        ArtifactFiles files = ArtifactFiles.local();
        Path a = dir.resolve("a");
        Files.createDirectories(a.resolve("sub"));
        Files.writeString(a.resolve("part-0.parquet"), "one");
        Files.writeString(a.resolve("sub/part-1.parquet"), "two");
        String h = files.contentHash(a.toString());
        assertEquals(64, h.length());
        assertEquals(h, files.contentHash(a.toString()));

        // Bookkeeping files do not count; the same data elsewhere hashes the same.
        writeBookkeeping(a);
        assertEquals(h, files.contentHash(a.toString()));
        Path b = dir.resolve("b");
        Files.createDirectories(b.resolve("sub"));
        Files.writeString(b.resolve("part-0.parquet"), "one");
        Files.writeString(b.resolve("sub/part-1.parquet"), "two");
        assertEquals(h, files.contentHash(b.toString()));

        Files.writeString(b.resolve("sub/part-1.parquet"), "twO");
        assertNotEquals(h, files.contentHash(b.toString()));
        // Moving content between files changes the hash too (names are part of it).
        Path c = dir.resolve("c");
        Files.createDirectories(c);
        Files.writeString(c.resolve("part-0.parquet"), "onetwo");
        assertNotEquals(h, files.contentHash(c.toString()));
        // A single file hashes as the SHA-256 of its bytes.
        Files.writeString(dir.resolve("f.bin"), "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                files.contentHash(dir.resolve("f.bin").toString()));
    }

    @Test
    void dataIdentityFollowsTheListingWithoutReadingTheFiles(@TempDir Path dir) throws IOException {
        ArtifactFiles files = ArtifactFiles.local();
        Path a = dir.resolve("a");
        Files.createDirectories(a.resolve("sub"));
        Path part0 = Files.writeString(a.resolve("part-0.parquet"), "one");
        Path part1 = Files.writeString(a.resolve("sub/part-1.parquet"), "two");
        FileTime t0 = FileTime.fromMillis(1_700_000_000_000L);
        Files.setLastModifiedTime(part0, t0);
        Files.setLastModifiedTime(part1, t0);
        String id = files.dataIdentity(a.toString());
        assertEquals(64, id.length());
        assertEquals(id, files.dataIdentity(a.toString()));

        // Bookkeeping files do not count; the same listing elsewhere (times kept, as cp -p does) is the same data.
        writeBookkeeping(a);
        assertEquals(id, files.dataIdentity(a.toString()));
        Path b = dir.resolve("b");
        Files.createDirectories(b.resolve("sub"));
        Files.setLastModifiedTime(Files.writeString(b.resolve("part-0.parquet"), "one"), t0);
        Files.setLastModifiedTime(Files.writeString(b.resolve("sub/part-1.parquet"), "two"), t0);
        assertEquals(id, files.dataIdentity(b.toString()));

        // The contents are never read: the same lengths and times give the same identity whatever the bytes ...
        Files.setLastModifiedTime(Files.writeString(part1, "twO"), t0);
        assertEquals(id, files.dataIdentity(a.toString()));
        // ... while a rewrite (a new modification time), a new length, a rename or a new file each change it.
        Files.setLastModifiedTime(part1, FileTime.fromMillis(t0.toMillis() + 1));
        assertNotEquals(id, files.dataIdentity(a.toString()));
        Files.setLastModifiedTime(part1, t0);
        Files.setLastModifiedTime(Files.writeString(part1, "three"), t0);
        assertNotEquals(id, files.dataIdentity(a.toString()));
        Files.setLastModifiedTime(Files.writeString(part1, "two"), t0);
        assertEquals(id, files.dataIdentity(a.toString()));
        Files.move(part1, a.resolve("sub/part-2.parquet"));
        assertNotEquals(id, files.dataIdentity(a.toString()));
        Files.move(a.resolve("sub/part-2.parquet"), part1);
        Files.setLastModifiedTime(Files.writeString(a.resolve("part-3.parquet"), ""), t0);
        assertNotEquals(id, files.dataIdentity(a.toString()));
        assertNotEquals(files.dataIdentity(a.toString()), files.contentHash(a.toString()));
    }

    @Test
    void atomicOutputLeavesNothingUnlessCommitted(@TempDir Path dir) throws IOException {
        ArtifactFiles files = ArtifactFiles.local();
        String target = dir.resolve("out").toString();
        try (AtomicOutput out = AtomicOutput.begin(files, target, false)) {
            files.writeText(out.path() + "/data.txt", "partial");
            assertTrue(files.exists(out.path() + "/data.txt"));
            assertFalse(files.exists(target));
            // no commit: e.g. the stage failed
        }
        assertFalse(files.exists(target));
        assertEquals(List.of(), listNames(dir));

        try (AtomicOutput out = AtomicOutput.begin(files, target, false)) {
            files.writeText(out.path() + "/data.txt", "complete");
            files.writeProvenance(out.path(), sample());
            out.commit();
        }
        assertTrue(files.isCommitted(target));
        assertEquals("complete", files.readText(target + "/data.txt"));
        assertEquals(sample(), files.readProvenance(target));
        assertEquals(List.of("out"), listNames(dir));

        DistilleryException e = assertThrows(DistilleryException.class,
                () -> AtomicOutput.begin(files, target, false));
        assertTrue(e.getMessage().contains(target), e.getMessage());

        // Overwrite replaces only at commit: a failed overwrite keeps the old artifact.
        try (AtomicOutput out = AtomicOutput.begin(files, target, true)) {
            files.writeText(out.path() + "/data.txt", "new");
        }
        assertEquals("complete", files.readText(target + "/data.txt"));
        assertEquals(List.of("out"), listNames(dir));
    }

    private static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
