package io.distillery.store;

import io.distillery.config.DistilleryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link AtomicOutput} and {@link OutputLock} on Hadoop's real local file system: concurrent writers of one path,
 * a lock taken over from a writer presumed dead, overwriting, stale temporaries. Several writers in one JVM are
 * threads here; separate processes are {@code ConcurrentOutputTest} in the jobs module.
 */
class AtomicOutputTest {
    private static final int WRITERS = 4;
    /** The files of one committed artifact as {@link #fill} writes it, checksums included: nothing nested. */
    private static final List<String> ARTIFACT = List.of("._SUCCESS.crc", ".data.txt.crc", ".metadata.json.crc",
            "_SUCCESS", "data.txt", "metadata.json");
    private final ArtifactFiles files = ArtifactFiles.local();

    @TempDir
    Path dir;

    private String target() {
        return dir.resolve("out").toString();
    }

    /** Writes a small artifact naming its writer into {@code out}. */
    private void fill(AtomicOutput out, String writer) {
        files.writeText(out.path() + "/data.txt", writer);
        files.writeText(out.path() + "/" + ArtifactFiles.METADATA, "{\"writer\": \"" + writer + "\"}");
    }

    /**
     * Runs {@link #WRITERS} threads that begin together; a writer that got the path holds it until every writer
     * has tried, so their writes overlap for certain. Returns each writer's failure message, or null for a commit.
     */
    private List<String> overlappingWriters(boolean overwrite) throws Exception {
        CyclicBarrier start = new CyclicBarrier(WRITERS);
        CountDownLatch tried = new CountDownLatch(WRITERS);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                String writer = "writer-" + w;
                results.add(pool.submit(() -> {
                    start.await();
                    AtomicOutput out;
                    try {
                        out = AtomicOutput.begin(files, target(), overwrite);
                    } catch (DistilleryException e) {
                        return e.getMessage();
                    } finally {
                        tried.countDown();
                    }
                    try (out) {
                        fill(out, writer);
                        assertTrue(tried.await(30, TimeUnit.SECONDS));
                        out.commit();
                        return null;
                    }
                }));
            }
            List<String> messages = new ArrayList<>();
            for (Future<String> f : results) {
                messages.add(f.get(60, TimeUnit.SECONDS));
            }
            return messages;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ofConcurrentWritersExactlyOneCommitsAndTheOthersAreToldThePath() throws Exception {
        // First onto a free path, then with --overwrite onto the artifact the first round committed: runs whose
        // writes overlap conflict whether or not they may replace what is there.
        for (boolean overwrite : new boolean[]{false, true}) {
            List<String> messages = overlappingWriters(overwrite);
            assertEquals(1, Collections.frequency(messages, null), messages.toString());
            for (String m : messages) {
                if (m != null) {
                    assertTrue(m.contains("Output path " + target() + " is being written by another run"), m);
                    // The holder's host and pid, unless the loser read the lock while it was being written.
                    assertTrue(m.contains("pid " + ProcessHandle.current().pid())
                            || m.contains("a run that is just starting"), m);
                }
            }
            String winner = "writer-" + messages.indexOf(null);
            assertEquals(winner, files.readText(target() + "/data.txt"));
            assertTrue(files.isCommitted(target()));
            assertEquals(List.of("out"), names(dir), "no temporaries, locks or old copies left");
            assertEquals(ARTIFACT,
                    names(dir.resolve("out")), "nothing nested into the winner's output");
        }
    }

    @Test
    void aRunStartedBeforeAnotherCommittedIsRefusedWhenItReachesItsWrite() {
        // Both runs checked the path was free at their start; the second writes after the first committed.
        try (AtomicOutput first = AtomicOutput.begin(files, target(), false)) {
            fill(first, "first");
            first.commit();
        }
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> AtomicOutput.begin(files, target(), false));
        assertTrue(e.getMessage().contains("Output path " + target() + " already exists"), e.getMessage());
        assertEquals("first", files.readText(target() + "/data.txt"));
        assertEquals(List.of("out"), names(dir));
    }

    @Test
    void aWriterWhoseLockWasTakenOverIsRefusedAtCommitAndTheOtherOutputIsKept() throws IOException {
        // Writer A never beats (its driver is paused, say); its lock looks 10 minutes old to writer B.
        AtomicOutput a = AtomicOutput.begin(files, target(), false, new OutputLock.Timing(3_600_000, 120_000));
        fill(a, "A");
        Path lock = dir.resolve(".out.lock");
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() - 600_000));

        try (AtomicOutput b = AtomicOutput.begin(files, target(), false)) {
            assertFalse(files.exists(a.path()), "B removes A's temporary as stale");
            fill(b, "B");
            b.commit();
        }
        fill(a, "A");  // A carries on writing, unaware
        DistilleryException e = assertThrows(DistilleryException.class, a::commit);
        assertTrue(e.getMessage().contains("Output path " + target() + " was taken over by another run"),
                e.getMessage());
        a.close();
        assertEquals("B", files.readText(target() + "/data.txt"));
        assertEquals(List.of("out"), names(dir));
        assertEquals(ARTIFACT,
                names(dir.resolve("out")), "A's temporary was not moved into B's output");
    }

    @Test
    void aLiveLockIsKeptFreshByItsHeartbeatAndAnAbandonedOneIsTaken() throws Exception {
        OutputLock.Timing fast = new OutputLock.Timing(50, 400);
        try (AtomicOutput a = AtomicOutput.begin(files, target(), false, fast)) {
            fill(a, "A");
            Thread.sleep(1_200);  // three times the stale threshold: only the heartbeat keeps A's lock fresh
            DistilleryException e = assertThrows(DistilleryException.class,
                    () -> AtomicOutput.begin(files, target(), false, fast));
            assertTrue(e.getMessage().contains("is being written by another run"), e.getMessage());
            assertTrue(files.exists(a.path()), "a live run's temporary is never removed");
            a.commit();
        }
        assertEquals("A", files.readText(target() + "/data.txt"));

        // A lock left by a killed driver, with no heartbeat since: abandoned once older than the threshold.
        Path lock = dir.resolve(".next.lock");
        Files.writeString(lock, "owner=dead\nhost=elsewhere\npid=1\nsince=2026-01-01T00:00:00Z\n");
        String next = dir.resolve("next").toString();
        DistilleryException held = assertThrows(DistilleryException.class,
                () -> AtomicOutput.begin(files, next, false, fast));
        assertTrue(held.getMessage().contains("host elsewhere, pid 1"), held.getMessage());
        Files.setLastModifiedTime(lock, FileTime.fromMillis(System.currentTimeMillis() - 1_000));
        try (AtomicOutput n = AtomicOutput.begin(files, next, false, fast)) {
            fill(n, "next");
            n.commit();
        }
        assertEquals(List.of("next", "out"), names(dir));
    }

    @Test
    void aFreshLockOfAProcessGoneFromThisMachineIsTakenAtOnce() throws Exception {
        Process gone = new ProcessBuilder("true").start();
        assertEquals(0, gone.waitFor());
        Path lock = dir.resolve(".out.lock");
        String machine = "\nmachine=" + OutputLock.thisMachine() + "\n";
        Files.writeString(lock, "owner=x\nhost=h\npid=" + ProcessHandle.current().pid() + "\nsince="
                + java.time.Instant.now() + machine);
        DistilleryException e = assertThrows(DistilleryException.class,
                () -> AtomicOutput.begin(files, target(), false));
        assertTrue(e.getMessage().contains("is being written by another run"), "a live holder keeps its lock");

        Files.writeString(lock, "owner=x\nhost=h\npid=" + gone.pid() + "\nsince=" + java.time.Instant.now() + machine);
        try (AtomicOutput out = AtomicOutput.begin(files, target(), false)) {
            fill(out, "after a killed run");
            out.commit();
        }
        assertEquals(List.of("out"), names(dir));
    }

    @Test
    void overwriteKeepsTheOldArtifactReadableUntilCommitAndLeavesNoOldCopy() {
        try (AtomicOutput first = AtomicOutput.begin(files, target(), false)) {
            fill(first, "v1");
            first.commit();
        }
        try (AtomicOutput second = AtomicOutput.begin(files, target(), true)) {
            fill(second, "v2");
            assertEquals("v1", files.readText(target() + "/data.txt"), "the old artifact is there while writing");
            second.commit();
        }
        assertEquals("v2", files.readText(target() + "/data.txt"));
        assertEquals(List.of("out"), names(dir));
        assertEquals(ARTIFACT,
                names(dir.resolve("out")));
    }

    @Test
    void staleTemporariesOfThePathAreRemovedAndOthersLeftAlone() throws IOException {
        Files.createDirectories(dir.resolve(".out.tmp-1234/_temporary/0"));
        Files.writeString(dir.resolve(".out.tmp-1234/_temporary/0/part-00000.parquet"), "half");
        Files.createDirectories(dir.resolve(".out.old-5678"));
        Files.createDirectories(dir.resolve(".other.tmp-1234"));  // another output's: not ours to remove
        Files.writeString(dir.resolve(".out.lock.stale-9"), "owner=x\n");
        try (AtomicOutput out = AtomicOutput.begin(files, target(), false)) {
            assertEquals(List.of(".other.tmp-1234", ".out.lock"), names(dir));
            fill(out, "x");
            out.commit();
        }
        assertEquals(List.of(".other.tmp-1234", "out"), names(dir));
    }

    private static List<String> names(Path d) {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
