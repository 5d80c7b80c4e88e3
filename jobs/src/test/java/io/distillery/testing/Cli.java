package io.distillery.testing;

import io.distillery.cli.DistillCli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Runs {@link DistillCli#execute} in-process with stdout and stderr captured (and still echoed), and finds the
 * repository's committed config and samples. The CLI makes and stops its own Spark session, so callers must not hold
 * one open.
 */
public final class Cli {
    static {
        // The CLI's session reads spark.* system properties: no UI (port clashes with other runs), local driver.
        System.setProperty("spark.ui.enabled", "false");
        System.setProperty("spark.driver.host", "127.0.0.1");
    }

    private Cli() {
    }

    /** Exit code, captured output and wall time of one CLI call. */
    public record Result(int exit, String out, String err, double seconds) {
        /** The lines of stderr that start with {@code error: }. */
        public List<String> errorLines() {
            return err.lines().filter(l -> l.startsWith("error: ")).toList();
        }

        /** The single {@code error: } sentence, asserting there is exactly one and no stack trace. */
        public String error() {
            List<String> lines = errorLines();
            if (lines.size() != 1 || err.contains("\tat ") || err.contains("unexpected failure")) {
                throw new AssertionError("expected exactly one 'error: ' line and no stack trace, got exit " + exit
                        + ", stderr:\n" + err);
            }
            return lines.get(0);
        }

        @Override
        public String toString() {
            return "exit " + exit + " in " + String.format("%.1f", seconds) + " s; stderr:\n" + err;
        }
    }

    public static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        int exit;
        try {
            System.setOut(new PrintStream(new Tee(out, oldOut), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new Tee(err, oldErr), true, StandardCharsets.UTF_8));
            oldOut.println("distill " + String.join(" ", args));
            exit = DistillCli.execute(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        Result r = new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                (System.nanoTime() - t0) / 1e9);
        oldOut.printf("-> exit %d in %.1f s%n", r.exit(), r.seconds());
        return r;
    }

    /** Arguments: the subcommand, the config, {@code --master local[2]}, then {@code -P} for each override. */
    public static String[] args(String command, Path config, List<String> overrides, String... flags) {
        List<String> a = new ArrayList<>(List.of(command, config.toString(), "--master", "local[2]"));
        for (String o : overrides) {
            a.add("-P");
            a.add(o);
        }
        a.addAll(Arrays.asList(flags));
        return a.toArray(new String[0]);
    }

    /** The repository root: the first directory above the working directory holding {@code data-samples}. */
    public static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isDirectory(p.resolve("data-samples"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("data-samples not found above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static Path offlineConf() {
        return repo().resolve("conf/fashion-mnist-offline.conf");
    }

    public static Path sampleTrain() {
        return repo().resolve("data-samples/fashion-mnist/train");
    }

    public static Path sampleTest() {
        return repo().resolve("data-samples/fashion-mnist/test");
    }

    /** A HOCON string literal for a path (an unquoted {@code //} would start a comment). */
    /**
     * Overrides that put a run's outputs under {@code runDir}, train on {@code train} and evaluate on the sample's
     * test set; the list is mutable, for the caller's own.
     */
    public static List<String> runOn(Path runDir, Path train) {
        return new ArrayList<>(List.of(
                "run-dir=" + quoted(runDir),
                "data.train=" + quoted(train),
                "data.test=" + quoted(sampleTest())));
    }

    /**
     * Overrides for a teacher that trains in seconds: one epoch, one dense hidden layer {@code h1} of
     * {@code units}.
     */
    public static List<String> tinyTeacher(int units) {
        return List.of("teacher.model.layers=[{type=dense,name=h1,units=" + units + "}]", "teacher.train.epochs=1");
    }

    public static String quoted(Path p) {
        return "\"" + p.toAbsolutePath() + "\"";
    }

    /** Every regular file under {@code root}: relative path to "size mtime sha256". */
    public static Map<String, String> snapshot(Path root) {
        Map<String, String> files = new TreeMap<>();
        if (!Files.exists(root)) {
            return files;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(f).toString(), Files.size(f) + " "
                        + Files.getLastModifiedTime(f).toMillis() + " " + sha256(f));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    public static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What an unfinished AtomicOutput or OutputLock leaves under root: hidden temporaries ({@code .name.tmp-uuid}),
     * replaced artifacts moved aside ({@code .name.old-uuid}) and output locks ({@code .name.lock}).
     */
    public static List<Path> leftoverTemps(Path root) {
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".") && (n.contains(".tmp-") || n.contains(".old-") || n.endsWith(".lock")
                        || n.contains(".lock.stale-"));
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a directory tree. */
    public static void copyTree(Path from, Path to) {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
