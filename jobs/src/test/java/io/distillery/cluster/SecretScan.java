package io.distillery.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which files under some roots contain any of some secrets, byte for byte: logs, {@code metadata.json}, event logs,
 * Parquet, everything except the executors' copies of the application jar.
 */
record SecretScan(List<Path> scanned, List<String> hits) {

    static SecretScan of(List<Path> roots, String... secrets) {
        List<Path> scanned = new ArrayList<>();
        List<String> hits = new ArrayList<>();
        for (Path root : roots) {
            for (Path file : files(root, null)) {
                if (file.getFileName().toString().endsWith(".jar")) {
                    continue;
                }
                scanned.add(file);
                byte[] bytes = read(file);
                for (int i = 0; i < secrets.length; i++) {
                    if (indexOf(bytes, secrets[i].getBytes(StandardCharsets.UTF_8)) >= 0) {
                        hits.add(file + " holds secret #" + (i + 1));
                    }
                }
            }
        }
        return new SecretScan(scanned, hits);
    }

    /** Regular files under {@code root}, all of them or those named {@code name}. */
    static List<Path> files(Path root, String name) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> name == null || p.getFileName().toString().equals(name)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Override
    public String toString() {
        return "scanned " + scanned.size() + " files for the secret, " + hits.size() + " hits" + (hits.isEmpty() ? ""
                : ": " + hits);
    }
}
