package io.distillery.jobs;

import io.distillery.config.ConfigProblems;
import io.distillery.config.DataSpec;
import io.distillery.config.DistilleryConfig;
import io.distillery.config.DistilleryException;
import io.distillery.data.DatasetReader;
import io.distillery.provenance.Provenance;
import io.distillery.store.OutputLock;
import io.distillery.store.PartitionDirs;
import io.distillery.store.SoftTargetSchema;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code soft-targets} with {@code soft-targets.incremental = true} on an existing store: computes only the input
 * partitions the store lacks (a scheduled daily run adds the new date) and adds them to the store.
 *
 * <p>Nothing already stored is rewritten. The new partitions are written to a hidden temporary sibling of the
 * store, then each leaf partition directory is renamed into the store, so a concurrent reader sees a partition
 * whole or not at all; {@code metadata.json} is rewritten last. A run killed between two renames leaves complete
 * partitions only, and the next run adds the rest. Before any work, the store must have been made by the same
 * teacher with the same taps, classes, width and partitioning, every input partition already stored must be
 * unchanged since (its files identity, names, lengths and modification times, is recorded in the store), and the
 * new rows' ids must not already be stored.
 * The run holds the store's {@link OutputLock} throughout, so a second run on the same store fails at once.
 */
final class IncrementalSoftTargets {
    /** Provenance fact: {@code partition=hash;...} of the input partitions the store holds. */
    static final String PARTITION_HASHES = "partition-hashes";
    private static final Logger LOG = LoggerFactory.getLogger(IncrementalSoftTargets.class);

    private IncrementalSoftTargets() {
    }

    static void run(JobContext ctx) {
        // Held for the whole run: two runs adding to one store would both find the same dates missing.
        try (OutputLock lock = OutputLock.acquire(ctx.files(), ctx.config().softTargets().path())) {
            add(ctx, lock);
        }
    }

    private static void add(JobContext ctx, OutputLock lock) {
        DistilleryConfig cfg = ctx.config();
        DataSpec data = cfg.data();
        String storePath = cfg.softTargets().path();
        checkLayout(ctx);
        Provenance stored = ctx.files().readProvenance(storePath);
        SoftTargetsJob.Teacher teacher = SoftTargetsJob.Teacher.load(ctx);
        ctx = teacher.prepared(ctx);

        Map<String, String> inputHashes = PartitionDirs.hashes(ctx.files(), data.train(), data.partitionColumns());
        List<String> inStore = PartitionDirs.list(ctx.files(), storePath, data.partitionColumns());
        checkUnchanged(stored, inputHashes, storePath);
        List<String> missing = new ArrayList<>(inputHashes.keySet());
        missing.removeAll(inStore);
        if (missing.isEmpty()) {
            LOG.info("soft-targets: store {} already holds all {} input partitions; nothing to add", storePath,
                    inputHashes.size());
            return;
        }
        LOG.info("soft-targets: adding {} of {} input partitions to {}: {}", missing.size(), inputHashes.size(),
                storePath, missing);

        Dataset<Row> fresh = DatasetReader.readPartitions(ctx.spark(), data, data.train(), missing);
        fresh = Inputs.prepare(ctx, fresh, ctx.config().data(), data.train());
        StoreWidths widths = StoreWidths.of(ctx, fresh);
        int width = widths.teacher();
        teacher.check(ctx, width);
        checkCompatible(stored, SoftTargetsJob.storeFacts(ctx, teacher.hash(), widths), storePath);
        checkNewIds(ctx, fresh, storePath);

        long t0 = System.nanoTime();
        String staging = lock.temporary();
        try {
            SoftTargetsJob.write(ctx, teacher, fresh, width, staging);
            List<String> written = PartitionDirs.list(ctx.files(), staging, data.partitionColumns());
            List<String> unexpected = new ArrayList<>(written);
            unexpected.removeAll(missing);
            if (!unexpected.isEmpty()) {
                // Partition values whose directory name does not survive a read and write (e.g. "007" read as 7).
                throw new DistilleryException("Partition directories " + unexpected + " written for store "
                        + storePath + " match no input partition directory " + missing + "; nothing was added.");
            }
            lock.confirm();
            for (String partition : written) {
                PartitionDirs.move(ctx.files(), staging, storePath, partition);
            }
            Map<String, String> nowStored = new LinkedHashMap<>(PartitionDirs.decode(stored.fact(PARTITION_HASHES)));
            for (String partition : written) {
                nowStored.put(partition, inputHashes.get(partition));
            }
            Provenance updated = SoftTargetsJob.provenance(ctx, teacher.hash(), widths, nowStored);
            ctx.files().writeProvenance(storePath, updated);
            LOG.info(String.format("soft-targets: added %d partitions to %s in %.1f s", written.size(), storePath,
                    (System.nanoTime() - t0) / 1e9));
        } finally {
            if (ctx.files().exists(staging)) {
                ctx.files().delete(staging);
            }
        }
    }

    /** Incremental work needs partitioned input with its own ids, and a committed store to add to. */
    private static void checkLayout(JobContext ctx) {
        DataSpec data = ctx.config().data();
        String storePath = ctx.config().softTargets().path();
        if (data.partitionColumns().isEmpty()) {
            throw new DistilleryException("Key distillery.soft-targets.incremental is true but "
                    + "distillery.data.partition-columns is empty, so there are no partitions to add to store "
                    + storePath + "; set the partition columns or pass --overwrite to recompute the store.");
        }
        if (!ctx.files().isCommitted(storePath)) {
            throw new DistilleryException("Soft-target store " + storePath + " exists but was not committed (no "
                    + "_SUCCESS); an interrupted full run cannot be extended, pass --overwrite to recompute it.");
        }
        List<String> columns = Arrays.asList(DatasetReader.columnNames(ctx.spark(), data, data.train()));
        if (!columns.contains(data.idColumn())) {
            throw new DistilleryException("Key distillery.soft-targets.incremental needs an id column in the data, "
                    + "but " + data.train() + " has no column '" + data.idColumn() + "' (distillery.data.id-column); "
                    + "generated ids depend on the set of files, so new partitions would shift them.");
        }
    }

    private static void checkCompatible(Provenance stored, Map<String, String> expected, String storePath) {
        ConfigProblems problems = new ConfigProblems();
        expected.forEach((fact, value) -> problems.check(value.equals(stored.fact(fact)), "Soft-target store "
                + storePath + " has " + fact + " = '" + stored.fact(fact) + "' but this run has '" + value
                + "', so its partitions cannot be added to it; pass --overwrite to recompute the whole store."));
        problems.throwIfAny();
    }

    /** Stored partitions must come from the input as it is now: a changed day would leave stale targets. */
    private static void checkUnchanged(Provenance stored, Map<String, String> inputHashes, String storePath) {
        ConfigProblems problems = new ConfigProblems();
        PartitionDirs.decode(stored.fact(PARTITION_HASHES)).forEach((partition, hash) -> {
            String now = inputHashes.get(partition);
            problems.check(now == null || now.equals(hash), "Input partition " + partition + " changed since "
                    + "store " + storePath + " was made from it (files identity " + hash + ", now " + now
                    + "); pass --overwrite to recompute the store.");
        });
        problems.throwIfAny();
    }

    private static void checkNewIds(JobContext ctx, Dataset<Row> fresh, String storePath) {
        Dataset<Row> storedIds = ctx.spark().read().option("pathGlobFilter", "*.parquet").parquet(storePath)
                .select(SoftTargetSchema.ID);
        List<Row> clash = fresh.select(SoftTargetSchema.ID).join(storedIds, SoftTargetSchema.ID).limit(1)
                .collectAsList();
        if (!clash.isEmpty()) {
            throw new DistilleryException("Id " + clash.get(0).getLong(0) + " of the new input partitions is already "
                    + "in soft-target store " + storePath + "; ids must be unique across partitions.");
        }
    }
}
