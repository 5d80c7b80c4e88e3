package io.distillery.jobs;

import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryConfig;
import io.distillery.data.InputPreparation;
import io.distillery.provenance.Provenance;
import io.distillery.provenance.Redaction;
import io.distillery.provenance.Versions;
import io.distillery.store.ArtifactFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What every job receives: the session, the validated config, the artifact file system and the user's choices
 * about existing outputs.
 *
 * @param overwrite   replace an existing output instead of refusing
 * @param resume      continue training from the last checkpoint
 * @param preparation the class index and feature scaling the stage applies to every dataset it reads, once known
 *                    (fitted on the training data, or read from the artifact the stage consumes); null before
 */
public record JobContext(SparkSession spark, DistilleryConfig config, ArtifactFiles files, boolean overwrite,
                         boolean resume, InputPreparation preparation) {

    public static JobContext of(SparkSession spark, DistilleryConfig config, boolean overwrite, boolean resume) {
        return new JobContext(spark, config,
                new ArtifactFiles(spark.sparkContext().hadoopConfiguration()), overwrite, resume, null);
    }

    /**
     * This context preparing its data with {@code p}. A configured {@code data.num-classes} stays (the stages
     * check it against their artifacts); 0 (from the data) becomes {@code p}'s class count.
     */
    public JobContext prepared(InputPreparation p) {
        DataSpec data = config.data();
        DataSpec resolved = data.numClasses() > 0 ? data : data.withNumClasses(p.labels().count());
        return new JobContext(spark, config.withData(resolved), files, overwrite, resume, p);
    }

    /** This context with another config (a sweep point's, the sweep's evaluation), before any preparation. */
    public JobContext withConfig(DistilleryConfig other) {
        return new JobContext(spark, other, files, overwrite, resume, preparation);
    }

    public JavaSparkContext sc() {
        return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    /** Number of training partitions: the configured workers, or Spark's default parallelism. */
    public int workers(int configured) {
        return configured > 0 ? configured : spark.sparkContext().defaultParallelism();
    }

    /** Provenance of an artifact written by {@code stage}, with the resolved config (credentials redacted). */
    public Provenance provenance(String stage, List<Provenance.InputRef> inputs, Map<String, String> facts) {
        return new Provenance(stage, Instant.now().toString(), Versions.current(), config.seed(),
                Redaction.redact(config.render()), inputs, facts);
    }
}
