package io.distillery.store;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Both implementations of {@link LockFiles} behave alike, one call at a time: the {@code java.nio} one that local
 * paths get, and the Hadoop one other file systems get (run here on Hadoop's local file system, where its exclusive
 * create is not atomic across processes, which is why local paths do not use it; on HDFS it is).
 */
class LockFilesTest {
    @TempDir
    java.nio.file.Path dir;

    @Test
    void localAndHadoopImplementationsAgree() throws IOException {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        for (LockFiles io : List.of(LockFiles.of(fs), new LockFiles.Hadoop(fs))) {
            String kind = io.getClass().getSimpleName();
            Path lock = new Path(dir.resolve(kind + ".lock").toString());
            byte[] mine = "owner=a\n".getBytes(StandardCharsets.UTF_8);
            assertNull(io.read(lock), kind);
            assertEquals(-1, io.modified(lock), kind);
            assertThrows(FileNotFoundException.class, () -> io.touch(lock, 1_000), kind);
            assertTrue(io.createExclusive(lock, mine), kind);
            assertFalse(io.createExclusive(lock, "owner=b\n".getBytes(StandardCharsets.UTF_8)), kind);
            assertArrayEquals(mine, io.read(lock), kind + ": the second create left the first file alone");
            io.touch(lock, 1_700_000_000_000L);
            assertEquals(1_700_000_000_000L, io.modified(lock), kind);
            Path aside = new Path(lock + ".stale-1");
            assertTrue(io.rename(lock, aside), kind);
            assertFalse(io.rename(lock, new Path(lock + ".stale-2")), kind + ": nothing left to move");
            assertEquals(1_700_000_000_000L, io.modified(aside), kind + ": a move keeps the time");
            io.delete(aside);
            io.delete(aside);
            assertNull(io.read(aside), kind);
        }
        assertEquals("Local", LockFiles.of(fs).getClass().getSimpleName(), "local paths get java.nio");
    }
}
