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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.flink.lookup.KilnLookup;
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.flink.source.KilnTableReader;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.CloseableIterator;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Manifest published → lookups answering from it, in the TaskManager that committed (issue 22, goal
 * 3). A plain program (not JMH): one job on a local MiniCluster (one JVM, so one TaskManager;
 * RocksDB, file checkpoints every second) with two pipelines at parallelism 1: a rate-limited
 * generator writes {@value #KEYS} keys round-robin through a {@link KilnSink} (warm before commit
 * on), each row's value its write sequence number, so every commit rewrites every key; a second
 * generator asks {@link KilnLookup}'s async function for those keys round-robin, one lookup per
 * millisecond, and records each answer's value with the wall-clock time it was answered.
 *
 * <p>After the job, each version's last write is read back ({@link KilnTableReader}); an answer
 * carrying a value of version {@code v} or later is an answer from {@code v} (or newer). Per
 * version, the program prints the time from its manifest's {@code publishedAtMillis} to the first
 * such answer (p50/p90/p99/max after the warm-up commits), and the lookup function's {@code
 * coldReads} counter. One JVM, one clock, millisecond resolution. Every commit rewrites every key
 * (about {@value #WRITES_PER_SECOND} writes a second over {@value #KEYS} keys), so the first lookup
 * after the swap, at most a millisecond later, carries the new version's value.
 *
 * <p>Flags: {@code --commits N} (30 after the warm-up), {@code --warmup K} (5), {@code --poll-ms P}
 * the lookup's poll interval (1000, the default), {@code --no-wake} starts the lookup's follower
 * without the wake-up on commits made in this JVM (system property {@code
 * kiln.lookup.wakeOnLocalCommits=false}), so it behaves as a follower in another TaskManager.
 */
public final class CommitVisibilityBenchmark {

    static final int KEYS = 8;
    private static final int WRITES_PER_SECOND = 400;
    private static final int LOOKUPS_PER_SECOND = 1000;

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("seq", DataTypes.BIGINT()))
                            .getLogicalType();

    /** {answered at (epoch ms), seq answered (-1: no row)} of each lookup. */
    static final ConcurrentLinkedQueue<long[]> ANSWERS = new ConcurrentLinkedQueue<>();

    private CommitVisibilityBenchmark() {}

    public static void main(String[] args) throws Exception {
        int commits = intFlag(args, "--commits", 30);
        int warmup = intFlag(args, "--warmup", 5);
        int pollMs = intFlag(args, "--poll-ms", 1000);
        boolean wake = !List.of(args).contains("--no-wake");
        System.setProperty("kiln.lookup.wakeOnLocalCommits", Boolean.toString(wake));
        int seconds = commits + warmup + 2;

        java.nio.file.Path dir = Files.createTempDirectory("kiln-commit-visibility");
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dir.resolve("checkpoints").toUri().toString());
        InMemoryReporter metrics = InMemoryReporter.createWithRetainedMetrics();
        metrics.addToConfiguration(config);
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(1, config);
        env.enableCheckpointing(Duration.ofSeconds(1).toMillis());

        Path tablePath = new Path(dir.resolve("table").toUri());
        // The table exists before the job, so that the lookup starts at version 1 of it.
        KilnTable.create(
                tablePath,
                FlinkArrowTypes.tableOptions(ROW_TYPE, List.of("id")).bucketCount(2).build());
        long writes = (long) seconds * WRITES_PER_SECOND;
        env.fromSource(
                        new DataGeneratorSource<>(
                                seq -> seq,
                                writes,
                                RateLimiterStrategy.perSecond(WRITES_PER_SECOND),
                                Types.LONG),
                        WatermarkStrategy.noWatermarks(),
                        "writes")
                .uid("writes")
                .sinkTo(
                        KilnSink.forType(tablePath, ROW_TYPE, List.of("id"), new Converter())
                                .bucketCount(2)
                                .warming(true)
                                .build())
                .uid("kiln-sink");
        AsyncDataStream.unorderedWait(
                        env.fromSource(
                                        new DataGeneratorSource<>(
                                                i -> i % KEYS,
                                                (long) seconds * LOOKUPS_PER_SECOND,
                                                RateLimiterStrategy.perSecond(LOOKUPS_PER_SECOND),
                                                Types.LONG),
                                        WatermarkStrategy.noWatermarks(),
                                        "lookups")
                                .uid("lookups")
                                .setBufferTimeout(0),
                        KilnLookup.builder(tablePath)
                                .options(
                                        LookupOptions.builder()
                                                .pollInterval(Duration.ofMillis(pollMs))
                                                .build())
                                .keyOf((Long key) -> key)
                                .build(
                                        (key, row) -> {
                                            ANSWERS.add(
                                                    new long[] {
                                                        System.currentTimeMillis(),
                                                        row == null ? -1 : row.getLong(1)
                                                    });
                                            return key;
                                        },
                                        Types.LONG),
                        10,
                        TimeUnit.SECONDS,
                        100)
                .uid("kiln-lookup")
                .sinkTo(new DiscardingSink<>())
                .uid("answers");

        String load = loadAverage();
        JobClient job = env.executeAsync("kiln commit visibility");
        job.getJobExecutionResult().get(seconds + 120L, TimeUnit.SECONDS);
        report(
                tablePath,
                warmup,
                pollMs,
                wake,
                load,
                counter(metrics, "coldReads"),
                counter(metrics, "lookups"));
    }

    /** The sum of the counters named {@code name}, over every group (only the lookup's). */
    private static long counter(InMemoryReporter metrics, String name) {
        long sum = 0;
        for (Map<String, Metric> group : metrics.getMetricsByGroup().values()) {
            if (group.get(name) instanceof Counter c) {
                sum += c.getCount();
            }
        }
        return sum;
    }

    private static void report(
            Path tablePath,
            int warmup,
            int pollMs,
            boolean wake,
            String loadBefore,
            long cold,
            long lookups)
            throws Exception {
        KilnTable table = KilnTable.open(tablePath);
        long latest = table.latestVersion();
        List<Long> versions = new ArrayList<>();
        List<Long> firstSeqs = new ArrayList<>();
        long lastSeq = -1;
        try (KilnTableReader reader = KilnTableReader.open(tablePath)) {
            for (long v = 1; v <= latest; v++) {
                long max = -1;
                try (CloseableIterator<RowData> rows = reader.version(v).scan()) {
                    while (rows.hasNext()) {
                        max = Math.max(max, rows.next().getLong(1));
                    }
                }
                if (max > lastSeq) {
                    // A version with new writes (not a compaction): an answer carrying a seq above
                    // the previous version's last write is from this version or newer.
                    versions.add(v);
                    firstSeqs.add(lastSeq + 1);
                    lastSeq = max;
                }
            }
        }
        List<long[]> answers = new ArrayList<>(ANSWERS);
        List<Long> steady = new ArrayList<>();
        int unseen = 0;
        for (int i = 0; i < versions.size(); i++) {
            long from = firstSeqs.get(i);
            long published = table.manifest(versions.get(i)).publishedAtMillis();
            long first = Long.MAX_VALUE;
            for (long[] a : answers) {
                if (a[1] >= from) {
                    first = Math.min(first, a[0]);
                }
            }
            if (first == Long.MAX_VALUE) {
                unseen++; // The last versions, published after the lookups ended.
            } else if (i >= warmup) {
                steady.add(first - published);
            }
        }
        System.out.printf(
                "%nwake-up on commits in this JVM: %s, poll interval %d ms; %d versions with writes"
                        + " (of 1..%d), %d answered by no lookup (after the lookups ended);"
                        + " lookups %,d, cold reads %d; load average before: %s, after: %s%n",
                wake ? "on" : "off",
                pollMs,
                versions.size(),
                latest,
                unseen,
                lookups,
                cold,
                loadBefore,
                loadAverage());
        print("published -> first answer from it, after " + warmup + " commits", steady);
    }

    private static void print(String what, List<Long> millis) {
        long[] sorted = millis.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "%-50s n=%4d  p50 %5d ms  p90 %5d ms  p99 %5d ms  max %5d ms%n",
                what,
                sorted.length,
                percentile(sorted, 0.50),
                percentile(sorted, 0.90),
                percentile(sorted, 0.99),
                sorted.length == 0 ? -1 : sorted[sorted.length - 1]);
    }

    /** Nearest rank. */
    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    private static String loadAverage() {
        try {
            return Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static int intFlag(String[] args, String name, int fallback) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return fallback;
    }

    /** Write {@code seq} sets key {@code seq % KEYS} to {@code seq}. */
    static final class Converter implements RowDataConverter<Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Long seq) {
            return GenericRowData.of(seq % KEYS, seq);
        }
    }
}
