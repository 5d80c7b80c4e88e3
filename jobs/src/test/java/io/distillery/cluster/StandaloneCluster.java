package io.distillery.cluster;

import io.distillery.testing.Cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster (one Master, N Workers, executors in their own JVMs) for the cluster tests,
 * started and stopped with {@code deploy/standalone}'s scripts, and Distillery jobs submitted to it with
 * {@code deploy/bin/distill-submit} in client mode, each as a subprocess.
 *
 * <p>Use one per test class, opened in {@code @BeforeAll} and closed in {@code @AfterAll}. {@link #close()} always
 * runs {@code stop-cluster.sh} (also from a JVM shutdown hook if the test JVM dies first), kills any submission still
 * running, and then fails if any process it started (daemons, executors seen, drivers) is still alive.
 */
public final class StandaloneCluster implements AutoCloseable {
    /** Environment tag that the Workers, and by inheritance their executors, carry (see cluster-common.sh). */
    private static final String ENV_TAG = "DISTILLERY_STANDALONE_STATE_DIR";
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(5);
    public static final Duration DEFAULT_SUBMIT_TIMEOUT = Duration.ofMinutes(6);

    private final Path repo;
    private final Path stateDir;
    private final String masterUrl;
    private final String webUiUrl;
    /** Every PID this helper started or saw as one of this cluster's executors. */
    private final Map<Long, ProcessHandle> started = Collections.synchronizedMap(new java.util.LinkedHashMap<>());
    private final List<Process> submissions = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger submitCount = new AtomicInteger();
    private final Thread shutdownHook;
    private volatile boolean closed;

    /** Exit code, merged stdout+stderr, wall time, and the driver's PID of one submission. */
    public record Submission(int exit, String output, double seconds, long driverPid, Path log) {
        @Override
        public String toString() {
            String tail = output.length() > 6000 ? "..." + output.substring(output.length() - 6000) : output;
            return "exit " + exit + " in " + String.format("%.1f", seconds) + " s (log " + log + "):\n" + tail;
        }
    }

    /** One executor JVM of this cluster: its PID, application and executor id, and the Worker it belongs to. */
    public record Executor(long pid, String appId, String executorId, int worker) {
    }

    private StandaloneCluster(Path repo, Path stateDir, String masterUrl, String webUiUrl) {
        this.repo = repo;
        this.stateDir = stateDir;
        this.masterUrl = masterUrl;
        this.webUiUrl = webUiUrl;
        this.shutdownHook = new Thread(this::stopQuietly, "stop-standalone-cluster");
    }

    /**
     * Assembles the runtime (a no-op when it is up to date) and starts 2 Workers x 1 core x 2g with auto ports and
     * {@code jobs/target/cluster/<name>} as its state dir.
     */
    public static StandaloneCluster start(String name) {
        return start(name, null);
    }

    /**
     * As {@link #start(String)}, with the Master and Workers reading {@code propertiesFile} (private, e.g. with
     * {@code spark.authenticate} and its secret; null for none): {@code start-cluster.sh}'s {@code PROPERTIES_FILE}.
     */
    public static StandaloneCluster start(String name, Path propertiesFile) {
        Path repo = Cli.repo();
        Path stateDir = repo.resolve("jobs/target/cluster").resolve(name).resolve("state").toAbsolutePath();
        long t0 = System.nanoTime();
        try {
            // A previous run killed hard may have left a cluster in this state dir: stop it first (a no-op otherwise).
            if (Files.isDirectory(stateDir)) {
                script(repo, Map.of("STATE_DIR", stateDir.toString()), "deploy/standalone/stop-cluster.sh");
                deleteTree(stateDir);
            }
            Files.createDirectories(stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // A no-op when the runtime is up to date; MVN_ARGS (e.g. -o) is inherited from the environment.
        ScriptResult assemble = script(repo, Map.of(), "deploy/standalone/assemble-runtime.sh");
        if (assemble.exit != 0) {
            throw new IllegalStateException("assemble-runtime.sh failed:\n" + assemble.output);
        }
        Map<String, String> env = new TreeMap<>(Map.of(
                "STATE_DIR", stateDir.toString(),
                "MASTER_PORT", "auto",
                "MASTER_WEBUI_PORT", "auto",
                "WORKERS", "2",
                "WORKER_CORES", "1",
                "WORKER_MEMORY", "2g",
                "START_TIMEOUT", "240"));
        if (propertiesFile != null) {
            env.put("PROPERTIES_FILE", propertiesFile.toAbsolutePath().toString());
        }
        ScriptResult start = script(repo, env, "deploy/standalone/start-cluster.sh");
        StandaloneCluster cluster = null;
        try {
            if (start.exit != 0) {
                throw new IllegalStateException("start-cluster.sh failed (exit " + start.exit + "):\n" + start.output);
            }
            Map<String, String> clusterEnv = readEnv(stateDir.resolve("cluster.env"));
            cluster = new StandaloneCluster(repo, stateDir, clusterEnv.get("MASTER_URL"),
                    clusterEnv.get("MASTER_WEBUI_URL"));
            Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
            for (Path pidFile : cluster.pidFiles()) {
                cluster.track(Long.parseLong(Files.readString(pidFile).trim()));
            }
            System.out.printf("[cluster %s] %s (UI %s) up in %.1f s, daemons %s%n", name, cluster.masterUrl,
                    cluster.webUiUrl, (System.nanoTime() - t0) / 1e9, cluster.started.keySet());
            return cluster;
        } catch (RuntimeException | IOException e) {
            // Never leave a half-started cluster behind.
            if (cluster != null) {
                cluster.stopQuietly();
            } else {
                script(repo, Map.of("STATE_DIR", stateDir.toString()), "deploy/standalone/stop-cluster.sh");
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException(io);
            }
            throw (RuntimeException) e;
        }
    }

    public String masterUrl() {
        return masterUrl;
    }

    public String webUiUrl() {
        return webUiUrl;
    }

    public Path stateDir() {
        return stateDir;
    }

    public Path repo() {
        return repo;
    }

    /** Submits {@code cliArgs} (a Distillery subcommand and its arguments) and waits for it. */
    public Submission submit(String... cliArgs) {
        return submit(DEFAULT_SUBMIT_TIMEOUT, List.of(), cliArgs);
    }

    /** Submits with extra Spark properties ({@code key=value}) and a timeout, and waits. */
    public Submission submit(Duration timeout, List<String> sparkConfs, String... cliArgs) {
        return submitAsync(sparkConfs, cliArgs).await(timeout);
    }

    /** Starts a submission without waiting: {@link Running#await} collects it. */
    public Running submitAsync(List<String> sparkConfs, String... cliArgs) {
        return submitAsync(null, sparkConfs, cliArgs);
    }

    /** As {@link #submitAsync(List, String...)}, with distill-submit's {@code --properties-file} (null for none). */
    public Running submitAsync(Path propertiesFile, List<String> sparkConfs, String... cliArgs) {
        if (closed) {
            throw new IllegalStateException("cluster is closed");
        }
        List<String> cmd = new ArrayList<>(List.of(repo.resolve("deploy/bin/distill-submit").toString(),
                "--master", masterUrl, "--executor-memory", "1g"));
        if (propertiesFile != null) {
            cmd.add("--properties-file");
            cmd.add(propertiesFile.toAbsolutePath().toString());
        }
        for (String c : sparkConfs) {
            cmd.add("--conf");
            cmd.add(c);
        }
        cmd.add("--");
        cmd.addAll(Arrays.asList(cliArgs));
        Path log = stateDir.resolve("submit-" + submitCount.incrementAndGet() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(repo.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(nullFile()));
        pb.environment().put("DISTILLERY_JAR", applicationJar().toString());
        try {
            System.out.println("[cluster] distill-submit " + String.join(" ", cliArgs));
            Process p = pb.start();
            submissions.add(p);
            started.put(p.pid(), p.toHandle());  // distill-submit execs the driver JVM: same PID
            return new Running(p, log, System.nanoTime());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A submission in progress. */
    public final class Running {
        private final Process process;
        private final Path log;
        private final long t0;

        private Running(Process process, Path log, long t0) {
            this.process = process;
            this.log = log;
            this.t0 = t0;
        }

        public long driverPid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public String outputSoFar() {
            try {
                return Files.readString(log, StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        }

        /** Waits up to {@code timeout}; on timeout kills the driver and its children and fails. */
        public Submission await(Duration timeout) {
            try {
                boolean done = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!done) {
                    killTree(process.toHandle());
                    process.waitFor(30, TimeUnit.SECONDS);
                    throw new AssertionError("submission did not finish within " + timeout + "; killed. Output:\n"
                            + tail(outputSoFar()));
                }
            } catch (InterruptedException e) {
                killTree(process.toHandle());
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            Submission s = new Submission(process.exitValue(), outputSoFar(), (System.nanoTime() - t0) / 1e9,
                    process.pid(), log);
            System.out.printf("[cluster] -> exit %d in %.1f s%n", s.exit(), s.seconds());
            return s;
        }
    }

    /** The shaded application jar built by {@code mvn package} (failsafe runs after package). */
    public Path applicationJar() {
        Path jar = repo.resolve("jobs/target/distillery-jobs-0.1.0-SNAPSHOT.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no application jar at " + jar + " (run mvn package / verify)");
        }
        return jar;
    }

    /** The live executor JVMs of this cluster: descendants of the Workers running CoarseGrainedExecutorBackend. */
    public List<Executor> executors() {
        List<Executor> out = new ArrayList<>();
        for (int w = 1; ; w++) {
            Path pidFile = stateDir.resolve("worker-" + w + ".pid");
            if (!Files.exists(pidFile)) {
                break;
            }
            long workerPid;
            try {
                workerPid = Long.parseLong(Files.readString(pidFile).trim());
            } catch (IOException | NumberFormatException e) {
                continue;
            }
            int worker = w;
            ProcessHandle.of(workerPid).ifPresent(h -> h.descendants().forEach(d -> {
                List<String> args = cmdline(d.pid());
                if (args.contains("org.apache.spark.executor.CoarseGrainedExecutorBackend")) {
                    Executor e = new Executor(d.pid(), after(args, "--app-id"), after(args, "--executor-id"), worker);
                    started.putIfAbsent(e.pid(), d);
                    out.add(e);
                }
            }));
        }
        return out;
    }

    /** Executor dirs {@code worker-i/work/app-*}/{@code <id>} that hold a stderr file, for one application. */
    public List<Path> executorDirs(String appId) {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> s = Files.walk(stateDir, 5)) {
            s.filter(p -> p.getFileName().toString().equals("stderr"))
                    .filter(p -> p.getParent().getParent().getFileName().toString().equals(appId))
                    .forEach(p -> dirs.add(p.getParent()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dirs;
    }

    /** The Master's JSON state ({@code /json/}). */
    public String masterJson() {
        return httpGet(webUiUrl + "/json/");
    }

    public static String httpGet(String url) {
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IOException("HTTP " + r.statusCode() + " from " + url);
            }
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Kills every running submission, runs {@code stop-cluster.sh}, and fails if any process this helper started
     * or saw (daemons, executors, drivers), or any process tagged with this state dir, is still alive.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        executors();  // record the executors still around, so the check below covers them
        ScriptResult stop = stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // already shutting down
        }
        List<Long> left = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do {
            left.clear();
            synchronized (started) {
                // A ProcessHandle remembers its start time: a recycled PID does not count as alive.
                started.forEach((pid, h) -> {
                    if (h.isAlive()) {
                        left.add(pid);
                    }
                });
            }
            left.addAll(envTagged());
            if (left.isEmpty()) {
                break;
            }
            sleep(500);
        } while (System.nanoTime() < deadline);
        System.out.println("[cluster] stopped " + stateDir + "; checked PIDs " + started.keySet());
        deleteExecutorJars();
        if (stop == null || stop.exit != 0 || !left.isEmpty()) {
            throw new AssertionError("cluster not cleanly stopped: still alive " + left + "; stop-cluster.sh: "
                    + (stop == null ? "not run" : "exit " + stop.exit + "\n" + stop.output));
        }
    }

    /** Each executor copied the ~160 MB application jar into its work dir: drop those copies, keep the logs. */
    private void deleteExecutorJars() {
        try (Stream<Path> s = Files.walk(stateDir, 5)) {
            for (Path jar : s.filter(p -> p.getFileName().toString().endsWith(".jar")
                    && p.toString().contains("/work/app-")).toList()) {
                Files.deleteIfExists(jar);
            }
        } catch (IOException e) {
            System.out.println("[cluster] could not delete executor jar copies: " + e);
        }
    }

    /** Idempotent stop, safe from a shutdown hook: submissions first (drivers), then the cluster's script. */
    private synchronized ScriptResult stopQuietly() {
        if (closed) {
            return new ScriptResult(0, "already stopped");
        }
        closed = true;
        synchronized (submissions) {
            for (Process p : submissions) {
                if (p.isAlive()) {
                    killTree(p.toHandle());
                }
            }
        }
        try {
            return script(repo, Map.of("STATE_DIR", stateDir.toString(), "STOP_TIMEOUT", "10"),
                    "deploy/standalone/stop-cluster.sh");
        } catch (RuntimeException e) {
            return new ScriptResult(-1, e.toString());
        }
    }

    /** PIDs whose environment carries this cluster's state-dir tag (same rule as stop-cluster.sh). */
    private List<Long> envTagged() {
        List<Long> pids = new ArrayList<>();
        String tag = ENV_TAG + "=" + stateDir;
        long self = ProcessHandle.current().pid();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit) || Long.parseLong(n) == self) {
                    continue;
                }
                try {
                    String env = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8);
                    if (Arrays.asList(env.split("\0")).contains(tag)) {
                        pids.add(Long.parseLong(n));
                    }
                } catch (IOException | SecurityException ignored) {
                    // vanished or not ours
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    private void track(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> started.put(pid, h));
    }

    private List<Path> pidFiles() throws IOException {
        try (Stream<Path> s = Files.list(stateDir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".pid")).sorted().toList();
        }
    }

    public static List<String> cmdline(long pid) {
        try {
            byte[] b = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return Arrays.asList(new String(b, StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String after(List<String> args, String flag) {
        int i = args.indexOf(flag);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "";
    }

    private static void killTree(ProcessHandle h) {
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
    }

    private record ScriptResult(int exit, String output) {
    }

    private static ScriptResult script(Path repo, Map<String, String> env, String script) {
        ProcessBuilder pb = new ProcessBuilder(repo.resolve(script).toString()).directory(repo.toFile())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(nullFile()));
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        try {
            Path out = Files.createTempFile("cluster-script", ".log");
            try {
                pb.redirectOutput(out.toFile());
                Process p = pb.start();
                if (!p.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    killTree(p.toHandle());
                    throw new IllegalStateException(script + " timed out after " + SCRIPT_TIMEOUT + ":\n"
                            + Files.readString(out));
                }
                String output = Files.readString(out);
                System.out.printf("[cluster] %s -> exit %d in %.1f s%n", script, p.exitValue(),
                        (System.nanoTime() - t0) / 1e9);
                return new ScriptResult(p.exitValue(), output);
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> m = new TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            int i = line.indexOf('=');
            if (i > 0) {
                m.put(line.substring(0, i), line.substring(i + 1));
            }
        }
        return m;
    }

    private static java.io.File nullFile() {
        return new java.io.File("/dev/null");
    }

    static String tail(String s) {
        return s.length() > 6000 ? "..." + s.substring(s.length() - 6000) : s;
    }

    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Collections.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
