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

package dev.kiln.flink.source;

import dev.kiln.TemporaryDirectories;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.flink.sink.SinkTestData;
import dev.kiln.table.Commit;
import dev.kiln.table.KilnTable;
import dev.kiln.table.VersionExpiredException;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.table.data.RowData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exactly once end to end: a job reads the changelog of a table while another job writes it (with
 * compaction and version expiry on) and materialises it into a map, through a failover and a
 * savepoint rescale of the reader; every change arrives exactly once and in order, and the map ends
 * equal to the table.
 *
 * <p>The writer writes event {@code i} to key {@code i mod KEYS}: a delete if {@link
 * #isDelete(long)}, else an upsert of {@code seq = i}; so a key's writes are numbered {@code n = i
 * / KEYS}. It emits {@value #PER_CHECKPOINT} events per completed checkpoint, at most a few times
 * that between two barriers, fewer than {@value #KEYS}: a version holds at most one write of a key,
 * so the reader must emit every write, and the materialiser checks that each key's changes come
 * numbered {@code 0, 1, 2, ...} (a {@code -D} must fall on a delete), failing the job (and the
 * test) on a change repeated, replayed, reordered or skipped. A second reader, started midway,
 * reads the table's full snapshot and then follows it to the same end.
 *
 * <p>Expiry keeps a version for {@link #KEEP_FOR} (and the newest 3): far longer than the reader
 * ever lags here (its failover and its savepoint restore take a few seconds), so the reader is
 * never expired by the test's own timing; and shorter than the writer runs (at least {@code KEYS *
 * WRITES_PER_KEY / PER_CHECKPOINT} checkpoints 100 ms apart), so the first versions do expire while
 * the reader follows.
 *
 * <p>The writer's commits are counted, not predicted: it commits at most {@link #FINAL_VERSION}
 * versions (asserted), then the test publishes empty versions up to it, which the reader, bounded
 * by {@link KilnSource.Builder#stoppingAt}, must pass over without emitting anything.
 */
class KilnSourceExactlyOnceITCase {

    private static final int KEYS = 400;
    private static final int WRITES_PER_KEY = 30;
    private static final int PER_CHECKPOINT = 100;
    private static final long EVENTS = (long) KEYS * WRITES_PER_KEY;
    private static final int BUCKETS = 4;
    private static final Duration KEEP_FOR = Duration.ofSeconds(10);

    /** Far above the writer's commits (about one per checkpoint that carried events). */
    private static final long FINAL_VERSION = 2 * EVENTS / PER_CHECKPOINT + 60;

    /** The reader fails once after this many changes (and a completed checkpoint). */
    private static final long FAIL_AT = 2_000;

    /** The reader is stopped with a savepoint after this many changes (and its failover). */
    private static final long SAVEPOINT_AT = 5_000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(6)
                            .setConfiguration(clusterConfig())
                            .build());

    @TempDir java.nio.file.Path dir;

    private static final AtomicLong seen = new AtomicLong();
    private static final AtomicBoolean failed = new AtomicBoolean();
    private static final AtomicLong snapshotRows = new AtomicLong();
    private static final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private static final Map<Long, Long> materialised = new ConcurrentHashMap<>();
    private static final AtomicLong lateSnapshotRows = new AtomicLong();
    private static final Map<Long, Long> lateMaterialised = new ConcurrentHashMap<>();
    private static volatile CompletableFuture<Void> midway = new CompletableFuture<>();

    private static Configuration clusterConfig() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                TemporaryDirectories.create("kiln-source-checkpoints").toUri().toString());
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
        config.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ZERO);
        return config;
    }

    /** Whether event {@code i} deletes its key (about one event in five, irregularly). */
    static boolean isDelete(long i) {
        return ((i * 2_654_435_761L) >>> 16) % 5 == 0;
    }

    @Test
    void aChangelogReadThroughAFailoverAndARescaleMaterialisesTheTable() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        seen.set(0);
        failed.set(false);
        snapshotRows.set(0);
        violations.clear();
        materialised.clear();
        lateSnapshotRows.set(0);
        lateMaterialised.clear();
        midway = new CompletableFuture<>();

        // The reader starts before the table exists: it declares the row type and waits.
        JobClient reader = startReader(table, 2, null);

        KilnSink<Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(
                                table,
                                SinkTestData.ROW_TYPE,
                                SinkTestData.KEY,
                                new SinkTestData.Converter())
                        .bucketCount(BUCKETS)
                        .compaction(true)
                        .compactionMaxGenerations(3)
                        .expireVersions(3, KEEP_FOR)
                        .build();
        StreamExecutionEnvironment writerEnv = StreamExecutionEnvironment.getExecutionEnvironment();
        writerEnv.setParallelism(2);
        writerEnv.enableCheckpointing(100);
        SinkTestData.events(
                        writerEnv,
                        0,
                        EVENTS,
                        PER_CHECKPOINT,
                        i -> Tuple3.of(i % KEYS, i, isDelete(i)))
                .sinkTo(sink)
                .uid("kiln-writer");
        JobClient writer = writerEnv.executeAsync("changelog writer");

        CompletableFuture.anyOf(midway, reader.getJobExecutionResult()).get(2, TimeUnit.MINUTES);
        assertThat(violations).as("changes repeated, reordered or skipped").isEmpty();
        assertThat(midway).as("the reader reached the savepoint, not its end").isDone();
        assertThat(failed).as("the reader's failover came first").isTrue();
        String savepoint =
                reader.stopWithSavepoint(
                                false,
                                dir.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.CANONICAL)
                        .get(2, TimeUnit.MINUTES);
        Map<Long, Long> atSavepoint = new HashMap<>(materialised);
        reader = startReader(table, 3, savepoint);
        JobClient late = startLateReader(table);
        assertEachBucketHoldsAVersionOfTheTable(table, atSavepoint);

        writer.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        KilnTable written = KilnTable.open(table);
        long writerVersions = written.latestVersion();
        assertThat(writerVersions)
                .as("the writer's commits, below the reader's stop version")
                .isBetween(EVENTS / PER_CHECKPOINT / 2, FINAL_VERSION);
        for (long checkpoint = 1; written.latestVersion() < FINAL_VERSION; checkpoint++) {
            written.commit(new Commit("exactly-once-it", checkpoint, List.of(), List.of()));
        }
        reader.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        late.getJobExecutionResult().get(2, TimeUnit.MINUTES);

        assertThat(violations).as("changes repeated, reordered or skipped").isEmpty();
        Map<Long, Long> expected = new HashMap<>();
        for (long key = 0; key < KEYS; key++) {
            long last = key + (WRITES_PER_KEY - 1L) * KEYS;
            if (!isDelete(last)) {
                expected.put(key, last);
            }
        }
        assertThat(tableContent(table)).as("the table's last version").isEqualTo(expected);
        assertThat(materialised).as("the materialised changelog").isEqualTo(expected);
        assertThat(lateMaterialised)
                .as("the changelog materialised by the reader started midway")
                .isEqualTo(expected);
        assertThat(lateSnapshotRows).as("the late reader's full snapshot").hasPositiveValue();
        assertThat(seen.get())
                .as("changes seen (every write, some twice through the failover)")
                .isGreaterThan(EVENTS);

        assertThatThrownBy(() -> written.manifest(1))
                .as("version 1 expired while the reader followed")
                .isInstanceOf(VersionExpiredException.class);
        assertThat(written.latestManifest().generations())
                .as("compaction merged generations: fewer are live than versions were written")
                .hasSizeLessThan((int) writerVersions);
    }

    /**
     * Starts the reader at {@code parallelism}, from {@code savepoint} if not null: the table's
     * changelog up to {@link #FINAL_VERSION}, through {@link FailOnce}, into {@link Materialiser}
     * and the map {@link #materialised}.
     */
    private static JobClient startReader(Path table, int parallelism, String savepoint)
            throws Exception {
        Configuration config = new Configuration();
        if (savepoint != null) {
            config.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        env.enableCheckpointing(100);
        KilnSource source =
                KilnSource.builder(table)
                        .rowType(SinkTestData.ROW_TYPE)
                        .stoppingAt(FINAL_VERSION)
                        .pollInterval(Duration.ofMillis(50))
                        .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kiln changelog")
                .uid("kiln-source")
                .map(new FailOnce(), source.getProducedType())
                .uid("fail-once")
                .keyBy(row -> row.getLong(0), Types.LONG)
                .process(new Materialiser(false))
                .uid("materialiser")
                .sinkTo(new MapSink(false))
                .uid("map");
        return env.executeAsync("changelog reader at " + parallelism);
    }

    /**
     * Starts a second reader while the table is written: its full snapshot, then the changes up to
     * {@link #FINAL_VERSION}, into {@link #lateMaterialised}.
     */
    private static JobClient startLateReader(Path table) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        KilnSource source =
                KilnSource.builder(table)
                        .startingFrom(StartingPosition.fullThenFollow())
                        .stoppingAt(FINAL_VERSION)
                        .pollInterval(Duration.ofMillis(50))
                        .build();
        env.fromSource(source, WatermarkStrategy.noWatermarks(), "kiln changelog")
                .keyBy(row -> row.getLong(0), Types.LONG)
                .process(new Materialiser(true))
                .sinkTo(new MapSink(true));
        return env.executeAsync("late changelog reader");
    }

    /** The live rows of the table's latest version: key to {@code seq}. */
    private static Map<Long, Long> tableContent(Path table) throws Exception {
        try (KilnTableReader reader = KilnTableReader.open(table)) {
            return content(reader.latest());
        }
    }

    private static Map<Long, Long> content(KilnTableReader.Version version) {
        Map<Long, Long> content = new HashMap<>();
        try (CloseableIterator<RowData> rows = version.scan()) {
            rows.forEachRemaining(row -> content.put(row.getLong(0), row.getLong(1)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return content;
    }

    /**
     * Asserts that the map materialised up to a savepoint (a consistent cut of the reader) holds,
     * in each bucket, the table's rows of some version {@code v}: each key's row of {@code v} or,
     * for the keys of a version's changes the savepoint fell within, of {@code v + 1}. A change
     * lost or applied twice leaves a key matching neither.
     */
    private static void assertEachBucketHoldsAVersionOfTheTable(Path table, Map<Long, Long> cut)
            throws Exception {
        KilnTable kiln = KilnTable.open(table);
        List<List<Long>> bucketKeys = new java.util.ArrayList<>();
        for (int b = 0; b < BUCKETS; b++) {
            bucketKeys.add(new java.util.ArrayList<>());
        }
        for (long key = 0; key < KEYS; key++) {
            int bucket =
                    dev.kiln.format.KeyCodec.bucket(kiln.options().keyCodec().encode(key), BUCKETS);
            bucketKeys.get(bucket).add(key);
        }
        java.util.Set<Integer> unmatched = new java.util.TreeSet<>();
        for (int b = 0; b < BUCKETS; b++) {
            unmatched.add(b);
        }
        try (KilnTableReader reader = KilnTableReader.open(table)) {
            Map<Long, Long> newer = null;
            for (long v = reader.latest().number(); v >= 0 && !unmatched.isEmpty(); v--) {
                Map<Long, Long> rows;
                try {
                    rows = content(reader.version(v));
                } catch (VersionExpiredException expired) {
                    break;
                }
                for (java.util.Iterator<Integer> it = unmatched.iterator(); it.hasNext(); ) {
                    Map<Long, Long> next = newer;
                    if (bucketKeys.get(it.next()).stream()
                            .allMatch(
                                    k ->
                                            java.util.Objects.equals(cut.get(k), rows.get(k))
                                                    || next != null
                                                            && java.util.Objects.equals(
                                                                    cut.get(k), next.get(k)))) {
                        it.remove();
                    }
                }
                newer = rows;
            }
        }
        assertThat(unmatched)
                .as("buckets whose materialised rows at the savepoint are no version's")
                .isEmpty();
    }

    /**
     * Fails its task once, after {@link #FAIL_AT} changes and a completed checkpoint (so the
     * restart restores the source's positions); completes {@link #midway} after {@link
     * #SAVEPOINT_AT}.
     */
    private static final class FailOnce extends RichMapFunction<RowData, RowData>
            implements CheckpointListener {
        private static final long serialVersionUID = 1L;

        private transient boolean checkpointed;

        @Override
        public RowData map(RowData row) {
            long count = seen.incrementAndGet();
            if (count >= FAIL_AT && checkpointed && !failed.getAndSet(true)) {
                throw new IllegalStateException("injected failover of the changelog reader");
            }
            if (count >= SAVEPOINT_AT && failed.get()) {
                midway.complete(null);
            }
            return row;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }

    /**
     * Checks each key's changes against the writer's (in RocksDB state: the number of the key's
     * next write, or -1 if not known) and passes {@code (key, seq)}, or {@code (key, -1)} for a
     * delete, on. A violation is recorded and fails the job.
     */
    private static final class Materialiser
            extends KeyedProcessFunction<Long, RowData, Tuple2<Long, Long>> {
        private static final long serialVersionUID = 1L;

        private final boolean late;
        private transient ValueState<Long> next;

        Materialiser(boolean late) {
            this.late = late;
        }

        @Override
        public void open(OpenContext context) {
            next = getRuntimeContext().getState(new ValueStateDescriptor<>("next", Types.LONG));
        }

        @Override
        public void processElement(RowData row, Context context, Collector<Tuple2<Long, Long>> out)
                throws Exception {
            long key = row.getLong(0);
            Long expected = next.value();
            boolean known = expected != null && expected >= 0;
            switch (row.getRowKind()) {
                case INSERT:
                case UPDATE_AFTER:
                    {
                        long seq = row.getLong(1);
                        long n = seq / KEYS;
                        check(seq % KEYS == key && !isDelete(seq), key, "a row not written", row);
                        if (row.getRowKind() == org.apache.flink.types.RowKind.INSERT) {
                            check(expected == null, key, "a snapshot row after changes", row);
                            (late ? lateSnapshotRows : snapshotRows).incrementAndGet();
                        } else if (known) {
                            check(n == expected, key, "write " + n + ", expected " + expected, row);
                        } else {
                            check(
                                    n == 0 || isDelete(seq - KEYS),
                                    key,
                                    "a first change that skips write " + (n - 1),
                                    row);
                        }
                        next.update(n + 1);
                        out.collect(Tuple2.of(key, seq));
                        break;
                    }
                case DELETE:
                    check(row.isNullAt(1) && row.isNullAt(2), key, "a delete with values", row);
                    if (known) {
                        check(
                                isDelete(key + expected * KEYS),
                                key,
                                "a delete where write " + expected + " is an upsert",
                                row);
                        next.update(expected + 1);
                    } else {
                        next.update(-1L);
                    }
                    out.collect(Tuple2.of(key, -1L));
                    break;
                default:
                    check(false, key, "an unexpected row kind", row);
            }
        }

        private static void check(boolean ok, long key, String what, RowData row) {
            if (!ok) {
                String violation = "key " + key + ": " + what + " (" + row + ")";
                violations.add(violation);
                throw new IllegalStateException(violation);
            }
        }
    }

    /**
     * Writes each change into {@link #materialised} (or {@link #lateMaterialised}). Not
     * transactional: a failover's replay writes the same changes again, in order, which leaves the
     * same final content.
     */
    private static final class MapSink implements Sink<Tuple2<Long, Long>> {
        private static final long serialVersionUID = 1L;

        private final boolean late;

        MapSink(boolean late) {
            this.late = late;
        }

        @Override
        public SinkWriter<Tuple2<Long, Long>> createWriter(WriterInitContext context) {
            Map<Long, Long> target = late ? lateMaterialised : materialised;
            return new SinkWriter<>() {
                @Override
                public void write(Tuple2<Long, Long> change, Context context) {
                    if (change.f1 < 0) {
                        target.remove(change.f0);
                    } else {
                        target.put(change.f0, change.f1);
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
