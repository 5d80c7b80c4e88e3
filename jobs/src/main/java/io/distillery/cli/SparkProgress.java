package io.distillery.cli;

import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.util.AccumulatorV2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple4;
import scala.collection.JavaConverters;

import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Progress of long Spark stages in the driver's log: a stage that has run for longer than the interval gets one line
 * per interval, for example {@code Spark stage 3 (save at SoftTargetsJob.java:131): 5/16 tasks done, 312,000 records
 * read, 298,000 written, 41 s}. Running tasks count too, from the metrics their executors send with every heartbeat
 * ({@code spark.executor.heartbeatInterval}, 10 s by default), so a stage of two long tasks is not silent until they
 * end. The short jobs of training rounds end before the interval and are never logged ({@code RoundProgress} reports
 * those). Spark calls a listener from one thread, its listener bus, so this class needs no locking.
 */
final class SparkProgress extends SparkListener {
    private static final Logger LOG = LoggerFactory.getLogger(SparkProgress.class);
    private static final String READ = "internal.metrics.input.recordsRead";
    private static final String WRITTEN = "internal.metrics.output.recordsWritten";

    private final long intervalNanos;
    private final LongSupplier clock;
    private final Consumer<String> lines;
    private final Map<Integer, Stage> active = new LinkedHashMap<>();

    /** What is known of one running stage. */
    private static final class Stage {
        final String name;
        final int tasks;
        final long start;
        long lastLine;
        int done;
        long finishedRead;
        long finishedWritten;
        final Map<Long, long[]> running = new HashMap<>();
        /** Ended tasks: a heartbeat sent before a task ended can arrive after its end and must not revive it. */
        final Set<Long> ended = new HashSet<>();
        /** Ids of the stage's record-count accumulators: heartbeats carry ids and values, not names. */
        long readId = -1;
        long writtenId = -1;

        Stage(StageInfo info, long start) {
            this.name = info.name();
            this.tasks = info.numTasks();
            this.start = start;
            this.lastLine = start;
            if (info.taskMetrics() == null) {
                return;
            }
            for (AccumulatorV2<?, ?> acc : JavaConverters.seqAsJavaList(info.taskMetrics().accumulators())) {
                String accName = acc.name().isDefined() ? acc.name().get() : "";
                if (accName.equals(READ)) {
                    readId = acc.id();
                } else if (accName.equals(WRITTEN)) {
                    writtenId = acc.id();
                }
            }
        }
    }

    SparkProgress(long intervalNanos, LongSupplier clock, Consumer<String> lines) {
        this.intervalNanos = intervalNanos;
        this.clock = clock;
        this.lines = lines;
    }

    /** Logs through SLF4J, at most every {@code seconds} seconds per stage. */
    static SparkProgress logged(double seconds) {
        return new SparkProgress(Math.round(seconds * 1e9), System::nanoTime, LOG::info);
    }

    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted event) {
        StageInfo info = event.stageInfo();
        active.put(info.stageId(), new Stage(info, clock.getAsLong()));
    }

    @Override
    public void onStageCompleted(SparkListenerStageCompleted event) {
        active.remove(event.stageInfo().stageId());
    }

    @Override
    public void onJobStart(SparkListenerJobStart event) {
        report();
    }

    @Override
    public void onJobEnd(SparkListenerJobEnd event) {
        report();
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd event) {
        Stage stage = active.get(event.stageId());
        if (stage == null) {
            return;
        }
        stage.running.remove(event.taskInfo().taskId());
        stage.ended.add(event.taskInfo().taskId());
        if (event.taskInfo().successful()) {
            stage.done++;
            if (event.taskMetrics() != null) {
                stage.finishedRead += event.taskMetrics().inputMetrics().recordsRead();
                stage.finishedWritten += event.taskMetrics().outputMetrics().recordsWritten();
            }
        }
        report();
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate event) {
        for (Tuple4<Object, Object, Object, scala.collection.Seq<AccumulableInfo>> task
                : JavaConverters.seqAsJavaList(event.accumUpdates())) {
            Stage stage = active.get((Integer) task._2());
            if (stage == null || stage.ended.contains((Long) task._1())) {
                continue;
            }
            long[] counts = stage.running.computeIfAbsent((Long) task._1(), id -> new long[2]);
            for (AccumulableInfo acc : JavaConverters.seqAsJavaList(task._4())) {
                Object value = acc.update().isDefined() ? acc.update().get() : null;
                if (value instanceof Long count) {
                    if (acc.id() == stage.readId) {
                        counts[0] = count;
                    } else if (acc.id() == stage.writtenId) {
                        counts[1] = count;
                    }
                }
            }
        }
        report();
    }

    private void report() {
        long now = clock.getAsLong();
        active.forEach((id, stage) -> {
            if (now - stage.lastLine < intervalNanos) {
                return;
            }
            stage.lastLine = now;
            long read = stage.finishedRead;
            long written = stage.finishedWritten;
            for (long[] counts : stage.running.values()) {
                read += counts[0];
                written += counts[1];
            }
            lines.accept(String.format(Locale.ROOT, "Spark stage %d (%s): %d/%d tasks done, %,d records read, "
                    + "%,d written, %.0f s", id, stage.name, stage.done, stage.tasks, read, written,
                    (now - stage.start) / 1e9));
        });
    }
}
