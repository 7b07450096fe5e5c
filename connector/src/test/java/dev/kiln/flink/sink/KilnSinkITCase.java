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

package dev.kiln.flink.sink;

import dev.kiln.TemporaryDirectories;
import dev.kiln.flink.data.InvalidRowException;
import dev.kiln.flink.data.RowDataConverter;
import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.kiln.flink.sink.SinkTestData.KEY;
import static dev.kiln.flink.sink.SinkTestData.ROW_TYPE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Exactly once through failures injected in the writer and the committer. */
class KilnSinkITCase {

    @RegisterExtension static final S3Loopback S3 = new S3Loopback();

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(clusterConfig())
                            .build());

    @TempDir java.nio.file.Path dir;

    /** The ITCases' cluster, retaining checkpoints for the rollback test to restore. */
    private static Configuration clusterConfig() {
        Configuration config = SinkTestData.clusterConfig(checkpoints());
        config.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 100);
        return METRICS.addToConfiguration(config);
    }

    private static java.nio.file.Path checkpoints() {
        return TemporaryDirectories.create("kiln-checkpoints");
    }

    @BeforeEach
    void reset() {
        FaultInjectingFileSystem.reset();
        S3.proxy().clearFaults();
        S3.proxy().clear();
    }

    /** Requests {@code which} accepts, from the {@code n}-th on (counting from 1). */
    private static Predicate<Request> fromThe(int n, Predicate<Request> which) {
        AtomicInteger seen = new AtomicInteger();
        return r -> which.test(r) && seen.incrementAndGet() >= n;
    }

    @Test
    void exactlyOnceOnS3ThroughFaultsOnTheWire() throws Exception {
        // The bucket without client retries: every fault reaches Kiln. A throttled generation
        // upload fails the writer, a throttled manifest PUT fails the committer (both restart
        // from the last checkpoint), a manifest PUT whose answer is lost is recognised, and a
        // connection dropped mid-body fails a warm (best effort) or is resumed.
        Path table = S3.root(S3Loopback.NO_RETRY_BUCKET, "sink");
        long n = 3_000;
        Predicate<Request> dataPut = r -> r.isPut() && r.path().contains("/data/bucket-");
        Predicate<Request> manifestPut =
                r -> r.isPut() && r.path().contains("/_kiln/manifests/manifest-");
        S3.proxy().inject(Fault.SLOW_DOWN_503, fromThe(5, dataPut), 1);
        S3.proxy().inject(Fault.LOSE_RESPONSE, fromThe(3, manifestPut), 1);
        S3.proxy().inject(Fault.SLOW_DOWN_503, fromThe(6, manifestPut), 1);
        S3.proxy().dropMidBody(fromThe(2, r -> r.isGet() && r.path().contains("/data/")), 1, 100);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(100);
        SinkTestData.events(env, 0, n, 300, SinkTestData.from(0))
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .build())
                .uid("kiln-it");
        env.execute("exactly once on s3");

        assertThat(S3.proxy().injected()).isEqualTo(4);
        SinkTestData.assertTableHoldsLastWrites(table, n);
        assertThat(KilnTable.open(table).latestManifest().version()).isGreaterThan(6);
    }

    @Test
    void exactlyOnceThroughWriterAndCommitterFailures() throws Exception {
        Path table = FaultInjectingFileSystem.path(dir.resolve("t"));
        long n = 6_000;
        FaultInjectingFileSystem.tearDataFileCreate(9);
        FaultInjectingFileSystem.failManifestRenameBefore(3);
        FaultInjectingFileSystem.failManifestRenameAfter(6);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(100);
        SinkTestData.events(env, 0, n, 400, SinkTestData.from(0))
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .build())
                .uid("kiln-it");
        env.execute("exactly once");

        assertThat(FaultInjectingFileSystem.injectedFaults()).isEqualTo(3);
        SinkTestData.assertTableHoldsLastWrites(table, n);
        assertThat(KilnTable.open(table).latestManifest().version()).isGreaterThan(6);
    }

    private static volatile long stopAt = Long.MAX_VALUE;
    private static volatile CountDownLatch reached = new CountDownLatch(1);

    @Test
    void savepointRedeployAtAnotherParallelismLosesAndRepeatsNothing() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        long n = 6_000;
        String savepoint = runUntil(table, n, 2, null, 2_000, "kiln-it");
        savepoint = runUntil(table, n, 3, savepoint, 4_000, "kiln-it");
        runUntil(table, n, 1, savepoint, Long.MAX_VALUE, "kiln-it");

        SinkTestData.assertTableHoldsLastWrites(table, n);
    }

    private static final AtomicLong firstIndex = new AtomicLong();
    private static volatile long valueOffset;
    private static volatile CountDownLatch savepointAt = new CountDownLatch(1);
    private static volatile CountDownLatch cancelAt = new CountDownLatch(1);

    /**
     * A rollback: run A takes a savepoint, commits on past it and is cancelled; the job is then
     * restored from that savepoint twice (each run to its end, so its end-of-input commit comes
     * after a restore too), and once from a retained checkpoint older than A's last commit. Every
     * run writes its own values; each key from the position a run starts at holds that run's value,
     * so a checkpoint of a restored run taken for a replay of run A's shows as A's values.
     */
    @Test
    void rollbackToAnOlderSavepointOrCheckpointSkipsNothingTheRestoredRunWrites() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        java.nio.file.Path retained = dir.resolve("retained");
        int n = 2_000;
        Configuration runA = new Configuration();
        runA.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, retained.toUri().toString());
        runA.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        savepointAt = new CountDownLatch(1);
        cancelAt = new CountDownLatch(1);
        JobClient a = startDistinctKeys(table, n, runA, 0);
        dev.kiln.Latches.await(savepointAt);
        String savepoint =
                a.triggerSavepoint(
                                dir.resolve("savepoints").toUri().toString(),
                                SavepointFormatType.CANONICAL)
                        .get();
        dev.kiln.Latches.await(cancelAt);
        a.cancel().get();
        long committedByA = KilnTable.open(table).latestManifest().version();

        for (int run = 1; run <= 2; run++) {
            Configuration restore = new Configuration();
            restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            startDistinctKeys(table, n, restore, run).getJobExecutionResult().get();
            assertEachKeyHoldsTheValueOfTheLastRunThatWroteIt(table, n, run);
        }

        List<java.nio.file.Path> checkpoints;
        try (Stream<java.nio.file.Path> chk = Files.walk(retained, 2)) {
            checkpoints =
                    chk.filter(p -> p.getFileName().toString().startsWith("chk-"))
                            .sorted(
                                    Comparator.comparingLong(
                                            p ->
                                                    Long.parseLong(
                                                            p.getFileName()
                                                                    .toString()
                                                                    .substring(4))))
                            .collect(Collectors.toList());
        }
        assertThat(checkpoints).as("run A's retained checkpoints").hasSizeGreaterThan(2);
        Configuration fromCheckpoint = new Configuration();
        fromCheckpoint.set(
                StateRecoveryOptions.SAVEPOINT_PATH, checkpoints.get(1).toUri().toString());
        startDistinctKeys(table, n, fromCheckpoint, 3).getJobExecutionResult().get();
        assertEachKeyHoldsTheValueOfTheLastRunThatWroteIt(table, n, 3);

        assertThat(KilnTable.open(table).latestManifest().version()).isGreaterThan(committedByA);
        SinkTestData.assertNoGenerationAddedTwice(KilnTable.open(table));
    }

    /**
     * Starts a job writing key {@code i} with value {@code i + run * 1_000_000} for events {@code
     * [0, n)}, 100 per checkpoint, noting the first index it emits; run 0 counts down {@link
     * #savepointAt} at event 600 and {@link #cancelAt} at event 1400.
     */
    private static JobClient startDistinctKeys(Path table, int n, Configuration config, int run)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(2);
        env.enableCheckpointing(50);
        firstIndex.set(Long.MAX_VALUE);
        valueOffset = run * 1_000_000L;
        SinkTestData.events(
                        env,
                        0,
                        n,
                        100,
                        index -> {
                            firstIndex.accumulateAndGet(index, Math::min);
                            if (index == 600) {
                                savepointAt.countDown();
                            } else if (index == 1_400) {
                                cancelAt.countDown();
                            }
                            return Tuple3.of(index, index + valueOffset, false);
                        })
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .compaction(false)
                                .build())
                .uid("kiln-it");
        return env.executeAsync("distinct keys, run " + run);
    }

    private static void assertEachKeyHoldsTheValueOfTheLastRunThatWroteIt(
            Path table, int n, int run) throws Exception {
        long first = firstIndex.get();
        assertThat(first).as("run %s restored past the start", run).isBetween(1L, n - 1L);
        Map<Long, Long> values = SinkTestData.latestValues(table, n);
        for (long key = first; key < n; key++) {
            assertThat(values.get(key))
                    .as("key %s, written by run %s after its restore at %s", key, run, first)
                    .isEqualTo(key + run * 1_000_000L);
        }
        for (long key = 0; key < first; key++) {
            assertThat(values.get(key)).as("key %s, before run %s's restore", key, run).isNotNull();
        }
    }

    /**
     * A sink without a uid runs (Flink's own sinks need none), and the job is redeployed from its
     * savepoint with a uid set: the savepoint's sink state (committables its completion already
     * committed, a committer id kept only for the log) is not needed, so the restore skips it with
     * {@code allowNonRestoredState}, and nothing is lost or committed twice.
     */
    @Test
    void aSinkWithoutUidRunsAndIsRedeployedWithOne() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        long n = 3_000;
        String savepoint = runUntil(table, n, 2, null, 1_500, null);
        runUntil(table, n, 2, savepoint, Long.MAX_VALUE, "kiln-it");

        SinkTestData.assertTableHoldsLastWrites(table, n);
    }

    /**
     * Runs the job at {@code parallelism} (from {@code savepoint} if not null, skipping state the
     * job does not have) with the sink's uid {@code uid} (none if null) until event {@code stop} is
     * generated, then stops it with a savepoint and returns that; or to its end.
     */
    private String runUntil(
            Path table, long n, int parallelism, String savepoint, long stop, String uid)
            throws Exception {
        Configuration config = new Configuration();
        if (savepoint != null) {
            config.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            config.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, true);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(config);
        env.setParallelism(parallelism);
        env.enableCheckpointing(100);
        stopAt = stop;
        reached = new CountDownLatch(1);
        SinkTestData.events(
                        env,
                        0,
                        n,
                        250,
                        index -> {
                            if (index == stopAt) {
                                reached.countDown();
                            }
                            return SinkTestData.event(index);
                        })
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(6)
                                .build())
                .uid(uid);
        JobClient job = env.executeAsync("redeploy at " + parallelism);
        if (stop == Long.MAX_VALUE) {
            job.getJobExecutionResult().get();
            return null;
        }
        dev.kiln.Latches.await(reached);
        return job.stopWithSavepoint(
                        false,
                        dir.resolve("savepoints").toUri().toString(),
                        SavepointFormatType.CANONICAL)
                .get();
    }

    @Test
    void aBoundedJobWithoutCheckpointsCommitsEverythingAtTheEnd() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        long n = 2_000;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        List<Tuple3<Long, Long, Boolean>> events = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            events.add(SinkTestData.event(i));
        }
        env.fromData(events)
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .build())
                .uid("kiln-it");
        JobID job = env.execute("no checkpoints").getJobID();

        SinkTestData.assertTableHoldsLastWrites(table, n);
        assertThat(sumOf(job, "numRecordsSend")).as("Flink's standard sink metric").isEqualTo(n);
        assertThat(sumOf(job, "numBytesSend"))
                .as("Flink's standard sink metric: the bytes of the generations flushed")
                .isPositive()
                .isEqualTo(sumOf(job, KilnSinkMetrics.BYTES_FLUSHED));
        assertThat(KilnTable.open(table).latestManifest().committed().values())
                .as("the end of input commits under checkpoint 1, not an end-of-input marker")
                .containsExactly(1L);

        // Flink's MetricQueryService (REST, web UI) keys gauges by object: one object shared by
        // the subtasks would show for one subtask only.
        List<Object> offHeap =
                METRICS.findMetrics(job, KilnSinkMetrics.OFF_HEAP_BYTES).entrySet().stream()
                        .filter(e -> e.getKey().endsWith("." + KilnSinkMetrics.OFF_HEAP_BYTES))
                        .map(e -> (Object) e.getValue())
                        .toList();
        assertThat(offHeap).as("the warm step's off-heap gauges, one per subtask").hasSize(2);
        assertThat(offHeap.get(0)).isNotSameAs(offHeap.get(1));
    }

    @Test
    void aNullKeyFailsTheJobNamingTheColumnAndLosesNothingCommitted() throws Exception {
        Path table = new Path(dir.resolve("t").toUri());
        long n = 1_000;
        List<Tuple3<Long, Long, Boolean>> events = new ArrayList<>();
        for (long i = 0; i < n; i++) {
            events.add(SinkTestData.event(i));
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.fromData(events)
                .sinkTo(
                        KilnSink.forType(table, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .build())
                .uid("kiln-it");
        env.execute("good rows");
        long version = KilnTable.open(table).latestManifest().version();

        Configuration noRestarts = new Configuration();
        noRestarts.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment bad =
                StreamExecutionEnvironment.getExecutionEnvironment(noRestarts);
        bad.setParallelism(2);
        bad.fromData(List.of(Tuple3.of(1L, 5L, false), Tuple3.of(-1L, 6L, false)))
                .sinkTo(KilnSink.forType(table, ROW_TYPE, KEY, new NullKeyForMinusOne()).build())
                .uid("kiln-it");
        assertThatThrownBy(() -> bad.execute("a null key"))
                .satisfies(
                        e ->
                                assertThat(
                                                ExceptionUtils.findThrowable(
                                                        e, InvalidRowException.class))
                                        .hasValueSatisfying(
                                                invalid ->
                                                        assertThat(invalid.getMessage())
                                                                .contains("id")));

        assertThat(KilnTable.open(table).latestManifest().version()).isEqualTo(version);
        SinkTestData.assertTableHoldsLastWrites(table, n);
    }

    /** Returns the sum of the counters named {@code name} of {@code job}'s subtasks. */
    private static long sumOf(JobID job, String name) {
        return METRICS.findMetrics(job, name).entrySet().stream()
                .filter(e -> e.getKey().endsWith("." + name))
                .mapToLong(e -> ((Counter) e.getValue()).getCount())
                .sum();
    }

    /** The test converter, with key -1 written as a null key. */
    private static final class NullKeyForMinusOne
            implements RowDataConverter<Tuple3<Long, Long, Boolean>> {
        private static final long serialVersionUID = 1L;

        @Override
        public RowData convert(Tuple3<Long, Long, Boolean> event) {
            RowData row = SinkTestData.toRow(event);
            if (event.f0 == -1L) {
                ((GenericRowData) row).setField(0, null);
            }
            return row;
        }
    }
}
