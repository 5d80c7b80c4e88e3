package io.distillery.bench;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.MissingMass;
import io.distillery.config.Precision;
import io.distillery.jobs.JobContext;
import io.distillery.jobs.SoftTargetsJob;
import io.distillery.loss.SoftmaxMath;
import io.distillery.model.ModelArtifact;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.Versions;
import io.distillery.store.ArtifactFiles;
import io.distillery.store.SoftTargetSchema;
import io.distillery.store.StoreLayout;
import io.distillery.store.TeacherTargets;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code distill bench store}: size and fidelity of the soft-target store's layouts, side by side for one teacher.
 *
 * <p>For each data set it trains a teacher, then writes the store with the real {@link SoftTargetsJob} (the
 * project's writer: zstd Parquet, committed, with metadata) once dense and once per top-k setting (k in
 * {@link Options#ks}, values float32 and float16), and measures from the files on disk:
 * <ul>
 *   <li><b>bytes per row</b>, of the teacher's columns alone ({@code teacher_*}: the compressed size of their column
 *   chunks in the Parquet footers) and of the whole row (every {@code .parquet} file's size, footers included,
 *   over the rows; the carried-through student inputs are part of it);</li>
 *   <li><b>fidelity</b>, reading each top-k store back through {@link TeacherTargets} (the code {@code distill}
 *   trains from) and comparing with the dense store's logits of the same rows: the mean KL(teacher_T || rebuilt_T)
 *   under {@code missing-mass = uniform}, and under {@code renormalise} the mean KL(rebuilt_T || teacher_T) (the
 *   forward KL is infinite whenever the teacher gives the dropped classes any probability; the reverse one equals
 *   {@code -log(1 - dropped mass)}), at T = 1 and T = 4; and the mean teacher probability outside the kept
 *   classes.</li>
 * </ul>
 * <b>Data sets</b> (made by {@link StoreBenchTeachers}). (1) Synthetic, 1,000 classes: class prototypes
 * {@code A u_c} with {@code u_c ~ N(0, I_16)} and a random {@code A} (64 x 16), so classes lie on a
 * 16-dimensional manifold in 64 dimensions and have graded similarities like real categories; rows are
 * {@code prototype + N(0, sigma^2 I)}. sigma is set so that the
 * Bayes-optimal classifier (nearest prototype, for equiprobable classes and isotropic noise) is right 80% of the
 * time, about the top-1 accuracy of a good ImageNet classifier: the task is as hard as a real 1,000-class problem,
 * and the setting refers to the problem's difficulty, not to the store's figures. The teacher is a 64-512-1000 ReLU
 * MLP trained with cross-entropy (Adam 1e-3, batch 256), so its outputs are those of a trained classifier: peaked
 * where classes are apart, spread over neighbours where they overlap. Its accuracy, mean top-1 probability, mass in
 * the top 10 and entropy are reported beside the table. (2) Fashion-MNIST (10 classes): a 784-512-512-10
 * MLP trained for a few epochs. In both, the stores cover rows the teacher was trained on, as in the pipeline (the
 * store is made over the training set).
 */
public final class StoreBench {
    private static final Logger LOG = LoggerFactory.getLogger(StoreBench.class);
    private static final double[] TEMPERATURES = {1, 4};
    /** k of the tail-rank estimate: the goal's top-10. */
    private static final int TAIL_K = 10;

    /** What to measure; the defaults are the README's run. */
    public static final class Options {
        /** Classes of the synthetic teacher. */
        public int classes = 1000;
        /** Rows of each synthetic store. */
        public int rows = 10_000;
        /** Rows the synthetic teacher trains on (the store's rows are the first of them). */
        public int teacherRows = 100_000;
        /** Epochs of the synthetic teacher. */
        public int teacherEpochs = 5;
        /** Input width of the synthetic data. */
        public int inputWidth = 64;
        /** Dimension of the manifold the synthetic prototypes lie on. */
        public int latent = 16;
        /** Hidden units of the synthetic teacher. */
        public int hidden = 512;
        /**
         * Accuracy of the Bayes-optimal classifier (nearest prototype) that sets the noise level: 0.8, about the
         * top-1 accuracy of a good ImageNet classifier, so the task is as hard as a real 1,000-class problem.
         */
        public double bayesAccuracy = 0.8;
        /** If &gt; 0, the noise standard deviation as a fraction of the median nearest-prototype distance instead. */
        public double noise;
        /** k of the top-k stores (those above a data set's class count are skipped). */
        public List<Integer> ks = new ArrayList<>(List.of(1, 3, 5, 10, 50));
        /**
         * Ranks of the {@link TailRankEstimate} (top-10 plus a rank-r tail), for data sets with more than 10
         * classes; empty = none.
         */
        public List<Integer> tailRanks = new ArrayList<>(List.of(0, 16, 32, 64));
        /** Fashion-MNIST training rows (Parquet: id, label, features); null = default; "" = skip. */
        public String fashionMnist;
        /**
         * Rows of the Fashion-MNIST stores (the first by id); the teacher trains on up to
         * {@link #fashionTeacherRows}.
         */
        public int fashionRows = 10_000;
        /** Rows the Fashion-MNIST teacher trains on (the first by id). */
        public int fashionTeacherRows = 60_000;
        /** Epochs of the Fashion-MNIST teacher. */
        public int fashionTeacherEpochs = 3;
        public long seed = 42;
        /** Scratch directory, kept; null = a temporary one, deleted. */
        public File workDir;
    }

    /** One store's figures. */
    public record Entry(String dataset, String store, int k, String precision, long rows, double logitBytesPerRow,
                        double rowBytesPerRow, double logitFraction, double rowFraction, double[] klUniform,
                        double[] klRenormalise, double[] droppedMass) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s %s %s: %.1f B/row teacher columns (%.2f%%), %.1f B/row whole row "
                            + "(%.1f%%), KL uniform %s, KL renormalise %s, dropped mass %s", dataset, store, precision,
                    logitBytesPerRow, 100 * logitFraction, rowBytesPerRow, 100 * rowFraction,
                    java.util.Arrays.toString(klUniform), java.util.Arrays.toString(klRenormalise),
                    java.util.Arrays.toString(droppedMass));
        }
    }

    /** Everything measured: teacher descriptions, the entries, and the verdict on the goal. */
    public record Result(Map<String, Map<String, Object>> teachers, List<Entry> entries, List<String> verdicts,
                         Map<String, List<TailRankEstimate.Row>> tailEstimates) {
    }

    private final SparkSession spark;
    private final Options o;
    private final ArtifactFiles files;
    private final Map<String, Map<String, Object>> teachers = new LinkedHashMap<>();
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, List<TailRankEstimate.Row>> tailEstimates = new LinkedHashMap<>();
    private File work;

    public StoreBench(SparkSession spark, Options options) {
        this.spark = spark;
        this.o = options;
        this.files = new ArtifactFiles(spark.sparkContext().hadoopConfiguration());
    }

    public Result run() {
        try {
            work = o.workDir != null ? o.workDir : Files.createTempDirectory("distillery-store-bench").toFile();
            work.mkdirs();
            StoreBenchTeachers teachers = new StoreBenchTeachers(spark, o, work);
            measure(teachers.synthetic());
            String fm = fashionMnistPath();
            if (fm != null) {
                measure(teachers.fashionMnist(fm));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (work != null && o.workDir == null) {
                files.delete(work.getAbsolutePath());
            }
        }
        return new Result(teachers, entries, verdicts(), tailEstimates);
    }

    private String fashionMnistPath() {
        if (o.fashionMnist != null) {
            return o.fashionMnist.isEmpty() ? null : o.fashionMnist;
        }
        for (String p : List.of("data/fashion-mnist/train", "data-samples/fashion-mnist/train")) {
            if (new File(p).isDirectory()) {
                return p;
            }
        }
        return null;
    }

    // ----------------------------------------------------------------------------------------------- measurement

    private void measure(StoreBenchTeachers.Fixture f) {
        String name = f.name();
        int classes = f.classes();
        Map<String, Object> teacherFacts = f.facts();
        String input = f.input();
        String teacherDir = new File(work, name + "-teacher").getAbsolutePath();
        ModelArtifact.save(files, f.teacher(), teacherDir, new Provenance("bench", Instant.now().toString(),
                Versions.current(), o.seed, "{}", List.of(), Map.of()), true);

        String dense = store(name, input, teacherDir, classes, 0, Precision.FLOAT32);
        Sizes denseSizes = sizes(dense);
        Map<Long, float[]> logits = new HashMap<>();
        Map<Long, Integer> labels = new HashMap<>();
        Iterator<Row> it = spark.read().option("pathGlobFilter", "*.parquet").parquet(dense)
                .select(SoftTargetSchema.ID, SoftTargetSchema.LABEL, SoftTargetSchema.LOGITS).toLocalIterator();
        while (it.hasNext()) {
            Row r = it.next();
            logits.put(r.getLong(0), TeacherTargets.floats(r, SoftTargetSchema.LOGITS, Precision.FLOAT32));
            labels.put(r.getLong(0), r.getInt(1));
        }
        teacherFacts.putAll(describe(logits, labels));
        teachers.put(name, teacherFacts);
        entries.add(new Entry(name, "dense", 0, "float32", denseSizes.rows, denseSizes.logitBytesPerRow(),
                denseSizes.rowBytesPerRow(), 1, 1, new double[] {0, 0}, new double[] {0, 0}, new double[] {0, 0}));
        files.delete(dense);
        if (!o.tailRanks.isEmpty() && classes > TAIL_K) {
            tailEstimates.put(name, TailRankEstimate.measure(logits, TAIL_K, o.tailRanks));
            LOG.info("bench store: {} tail-rank estimate {}", name, tailEstimates.get(name));
        }

        for (int k : o.ks) {
            if (k > classes) {
                continue;
            }
            for (Precision p : Precision.values()) {
                String path = store(name, input, teacherDir, classes, k, p);
                Sizes s = sizes(path);
                double[][] fidelity = fidelity(path, logits, classes);
                entries.add(new Entry(name, "top-" + k, k, p.configName(), s.rows, s.logitBytesPerRow(),
                        s.rowBytesPerRow(), s.logitBytesPerRow() / denseSizes.logitBytesPerRow(),
                        s.rowBytesPerRow() / denseSizes.rowBytesPerRow(), fidelity[0], fidelity[1], fidelity[2]));
                LOG.info("bench store: {}", entries.get(entries.size() - 1));
                files.delete(path);
            }
        }
    }

    /** Writes one store with the real job and returns its path. */
    private String store(String name, String input, String teacherDir, int classes, int k, Precision precision) {
        String out = new File(work, name + "-store-" + (k == 0 ? "dense" : "top" + k + "-" + precision.configName()))
                .getAbsolutePath();
        List<String> overrides = List.of(
                "run-dir=" + Bench.quote(new File(work, "run").getAbsolutePath()),
                "data.train=" + Bench.quote(input), "data.test=" + Bench.quote(input),
                "data.num-classes=" + classes,
                "teacher.path=" + Bench.quote(teacherDir), "soft-targets.path=" + Bench.quote(out),
                "soft-targets.taps=[]", "soft-targets.top-k=" + k,
                "soft-targets.logit-precision=" + precision.configName());
        DistilleryConfig cfg = ConfigLoader.load(null, overrides);
        SoftTargetsJob.run(JobContext.of(spark, cfg, true, false));
        return out;
    }

    private record Sizes(long rows, long fileBytes, long logitBytes) {
        double logitBytesPerRow() {
            return (double) logitBytes / rows;
        }

        double rowBytesPerRow() {
            return (double) fileBytes / rows;
        }
    }

    /** Bytes on disk: whole files, and the teacher columns' chunks from the Parquet footers. */
    private Sizes sizes(String dir) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        long rows = 0;
        long fileBytes = 0;
        long logitBytes = 0;
        try (Stream<Path> s = Files.walk(Path.of(dir))) {
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList()) {
                fileBytes += Files.size(f);
                try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                        new org.apache.hadoop.fs.Path(f.toUri()), conf))) {
                    for (BlockMetaData b : r.getFooter().getBlocks()) {
                        rows += b.getRowCount();
                        for (ColumnChunkMetaData col : b.getColumns()) {
                            if (col.getPath().toDotString().startsWith("teacher_")) {
                                logitBytes += col.getTotalSize();
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Sizes(rows, fileBytes, logitBytes);
    }

    /**
     * Mean KL(teacher || uniform-rebuilt), mean KL(renormalise-rebuilt || teacher) and mean dropped teacher mass,
     * each at T = 1 and T = 4, over the store's rows.
     */
    private double[][] fidelity(String path, Map<Long, float[]> logits, int classes) {
        StoreLayout layout = StoreLayout.of(files.readProvenance(path), path);
        TeacherTargets uniform = TeacherTargets.of(layout, MissingMass.UNIFORM);
        TeacherTargets renormalise = TeacherTargets.of(layout, MissingMass.RENORMALISE);
        double[][] sums = new double[3][TEMPERATURES.length];
        long n = 0;
        float[] u = new float[classes];
        float[] r = new float[classes];
        Iterator<Row> it = spark.read().option("pathGlobFilter", "*.parquet").parquet(path).toLocalIterator();
        while (it.hasNext()) {
            Row row = it.next();
            float[] z = logits.get(row.getLong(row.fieldIndex(SoftTargetSchema.ID)));
            uniform.write(row, classes, u, 0);
            renormalise.write(row, classes, r, 0);
            List<Integer> kept = row.getList(row.fieldIndex(SoftTargetSchema.TOPK_INDEX));
            for (int t = 0; t < TEMPERATURES.length; t++) {
                double[] p = SoftmaxMath.softmax(z, TEMPERATURES[t]);
                sums[0][t] += SoftmaxMath.klDivergence(p, SoftmaxMath.softmax(u, TEMPERATURES[t]));
                sums[1][t] += SoftmaxMath.klDivergence(SoftmaxMath.softmax(r, TEMPERATURES[t]), p);
                double keptMass = 0;
                for (int c : kept) {
                    keptMass += p[c];
                }
                sums[2][t] += Math.max(0, 1 - keptMass);
            }
            n++;
        }
        for (double[] s : sums) {
            for (int t = 0; t < s.length; t++) {
                s[t] /= n;
            }
        }
        return sums;
    }

    /** Accuracy, mean top-1 probability, mean entropy and the mass in the top 10, at T = 1 and T = 4. */
    private static Map<String, Object> describe(Map<Long, float[]> logits, Map<Long, Integer> labels) {
        double acc = 0;
        double[] top1 = new double[2];
        double[] entropy = new double[2];
        double[] top10 = new double[2];
        for (Map.Entry<Long, float[]> e : logits.entrySet()) {
            for (int t = 0; t < 2; t++) {
                double[] p = SoftmaxMath.softmax(e.getValue(), TEMPERATURES[t]);
                if (t == 0 && SoftmaxMath.argmax(p) == labels.get(e.getKey())) {
                    acc++;
                }
                double[] sorted = p.clone();
                java.util.Arrays.sort(sorted);
                top1[t] += sorted[sorted.length - 1];
                for (int i = 0; i < Math.min(10, sorted.length); i++) {
                    top10[t] += sorted[sorted.length - 1 - i];
                }
                for (double v : p) {
                    if (v > 0) {
                        entropy[t] -= v * Math.log(v);
                    }
                }
            }
        }
        int n = logits.size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy on the store's rows", round(acc / n));
        for (int t = 0; t < 2; t++) {
            String at = " at T=" + (int) TEMPERATURES[t];
            m.put("mean top-1 probability" + at, round(top1[t] / n));
            m.put("mean probability in the top 10" + at, round(top10[t] / n));
            m.put("mean entropy (nats)" + at, round(entropy[t] / n));
        }
        return m;
    }

    private static double round(double x) {
        return Math.round(x * 1e4) / 1e4;
    }

    // ---------------------------------------------------------------------------------------------------- report

    /** The goal: the 1,000-class top-10 store under 3% of the dense store's bytes, mean KL < 0.01 at T=4. */
    private List<String> verdicts() {
        List<String> v = new ArrayList<>();
        for (Entry e : entries) {
            if (e.dataset.startsWith("synthetic-") && e.k == 10) {
                boolean bytes = e.logitFraction < 0.03;
                boolean kl = e.klUniform[1] < 0.01;
                v.add(String.format(Locale.ROOT, "goal (%s, top-10 %s): teacher columns %.2f%% of dense (< 3%%: %s),"
                                + " whole row %.1f%% of dense; mean KL(teacher || rebuilt) at T=4 with uniform missing "
                                + "mass %.4f (< 0.01: %s)%s", e.dataset, e.precision, 100 * e.logitFraction,
                        bytes ? "met" : "MISSED", 100 * e.rowFraction, e.klUniform[1], kl ? "met" : "MISSED",
                        kl ? "" : String.format(Locale.ROOT, ", %.1fx the target", e.klUniform[1] / 0.01)));
            }
        }
        return v;
    }
}
