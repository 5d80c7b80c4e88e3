package io.distillery.bench;

import io.distillery.config.ConfigLoader;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.ModelSpec;
import io.distillery.jobs.JobContext;
import io.distillery.jobs.SoftTargetsJob;
import io.distillery.model.LogitsAndTaps;
import io.distillery.model.ModelArtifact;
import io.distillery.model.ModelFactory;
import io.distillery.model.TeacherInference;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.Versions;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.impl.LossMCXENT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The soft-target half of {@code distill bench}: {@link SoftTargetsJob#run} end to end, its core
 * ({@code mapPartitions(TeacherInference)} + zstd write), and the core into Spark's no-op sink, against the plain
 * {@link LogitsAndTaps#forward} loop over the same rows held in memory as INDArray batches.
 */
final class SoftTargetBench {
    private static final Logger LOG = LoggerFactory.getLogger(SoftTargetBench.class);

    private final BenchSetup s;

    SoftTargetBench(BenchSetup setup) {
        this.s = setup;
    }

    /** Measures the soft-target stage; returns a store written by our path, the student's input. */
    String run() {
        ModelSpec teacherSpec = s.cfg.teacher().model();
        List<String> taps = s.cfg.softTargets().taps();
        int classes = s.cfg.data().numClasses();
        MultiLayerNetwork teacher = ModelFactory.build(teacherSpec, s.width, List.of(), classes, new LossMCXENT(),
                s.cfg.seed());
        trainBriefly(teacher, classes);
        String teacherDir = new File(s.work, "teacher").getAbsolutePath();
        ModelArtifact.save(s.files, teacher, teacherDir, new Provenance("bench", Instant.now().toString(),
                Versions.current(), s.cfg.seed(), "{}", List.of(), Map.of()), true);
        byte[] teacherZip = s.files.readBytes(teacherDir + "/" + ModelArtifact.MODEL_FILE);
        String teacherHash = ModelArtifact.hash(s.files, teacherDir);
        String model = "teacher " + Bench.shape(teacher) + (taps.isEmpty() ? "" : " taps " + taps);

        LogitsAndTaps plainTeacher = new LogitsAndTaps(ModelArtifact.load(s.files, teacherDir), taps);
        List<INDArray> batches = featureBatches(s.inferBatch);
        StructType schema = SoftTargetSchema.storeSchema(taps, s.spark.read().parquet(s.input).schema(), List.of());

        int[] counter = {0};
        java.util.function.Supplier<String> job = () -> {
            String out = new File(s.work, "st-job-" + counter[0]++).getAbsolutePath();
            List<String> overrides = new ArrayList<>(s.o.overrides);
            overrides.addAll(List.of(
                    "run-dir=" + Bench.quote(new File(s.work, "run").getAbsolutePath()),
                    "data.train=" + Bench.quote(s.input), "data.test=" + Bench.quote(s.input),
                    "teacher.path=" + Bench.quote(teacherDir), "soft-targets.path=" + Bench.quote(out),
                    "soft-targets.batch-size=" + s.inferBatch));
            DistilleryConfig c = ConfigLoader.load(s.o.config, overrides);
            SoftTargetsJob.run(JobContext.of(s.spark, c, true, false));
            return out;
        };
        java.util.function.Supplier<String> core = () -> {
            String out = new File(s.work, "st-core-" + counter[0]++).getAbsolutePath();
            Broadcast<byte[]> zip = s.sc.broadcast(teacherZip);
            try {
                s.spark.read().parquet(s.input)
                        .mapPartitions(new TeacherInference(zip, teacherHash, taps, s.inferBatch, s.width, List.of()),
                                Encoders.row(schema))
                        .write().option("compression", "zstd").parquet(out);
            } finally {
                zip.destroy();
            }
            return out;
        };
        // The core without its output: evaluated through Spark's no-op sink, so the difference to the core is the
        // store's encoding (rows to Parquet, zstd) and file output.
        java.util.function.Supplier<String> noWrite = () -> {
            Broadcast<byte[]> zip = s.sc.broadcast(teacherZip);
            try {
                s.spark.read().parquet(s.input)
                        .mapPartitions(new TeacherInference(zip, teacherHash, taps, s.inferBatch, s.width, List.of()),
                                Encoders.row(schema))
                        .write().format("noop").mode("overwrite").save();
            } finally {
                zip.destroy();
            }
            return null;
        };
        Runnable plain = () -> {
            double sink = 0;
            for (INDArray x : batches) {
                LogitsAndTaps.Result r = plainTeacher.forward(x);
                sink += r.logits().getDouble(0, 0);
                for (INDArray t : r.taps()) {
                    sink += t.getDouble(0, 0);
                }
            }
            if (Double.isNaN(sink)) {
                LOG.warn("bench: the teacher produced NaN");
            }
        };

        String store = null;
        if (!s.o.softTargets) {
            return core.get();
        }
        for (String setting : s.o.taskThreads) {
            String t = s.threads.describe(setting);
            Measurement mJob = s.report.add(new Measurement("soft-targets", "ours: SoftTargetsJob.run", model, t,
                    s.rows));
            Measurement mCore = s.report.add(new Measurement("soft-targets", "ours: mapPartitions + zstd write", model,
                    t, s.rows));
            Measurement mNoWrite = s.report.add(new Measurement("soft-targets", "ours: mapPartitions, noop sink", model,
                    t, s.rows));
            Measurement mPlain = s.report.add(new Measurement("soft-targets", "plain: LogitsAndTaps.forward loop",
                    model, s.threads.describeDefault(), s.rows));
            for (int r = 0; r <= s.o.repeats; r++) {
                boolean warmUp = r == 0;
                s.threads.apply(setting);
                String jobOut = s.timed(warmUp ? null : mJob, job);
                s.files.delete(jobOut);
                String coreOut = s.timed(warmUp ? null : mCore, core);
                if (store != null) {
                    s.files.delete(store);
                }
                store = coreOut;
                s.timed(warmUp ? null : mNoWrite, noWrite);
                s.threads.restore();
                s.timed(warmUp ? null : mPlain, () -> {
                    plain.run();
                    return null;
                });
                LOG.info("bench: soft targets, threads {}, {} {}", setting, warmUp ? "warm-up" : "repeat", r);
            }
            s.report.ratio("soft-targets: SoftTargetsJob.run / plain", mJob, mPlain, BenchReport.GOAL);
            s.report.ratio("soft-targets: mapPartitions+write / plain", mCore, mPlain, BenchReport.GOAL);
            s.report.ratio("soft-targets: mapPartitions+noop / plain", mNoWrite, mPlain, Double.NaN);
        }
        return store;
    }

    /** A few minibatches of plain training, so the teacher is a trained model (its weights do not affect speed). */
    private void trainBriefly(MultiLayerNetwork teacher, int classes) {
        Iterator<Row> it = s.spark.read().parquet(s.input).select(SoftTargetSchema.LABEL, SoftTargetSchema.FEATURES)
                .limit(10 * 64).toLocalIterator();
        List<Row> batch = new ArrayList<>();
        while (it.hasNext()) {
            batch.add(it.next());
            if (batch.size() == 64 || !it.hasNext()) {
                float[] x = new float[batch.size() * s.width];
                float[] y = new float[batch.size() * classes];
                for (int r = 0; r < batch.size(); r++) {
                    List<Float> f = batch.get(r).getList(1);
                    for (int i = 0; i < s.width; i++) {
                        x[r * s.width + i] = f.get(i);
                    }
                    y[r * classes + batch.get(r).getInt(0)] = 1f;
                }
                teacher.fit(new DataSet(Nd4j.create(x, new long[]{batch.size(), s.width}, 'c'),
                        Nd4j.create(y, new long[]{batch.size(), classes}, 'c')));
                batch.clear();
            }
        }
    }

    /** The input's features as INDArray batches of {@code size} rows, in the input's order. */
    private List<INDArray> featureBatches(int size) {
        List<INDArray> batches = new ArrayList<>();
        Iterator<Row> it = s.spark.read().parquet(s.input).select(SoftTargetSchema.FEATURES).toLocalIterator();
        float[] x = new float[size * s.width];
        int n = 0;
        while (it.hasNext()) {
            List<Float> f = it.next().getList(0);
            for (int i = 0; i < s.width; i++) {
                x[n * s.width + i] = f.get(i);
            }
            if (++n == size || !it.hasNext()) {
                float[] exact = n == size ? x : java.util.Arrays.copyOf(x, n * s.width);
                batches.add(Nd4j.create(exact, new long[]{n, s.width}, 'c'));
                x = new float[size * s.width];
                n = 0;
            }
        }
        return batches;
    }
}
