package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PartitionDirsTest {
    private final ArtifactFiles files = ArtifactFiles.local();

    @Test
    void listsNestedLeafPartitionsAndSkipsBookkeeping(@TempDir Path root) throws IOException {
        for (String d : List.of("date=2026-11-28/hour=01", "date=2026-11-27/hour=23", "date=2026-11-27/hour=00",
                ".date=x.tmp-1/hour=00", "_temporary/0")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.writeString(root.resolve("_SUCCESS"), "");
        assertEquals(List.of("date=2026-11-27/hour=00", "date=2026-11-27/hour=23", "date=2026-11-28/hour=01"),
                PartitionDirs.list(files, root.toString(), List.of("date", "hour")));
    }

    @Test
    void aDirectoryNotNamedAfterItsColumnIsNamed(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("day=2026-11-27"));
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> PartitionDirs.list(files, root.toString(), List.of("date")));
        assertTrue(e.getMessage().contains("day=2026-11-27") && e.getMessage().contains("'date'"), e.getMessage());
    }

    @Test
    void movesALeafIntoItsParentAndNeverOverwrites(@TempDir Path dir) throws IOException {
        Path from = dir.resolve("from");
        Path to = dir.resolve("to");
        Files.createDirectories(from.resolve("date=a/hour=1"));
        Files.writeString(from.resolve("date=a/hour=1/part-0.parquet"), "x");
        Files.createDirectories(to.resolve("date=a/hour=0"));
        PartitionDirs.move(files, from.toString(), to.toString(), "date=a/hour=1");
        assertTrue(Files.exists(to.resolve("date=a/hour=1/part-0.parquet")));
        Files.createDirectories(from.resolve("date=a/hour=0"));
        assertThrows(IllegalStateException.class,
                () -> PartitionDirs.move(files, from.toString(), to.toString(), "date=a/hour=0"));
    }

    @Test
    void hashesRoundTripThroughTheirFact() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("date=2026-11-27/hour=00", "ab12");
        h.put("date=2026-11-28/hour=01", "cd34");
        assertEquals(h, PartitionDirs.decode(PartitionDirs.encode(h)));
        assertEquals(Map.of(), PartitionDirs.decode(null));
    }
}
