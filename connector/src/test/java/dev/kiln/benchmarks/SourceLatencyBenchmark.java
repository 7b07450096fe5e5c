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
import dev.kiln.flink.source.KilnSource;
import dev.kiln.flink.source.KilnSourceReaderDriver;
import dev.kiln.flink.source.StartingPosition;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Commit → emitted latency of a {@link KilnSource} following a table that a {@link KilnSink}
 * commits to once per second. A plain program (not JMH): one job on a local MiniCluster (RocksDB,
 * file checkpoints every second) with two pipelines at parallelism 1: a rate-limited generator
 * writes fresh keys through the sink, each row carrying the wall-clock time it was generated; the
 * source follows the table from version 1 ({@code fromVersion(1)}, so every commit's rows arrive as
 * {@code +U}) and an operator chained to it stamps each row on arrival.
 *
 * <p>After the job, each row's version is found by reading each version's changes again (the
 * source's reader, through {@link KilnSourceReaderDriver}); the program prints percentiles of, per
 * row, emitted − the version's {@code publishedAtMillis} (commit → emitted) and emitted − the row's
 * generation time (write → emitted, which adds the wait for the next checkpoint and the commit),
 * and per commit, its first row emitted − published. One JVM, one clock.
 *
 * <p>Flags: {@code --commits N} (default 30: the generator runs for N seconds), {@code --rate R}
 * rows per second (1000), {@code --poll-ms P} the source's poll interval (100), {@code --warmup K}
 * commits left out of the "steady" figures (5).
 */
public final class SourceLatencyBenchmark {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("written_at", DataTypes.BIGINT()),
                                    DataTypes.FIELD("s", DataTypes.STRING()))
                            .getLogicalType();

    /** {id, written at, emitted at} of each row the source emitted. */
    static final ConcurrentLinkedQueue<long[]> EMITTED = new ConcurrentLinkedQueue<>();

    static final AtomicLong NOT_UPSERTS = new AtomicLong();
    static volatile CountDownLatch remaining;

    private SourceLatencyBenchmark() {}

    public static void main(String[] args) throws Exception {
        int commits = intFlag(args, "--commits", 30);
        int rate = intFlag(args, "--rate", 1000);
        int pollMs = intFlag(args, "--poll-ms", 100);
        int warmup = intFlag(args, "--warmup", 5);
        long rows = (long) commits * rate;
        remaining = new CountDownLatch(Math.toIntExact(rows));

        java.nio.file.Path dir = Files.createTempDirectory("kiln-source-latency");
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                dir.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment env =
                StreamExecutionEnvironment.createLocalEnvironment(1, config);
        env.enableCheckpointing(Duration.ofSeconds(1).toMillis());

        Path tablePath = new Path(dir.resolve("table").toUri());
        KilnSink<Tuple2<Long, Long>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, List.of("id"), new Converter())
                        .bucketCount(4)
                        .build();
        env.fromSource(
                        new DataGeneratorSource<>(
                                index -> Tuple2.of(index, System.currentTimeMillis()),
                                rows,
                                RateLimiterStrategy.perSecond(rate),
                                Types.TUPLE(Types.LONG, Types.LONG)),
                        WatermarkStrategy.noWatermarks(),
                        "rows")
                .uid("rows")
                .sinkTo(sink)
                .uid("kiln-sink");
        env.fromSource(
                        KilnSource.builder(tablePath)
                                .startingFrom(StartingPosition.fromVersion(1))
                                .pollInterval(Duration.ofMillis(pollMs))
                                .build(),
                        WatermarkStrategy.noWatermarks(),
                        "changes")
                .uid("changes")
                .map(new Stamp())
                .uid("stamp")
                .sinkTo(new DiscardingSink<>());

        String load = loadAverage();
        JobClient job = env.executeAsync("kiln source latency");
        boolean all = remaining.await(commits + 120L, TimeUnit.SECONDS);
        job.cancel().get();
        if (!all) {
            throw new IllegalStateException(
                    "only "
                            + (rows - remaining.getCount())
                            + " of "
                            + rows
                            + " rows were emitted in time");
        }
        if (NOT_UPSERTS.get() != 0) {
            throw new IllegalStateException(NOT_UPSERTS.get() + " rows were not +U");
        }
        report(tablePath, rows, warmup, pollMs, rate, load);
    }

    private static void report(
            Path tablePath, long rows, int warmup, int pollMs, int rate, String loadBefore)
            throws Exception {
        KilnTable table = KilnTable.open(tablePath);
        long latest = table.latestVersion();
        int[] versionOf = new int[Math.toIntExact(rows)];
        Arrays.fill(versionOf, -1);
        List<Long> commitVersions = new ArrayList<>();
        for (long v = 1; v <= latest; v++) {
            long version = v;
            try (KilnSourceReaderDriver changes =
                    KilnSourceReaderDriver.follow(table, ROW_TYPE, v - 1, v)) {
                long read =
                        changes.drain(
                                row -> {
                                    int id = Math.toIntExact(row.getLong(0));
                                    if (versionOf[id] != -1) {
                                        throw new IllegalStateException(
                                                "id " + id + " in two versions");
                                    }
                                    versionOf[id] = (int) version;
                                });
                if (read > 0) {
                    commitVersions.add(v);
                }
            }
        }
        long firstSteady =
                commitVersions.size() > warmup ? commitVersions.get(warmup) : Long.MAX_VALUE;
        List<Long> commitToEmit = new ArrayList<>();
        List<Long> writeToEmit = new ArrayList<>();
        List<Long> steadyCommitToEmit = new ArrayList<>();
        List<Long> steadyWriteToEmit = new ArrayList<>();
        long[] firstEmitted = new long[Math.toIntExact(latest) + 1];
        Arrays.fill(firstEmitted, Long.MAX_VALUE);
        long[] published = new long[Math.toIntExact(latest) + 1];
        for (long v : commitVersions) {
            published[(int) v] = table.manifest(v).publishedAtMillis();
        }
        for (long[] row : EMITTED) {
            int version = versionOf[(int) row[0]];
            if (version < 0) {
                throw new IllegalStateException("id " + row[0] + " emitted but in no version");
            }
            long fromCommit = row[2] - published[version];
            long fromWrite = row[2] - row[1];
            commitToEmit.add(fromCommit);
            writeToEmit.add(fromWrite);
            if (version >= firstSteady) {
                steadyCommitToEmit.add(fromCommit);
                steadyWriteToEmit.add(fromWrite);
            }
            firstEmitted[version] = Math.min(firstEmitted[version], row[2]);
        }
        List<Long> perCommit = new ArrayList<>();
        for (long v : commitVersions) {
            perCommit.add(firstEmitted[(int) v] - published[(int) v]);
        }
        System.out.printf(
                "%n%d rows at %d rows/s in %d versions with rows (of versions 1..%d),"
                        + " poll interval %d ms; load average before: %s, after: %s%n",
                rows, rate, commitVersions.size(), latest, pollMs, loadBefore, loadAverage());
        print("commit -> emitted, per row, all", commitToEmit);
        print("commit -> emitted, per row, after " + warmup + " commits", steadyCommitToEmit);
        print("write -> emitted, per row, all", writeToEmit);
        print("write -> emitted, per row, after " + warmup + " commits", steadyWriteToEmit);
        print("commit -> first row emitted, per commit", perCommit);
    }

    private static void print(String what, List<Long> millis) {
        long[] sorted = millis.stream().mapToLong(Long::longValue).sorted().toArray();
        System.out.printf(
                "%-50s n=%6d  p50 %5d ms  p90 %5d ms  p99 %5d ms  max %5d ms%n",
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

    /** Stamps each row the source emits with the time it arrives, on the source's thread. */
    static final class Stamp implements MapFunction<RowData, Long> {
        private static final long serialVersionUID = 1L;

        @Override
        public Long map(RowData row) {
            long now = System.currentTimeMillis();
            if (row.getRowKind() != RowKind.UPDATE_AFTER) {
                NOT_UPSERTS.incrementAndGet();
            }
            EMITTED.add(new long[] {row.getLong(0), row.getLong(1), now});
            remaining.countDown();
            return now;
        }
    }

    /** (id, written at) to a row with a short string. */
    static final class Converter implements RowDataConverter<Tuple2<Long, Long>> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Tuple2<Long, Long> row) {
            return GenericRowData.of(row.f0, row.f1, StringData.fromString("s" + (row.f0 & 1023)));
        }
    }
}
