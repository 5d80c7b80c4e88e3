package io.distillery.testing;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A real headless Chromium driven through chromedriver with the W3C WebDriver HTTP protocol (java.net.http, no
 * Selenium): open a page, run a script in it, take a screenshot. Needs Debian's {@code chromium} and
 * {@code chromium-driver}; without them {@link #start} fails with one sentence saying to install them, so a
 * machine without a browser fails the test rather than skipping it.
 */
public final class HeadlessChromium implements AutoCloseable {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process driver;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private final Path profile;
    private String session;

    private HeadlessChromium(Process driver, String base, Path profile) {
        this.driver = driver;
        this.base = base;
        this.profile = profile;
    }

    /** Starts chromedriver on a free port and a headless Chromium session with a fresh profile. */
    public static HeadlessChromium start(int width, int height) throws IOException, InterruptedException {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            throw new AssertionError("The report's browser test needs " + CHROMIUM + " and " + CHROMEDRIVER
                    + ": install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver, "
                    + "as .ci/run does).");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = new ProcessBuilder(CHROMEDRIVER.toString(), "--port=" + port)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        HeadlessChromium c = new HeadlessChromium(p, "http://127.0.0.1:" + port,
                Files.createTempDirectory("distillery-chromium"));
        try {
            c.awaitReady();
            c.newSession(width, height);
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            c.close();
            throw e;
        }
        return c;
    }

    private void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Map<String, Object> status = call("GET", "/status", null);
                if (status.get("value") instanceof Map<?, ?> v && Boolean.TRUE.equals(v.get("ready"))) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("chromedriver did not become ready at " + base + " within 30 s");
    }

    private void newSession(int width, int height) throws IOException, InterruptedException {
        List<String> args = List.of("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile);
        Map<String, Object> caps = Map.of("capabilities", Map.of("alwaysMatch", Map.of("browserName", "chrome",
                "goog:chromeOptions", Map.of("binary", CHROMIUM.toString(), "args", args))));
        Map<String, Object> r = call("POST", "/session", caps);
        @SuppressWarnings("unchecked")
        Map<String, Object> value = (Map<String, Object>) r.get("value");
        if (value == null || value.get("sessionId") == null) {
            throw new AssertionError("chromedriver refused a session: " + r);
        }
        session = (String) value.get("sessionId");
    }

    /** Navigates to {@code page} and waits for its load event. */
    public void open(Path page) throws IOException, InterruptedException {
        call("POST", "/session/" + session + "/url", Map.of("url", page.toUri().toString()));
    }

    /** Resizes the window (to take the whole page in one screenshot). */
    public void resize(int width, int height) throws IOException, InterruptedException {
        call("POST", "/session/" + session + "/window/rect", Map.of("width", width, "height", height));
    }

    /** Runs {@code script} (a function body with {@code return}) in the page and returns its value. */
    public Object script(String script) throws IOException, InterruptedException {
        return call("POST", "/session/" + session + "/execute/sync", Map.of("script", script, "args", List.of()))
                .get("value");
    }

    /** A PNG screenshot of the window. */
    public byte[] screenshot() throws IOException, InterruptedException {
        return Base64.getDecoder().decode((String) call("GET", "/session/" + session + "/screenshot", null)
                .get("value"));
    }

    private Map<String, Object> call(String method, String path, Object body) throws IOException,
            InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (body == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Object> doc = JSON.readValue(r.body(), new TypeReference<>() {
        });
        if (r.statusCode() != 200) {
            throw new AssertionError("WebDriver " + method + " " + path + " failed with HTTP " + r.statusCode()
                    + ": " + doc);
        }
        return doc;
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                call("DELETE", "/session/" + session, null);
            }
        } catch (IOException | InterruptedException | AssertionError e) {
            // the driver is stopped below either way
        } finally {
            driver.destroy();
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a temp profile left behind is harmless
            }
        }
    }
}
