/*
 * Copyright 2026 The Kiln Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License"); you may not use this file
 * except in compliance with the License. You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software distributed under the
 * License is distributed on an "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND,
 * either express or implied. See the License for the specific language governing permissions
 * and limitations under the License.
 */

package dev.kiln.benchmarks;

import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.format.PageCompression;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.HistogramStatistics;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * End to end: a bounded job writes {@code rows} small rows (two BIGINTs and a short string,
 * distinct keys) through a {@link KilnSink} at parallelism 1 into a new table in a local directory,
 * with a checkpoint (and so a commit) every second, warming on or off, compaction on or off. Each
 * invocation prints rows per second of the job's run time, rows per CPU-second of the whole process
 * (the "per core" figure: source, shuffle, writer, warm, commit and Flink itself, all counted), the
 * sink's commit latency percentiles ({@code kilnCommitLatencyMs}), and with warming on the storage
 * requests its warms made ({@code kilnWarmStorageReads}), with write-through on or off, and the
 * warm step's time per generation ({@code kilnWarmDurationMs}: arrival to emitted, what a commit
 * waits for there).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
public class SinkThroughputBenchmark {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.BIGINT()),
                                    DataTypes.FIELD("s", DataTypes.STRING()))
                            .getLogicalType();

    @Param({"true", "false"})
    public boolean warming;

    /**
     * With warming on: the writer hands what it writes to the shared cache (the sink's default), or
     * not, so that the warm reads every generation back (the warming before issue 22).
     */
    @Param({"true", "false"})
    public boolean writeThrough;

    @Param({"2000000"})
    public long rows;

    /** The writer's background compaction on (the sink's default) or off. */
    @Param({"true", "false"})
    public boolean compaction;

    /**
     * The compaction policy's bound on a bucket's live generations (the sink's default 16); a low
     * bound makes a short job compact, as a long one would.
     */
    @Param({"16"})
    public int maxGenerations;

    /** The pages' compression: the new table's default (ZSTD level 3) or none. */
    @Param({"zstd", "none"})
    public String compression;

    @Benchmark
    public long writeAndCommit() throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("kiln-sink-bench");
        try {
            return writeAndCommit(dir);
        } finally {
            // A job's table and checkpoints, 0.1-1 GB. Flink may still be discarding checkpoints
            // (FileUtils tolerates files deleted meanwhile); a failure here must not end the run.
            try {
                org.apache.flink.util.FileUtils.deleteDirectory(dir.toFile());
            } catch (IOException e) {
                System.err.println("could not delete " + dir + ": " + e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private long writeAndCommit(java.nio.file.Path dir) throws Exception {
        InMemoryReporter reporter = InMemoryReporter.createWithRetainedMetrics();
        Configuration config = reporter.addToConfiguration(new Configuration());
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(1, config);
        env.enableCheckpointing(Duration.ofSeconds(1).toMillis());
        Path table = new Path(dir.resolve("table").toUri());
        DataGeneratorSource<Tuple2<Long, Long>> source =
                new DataGeneratorSource<>(
                        index -> Tuple2.of(index, index * 31),
                        rows,
                        RateLimiterStrategy.noOp(),
                        Types.TUPLE(Types.LONG, Types.LONG));
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "rows")
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, List.of("id"), new Converter())
                                .bucketCount(4)
                                .warming(warming)
                                .writeThrough(writeThrough)
                                .compaction(compaction)
                                .compactionMaxGenerations(maxGenerations)
                                .compression(
                                        compression.equals("none")
                                                ? PageCompression.NONE
                                                : PageCompression.ZSTD)
                                .build())
                .uid("bench-kiln");

        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        JobExecutionResult result = env.execute("kiln sink benchmark");
        double cpuSeconds = (os.getProcessCpuTime() - cpuBefore) / 1e9;
        double seconds = result.getNetRuntime(TimeUnit.MILLISECONDS) / 1e3;

        Map<String, Metric> latency =
                reporter.findMetrics(result.getJobID(), "kilnCommitLatencyMs");
        HistogramStatistics stats =
                ((Histogram) latency.values().iterator().next()).getStatistics();
        long version = KilnTable.open(table).latestManifest().version();
        long compactions = 0;
        for (Metric m : reporter.findMetrics(result.getJobID(), "kilnCompactionsRun").values()) {
            compactions += ((org.apache.flink.metrics.Counter) m).getCount();
        }
        long generations = 0;
        for (Metric m :
                reporter.findMetrics(result.getJobID(), "kilnGenerationsCommitted").values()) {
            generations += ((org.apache.flink.metrics.Counter) m).getCount();
        }
        // One gauge per warm subtask, each the TaskManager's count: take one (parallelism 1).
        long warmReads = 0;
        for (Metric m : reporter.findMetrics(result.getJobID(), "kilnWarmStorageReads").values()) {
            warmReads = Math.max(warmReads, ((Gauge<Long>) m).getValue());
        }
        // The same by cause (none printed by a build without them).
        StringBuilder causes = new StringBuilder();
        for (String cause :
                List.of(
                        "kilnWarmStorageReadsNotHandedOver",
                        "kilnWarmStorageReadsPastStagedPages")) {
            long reads = -1;
            for (Metric m : reporter.findMetrics(result.getJobID(), cause).values()) {
                reads = Math.max(reads, ((Gauge<Long>) m).getValue());
            }
            if (reads >= 0) {
                causes.append(causes.length() == 0 ? " (" : ", ")
                        .append(cause.substring("kilnWarmStorageReads".length()))
                        .append(' ')
                        .append(reads);
            }
        }
        if (causes.length() > 0) {
            causes.append(')');
        }
        // The warm step's time per generation, arrival to emitted: what a commit waits for there.
        String warmStep = "";
        for (Metric m : reporter.findMetrics(result.getJobID(), "kilnWarmDurationMs").values()) {
            HistogramStatistics warm = ((Histogram) m).getStatistics();
            if (warm.size() == 0) {
                continue; // warming off: generations pass straight through
            }
            warmStep =
                    String.format(
                            ", warm step p50 %.0f ms, p99 %.0f ms per generation",
                            warm.getQuantile(0.5), warm.getQuantile(0.99));
        }
        System.out.printf(
                "%nwarming=%s writeThrough=%s compaction=%s rows=%d: %.0f rows/s,"
                        + " %.0f rows per CPU-second, %d manifests, %d compactions,"
                        + " %d generations committed, %d warm storage reads%s,"
                        + " commit latency p50 %.0f ms, p99 %.0f ms (%d commits)%s%n",
                warming,
                warming && writeThrough,
                compaction,
                rows,
                rows / seconds,
                rows / cpuSeconds,
                version,
                compactions,
                generations,
                warmReads,
                causes,
                stats.getQuantile(0.5),
                stats.getQuantile(0.99),
                stats.size(),
                warmStep);
        return version;
    }

    /** (id, v) to a row with a short string. */
    static final class Converter implements RowDataConverter<Tuple2<Long, Long>> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Tuple2<Long, Long> row) {
            return GenericRowData.of(row.f0, row.f1, StringData.fromString("s" + (row.f1 & 1023)));
        }
    }
}
