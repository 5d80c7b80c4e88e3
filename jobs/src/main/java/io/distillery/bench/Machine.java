package io.distillery.bench;

import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** What the numbers were measured on: CPU, JVM, ND4J backend and threads, Spark master, load. */
final class Machine {
    private Machine() {
    }

    static Map<String, Object> describe(SparkSession spark) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", cpuModel());
        m.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        m.put("max heap (MB)", Runtime.getRuntime().maxMemory() >> 20);
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("OMP_NUM_THREADS", String.valueOf(System.getenv("OMP_NUM_THREADS")));
        m.put("nd4j backend", Nd4j.getBackend().getClass().getSimpleName());
        m.put("nd4j blas vendor", Nd4j.factory().blas().getBlasVendor().toString());
        m.put("nd4j maxThreads / maxMasterThreads / blasThreads", Nd4jThreads.current());
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        Map<String, String> info = new TreeMap<>();
        env.forEach((k, v) -> info.put(String.valueOf(k), String.valueOf(v)));
        m.put("nd4j environment", info);
        m.put("spark master", spark.sparkContext().master());
        m.put("spark version", spark.version());
        m.put("spark default parallelism", spark.sparkContext().defaultParallelism());
        m.put("load average at start", loadAverage());
        return m;
    }

    /** {@code /proc/loadavg} (1, 5, 15 minutes), or "n/a"; other load on the machine skews every figure. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    /** The 1-minute load average, or NaN. */
    static double loadAverage1() {
        try {
            return Double.parseDouble(loadAverage().split(" ")[0]);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("n/a");
        } catch (IOException | RuntimeException e) {
            return System.getProperty("os.arch");
        }
    }
}
