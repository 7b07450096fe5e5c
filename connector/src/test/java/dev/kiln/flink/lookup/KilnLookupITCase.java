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

package dev.kiln.flink.lookup;

import dev.kiln.TemporaryDirectories;
import dev.kiln.flink.data.PageRowView;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.flink.runtime.MemoryCheck;
import dev.kiln.flink.sink.KilnSink;
import dev.kiln.flink.sink.SinkTestData;
import dev.kiln.table.KilnTable;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lookups in a MiniCluster job (RocksDB, checkpoints) interleaved with commits to the table: a map
 * before the lookup commits a new version every {@value #COMMIT_EVERY} probes.
 */
class KilnLookupITCase {

    /** The TaskManager's task off-heap memory: less than one table's default cache bound. */
    private static final MemorySize TASK_OFF_HEAP = MemorySize.parse("64m");

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(METRICS.addToConfiguration(clusterConfig()))
                            .build());

    private static final int COMMIT_EVERY = 50;
    private static final long PROBES = 3_000;

    /**
     * Keys 0..99 never change; 100..139 change at every commit; 140..149 are deleted at commit 5;
     * 150..159 never exist.
     */
    private static final long KEYS = 160;

    private static volatile TestTable table;

    private static final long MB = 1L << 20;

    /** Holds the last probe of {@link #gaugesShowKilnsOffHeapMemoryWhileLookupsRun} back. */
    private static volatile CountDownLatch lastProbe;

    /**
     * Holds the second probe of {@link
     * #aLookupJoinOverATableLargerThanMemoryIsAnsweredFromTheDiskTier} back.
     */
    private static volatile CountDownLatch firstAnswer;

    @TempDir java.nio.file.Path dir;

    @Test
    void lookupsThroughCommitsAreExactForStableKeysAndMonotonicForChangingOnes() throws Exception {
        table = TestTable.create(dir.resolve("t"), 4);
        try {
            for (long id = 0; id < 100; id++) {
                table.upsert(1000 + id, id);
            }
            table.upsert(0, LongStream.range(100, 140).toArray());
            table.upsert(7, LongStream.range(140, 150).toArray());

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(100);
            DataStream<Tuple3<Long, Long, Long>> probes =
                    env.fromSequence(0, PROBES - 1)
                            .setParallelism(1)
                            .map(new CommittingProbes())
                            .setParallelism(1)
                            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG));
            KilnLookup.KeyFunction<Tuple3<Long, Long, Long>> keyOf = probe -> probe.f1;
            LookupOptions options =
                    LookupOptions.builder()
                            .pollInterval(Duration.ofMillis(5))
                            .batchMaxSize(16)
                            .build();
            DataStream<Tuple4<Long, Long, Long, Long>> answers =
                    AsyncDataStream.orderedWait(
                            KilnLookup.partitionByBucket(probes, keyOf, table.root()),
                            KilnLookup.builder(table.root())
                                    .options(options)
                                    .partitionedByBucket()
                                    .keyOf(keyOf)
                                    .build(
                                            (probe, row) ->
                                                    Tuple4.of(
                                                            probe.f0,
                                                            probe.f1,
                                                            probe.f2,
                                                            row == null ? -1L : row.getLong(2)),
                                            Types.TUPLE(
                                                    Types.LONG,
                                                    Types.LONG,
                                                    Types.LONG,
                                                    Types.LONG)),
                            30,
                            TimeUnit.SECONDS,
                            100);
            List<Tuple4<Long, Long, Long, Long>> results = new ArrayList<>();
            CloseableIterator<Tuple4<Long, Long, Long, Long>> collected = answers.collectAsync();
            JobClient job = env.executeAsync("lookups through commits");
            collected.forEachRemaining(results::add);
            job.getJobExecutionResult().get();

            assertThat(results).hasSize((int) PROBES);
            results.sort(Comparator.comparing(r -> r.f0));
            long commits = PROBES / COMMIT_EVERY;
            Map<Long, Long> lastValue = new HashMap<>();
            for (Tuple4<Long, Long, Long, Long> r : results) {
                long id = r.f1;
                long value = r.f3;
                if (id < 100) {
                    assertThat(value).as("stable key %d", id).isEqualTo(1000 + id);
                } else if (id < 140) {
                    assertThat(value).as("changing key %d", id).isBetween(0L, commits);
                } else if (id < 150) {
                    assertThat(value).as("deleted key %d", id).isIn(7L, -1L);
                } else {
                    assertThat(value).as("missing key %d", id).isEqualTo(-1L);
                }
                if (id >= 100 && id < 150) {
                    Long last = lastValue.put(id, value);
                    if (last != null) {
                        // Never backwards: a deleted key stays deleted, a changing key only grows.
                        if (id >= 140 && last == -1L) {
                            assertThat(value).as("key %d", id).isEqualTo(-1L);
                        } else if (id < 140) {
                            assertThat(value).as("key %d", id).isGreaterThanOrEqualTo(last);
                        }
                    }
                }
            }
            assertThat(KilnCacheRegistry.instance().openCaches()).isZero();

            // Warm before swap, exactly: not one lookup of the job needed a storage read, though
            // every one of its 60 commits added generations while lookups ran.
            JobID id = job.getJobID();
            assertThat(sum(id, "lookups")).isEqualTo(PROBES);
            assertThat(sum(id, "coldReads")).isZero();
            assertThat(sum(id, "hits")).isEqualTo(PROBES);
            assertThat(sum(id, "coldGenerations")).isZero();
            assertThat(sum(id, "followerFailures")).isZero();
            assertThat(sum(id, "swaps")).isGreaterThan(2);
            assertThat(sum(id, "warmsWarmed") + sum(id, "warmsAlreadyWarm")).isPositive();
            // Every metric of docs/lookup.md is registered (sum() fails on a missing one).
            for (String name :
                    List.of(
                            "inlineHits",
                            "notOwnedLookups",
                            "batches",
                            "pageLoads",
                            "pageJoins",
                            "pageHits",
                            "generationOpens",
                            "storageRequests",
                            "diskHits",
                            "diskBytes",
                            "diskEvictions",
                            "diskCopyFailures",
                            "diskDamagedCopies",
                            "snapshotVersion",
                            "versionLag",
                            "warmBeforeSwapNanos",
                            "warmsFailed",
                            "warmsTimedOut")) {
                sum(id, name);
            }
            assertThat(sum(id, "lookupFailures")).isZero();
            assertThat(sum(id, "inlineHits")).isPositive().isLessThanOrEqualTo(PROBES);
        } finally {
            table.close();
            table = null;
        }
    }

    /**
     * One job writes the table with the Kiln sink (a version per checkpoint, warm before commit in
     * the TaskManager's shared cache) while it looks keys up: every answer is a row the sink wrote
     * for that key, a key's answers never go back in time, and no lookup reads storage.
     */
    @Test
    void lookupsOfATableTheSameJobWritesWithTheKilnSinkMakeNoColdRead() throws Exception {
        Path path = new Path(dir.resolve("sunk").toUri());
        long writes = 6_000;
        long probes = 3_000;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(100);
        SinkTestData.events(env, 0, writes, 300, SinkTestData.from(0))
                .sinkTo(
                        KilnSink.forType(
                                        path,
                                        SinkTestData.ROW_TYPE,
                                        SinkTestData.KEY,
                                        new SinkTestData.Converter())
                                .bucketCount(4)
                                .expireVersions(1_000, Duration.ofHours(1))
                                .build())
                .uid("kiln-sink");

        DataStream<Long> probeStream =
                env.fromSource(
                                new DataGeneratorSource<>(
                                        seq -> seq,
                                        probes,
                                        RateLimiterStrategy.perSecond(1_000),
                                        Types.LONG),
                                WatermarkStrategy.noWatermarks(),
                                "probes")
                        .setParallelism(1);
        KilnLookup.KeyFunction<Long> keyOf = seq -> seq % SinkTestData.KEYS;
        DataStream<Tuple3<Long, Long, Long>> answers =
                AsyncDataStream.orderedWait(
                        KilnLookup.partitionByBucket(probeStream, keyOf, path),
                        KilnLookup.builder(path)
                                .options(
                                        LookupOptions.builder()
                                                .pollInterval(Duration.ofMillis(5))
                                                .batchMaxSize(16)
                                                .build())
                                .partitionedByBucket()
                                .keyOf(keyOf)
                                .build(
                                        (seq, row) ->
                                                Tuple3.of(
                                                        seq,
                                                        seq % SinkTestData.KEYS,
                                                        row == null ? -1L : row.getLong(1)),
                                        Types.TUPLE(Types.LONG, Types.LONG, Types.LONG)),
                        30,
                        TimeUnit.SECONDS,
                        100);
        List<Tuple3<Long, Long, Long>> results = new ArrayList<>();
        CloseableIterator<Tuple3<Long, Long, Long>> collected = answers.collectAsync();
        JobClient job = env.executeAsync("kiln sink and lookups");
        collected.forEachRemaining(results::add);
        job.getJobExecutionResult().get();

        assertThat(results).hasSize((int) probes);
        results.sort(Comparator.comparing(r -> r.f0));
        Map<Long, Long> last = new HashMap<>();
        long found = 0;
        for (Tuple3<Long, Long, Long> r : results) {
            long value = r.f2;
            if (value >= 0) {
                found++;
                // A row the sink wrote for this key: event value has key value mod KEYS.
                assertThat(value % SinkTestData.KEYS).as("probe %d", r.f0).isEqualTo(r.f1);
                assertThat(SinkTestData.event(value).f2).as("probe %d", r.f0).isFalse();
                Long previous = last.put(r.f1, value);
                if (previous != null) {
                    assertThat(value).as("key %d", r.f1).isGreaterThanOrEqualTo(previous);
                }
            }
        }
        assertThat(found).isPositive();
        JobID id = job.getJobID();
        assertThat(sum(id, "lookups")).isEqualTo(probes);
        assertThat(sum(id, "coldReads")).isZero();
        assertThat(sum(id, "coldGenerations")).isZero();
        assertThat(sum(id, "swaps")).isGreaterThan(2);
        // The sink warmed every generation in the shared cache before committing it: the
        // follower's warms found them all warm.
        assertThat(sum(id, "warmsWarmed")).isZero();
        assertThat(sum(id, "warmsAlreadyWarm")).isPositive();
        assertThat(KilnTable.open(path).latestManifest().version()).isGreaterThan(5);

        // The metrics tables of docs/sink.md and docs/lookup.md (which docs/operations.md links)
        // name exactly what the sink's operators and the lookup function register.
        Set<String> registered = new TreeSet<>();
        for (String identifier :
                METRICS.findMetrics(id, "\\.kiln(\\.[A-Za-z]+|[A-Z][A-Za-z]*)$").keySet()) {
            registered.add(identifier.substring(identifier.lastIndexOf('.') + 1));
        }
        Set<String> documented = new TreeSet<>();
        documented.addAll(documentedMetrics("sink.md"));
        documented.addAll(documentedMetrics("lookup.md"));
        assertThat(registered).isEqualTo(documented);
    }

    /** The metric names in the table of the "## Metrics" section of a page of {@code docs/}. */
    private static Set<String> documentedMetrics(String page) throws IOException {
        Set<String> names = new TreeSet<>();
        boolean inSection = false;
        for (String line : Files.readAllLines(java.nio.file.Path.of("..", "docs", page))) {
            if (line.startsWith("## ")) {
                inSection = line.equals("## Metrics");
            } else if (inSection && line.startsWith("| ") && !line.startsWith("| ---")) {
                Matcher name = Pattern.compile("`([A-Za-z]+)`").matcher(line);
                while (name.find()) {
                    names.add(name.group(1));
                }
            }
        }
        assertThat(names).as("metrics documented in docs/%s", page).isNotEmpty();
        return names;
    }

    /**
     * The TaskManager declares 64 mb of task off-heap memory, less than a default cache (256 mb):
     * with {@link MemoryCheck#FAIL} the job fails at the lookup function's open, naming both
     * settings (Flink hands a {@code RichAsyncFunction} a wrapper of the operator's context).
     */
    @Test
    void aCacheBoundOverTheTaskManagersTaskOffHeapFailsTheJobWithFail() throws Exception {
        TestTable written = TestTable.create(dir.resolve("big"), 4);
        try {
            written.upsert(1, LongStream.range(0, 10).toArray());
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            KilnLookup.KeyFunction<Long> keyOf = id -> id;
            AsyncDataStream.orderedWait(
                            env.fromSequence(0, 9),
                            KilnLookup.builder(written.root())
                                    .options(
                                            LookupOptions.builder()
                                                    .cacheSettings(
                                                            CacheSettings.builder()
                                                                    .memoryCheck(MemoryCheck.FAIL)
                                                                    .build())
                                                    .build())
                                    .keyOf(keyOf)
                                    .build((id, row) -> id, Types.LONG),
                            30,
                            TimeUnit.SECONDS)
                    .sinkTo(new DiscardingSink<>());
            assertThatThrownBy(() -> env.execute("over budget"))
                    .satisfies(
                            e ->
                                    assertThat(ExceptionUtils.stringifyException(e))
                                            .contains(
                                                    "IllegalConfigurationException: Kiln's page"
                                                            + " caches")
                                            .contains("cache.page-bytes = 256 mb")
                                            .contains(
                                                    "taskmanager.memory.task.off-heap.size = 64"
                                                            + " mb")
                                            .contains("cache.memory-check = FAIL"));
            assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
        } finally {
            written.close();
        }
    }

    /**
     * Kiln's off-heap memory in Flink's metrics: while a lookup job runs (its last probe held back
     * by a latch), the lookup operator's {@code offHeapBytes} shows the pages its cache holds and
     * {@code offHeapBoundBytes} the cache's bound (16 mb, within the TaskManager's 64 mb: {@link
     * MemoryCheck#FAIL} lets it run).
     */
    @Test
    void gaugesShowKilnsOffHeapMemoryWhileLookupsRun() throws Exception {
        TestTable written = TestTable.create(dir.resolve("gauged"), 4);
        lastProbe = new CountDownLatch(1);
        JobClient job = null;
        try {
            written.upsert(1, LongStream.range(0, 500).toArray());
            long probes = 1_000;
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(1);
            env.disableOperatorChaining(); // the held probe must not block the lookup's task
            DataStream<Long> ids =
                    env.fromSequence(0, probes - 1)
                            .map(
                                    id -> {
                                        if (id == probes - 1) {
                                            lastProbe.await();
                                        }
                                        return id;
                                    })
                            .returns(Types.LONG);
            KilnLookup.KeyFunction<Long> keyOf = id -> id;
            DataStream<Long> answers =
                    AsyncDataStream.orderedWait(
                            ids,
                            KilnLookup.builder(written.root())
                                    .options(
                                            LookupOptions.builder()
                                                    .cacheSettings(
                                                            CacheSettings.builder()
                                                                    .maximumPageBytes(16 * MB)
                                                                    .memoryCheck(MemoryCheck.FAIL)
                                                                    .build())
                                                    .build())
                                    .keyOf(keyOf)
                                    .build((id, row) -> row == null ? -1L : id, Types.LONG),
                            30,
                            TimeUnit.SECONDS);
            CloseableIterator<Long> collected = answers.collectAsync();
            job = env.executeAsync("gauged lookups");
            for (long i = 0; i < probes - 1; i++) {
                assertThat(collected.next()).isEqualTo(i < 500 ? i : -1L);
            }
            long bytes = sum(job.getJobID(), "offHeapBytes");
            long bound = sum(job.getJobID(), "offHeapBoundBytes");
            lastProbe.countDown();
            collected.forEachRemaining(answer -> {});
            job.getJobExecutionResult().get();

            assertThat(bound).isEqualTo(16 * MB);
            assertThat(bytes).isPositive().isLessThanOrEqualTo(bound);
        } finally {
            lastProbe.countDown();
            written.close();
        }
    }

    /**
     * The local-disk tier as a SQL user turns it on ({@code 'cache.disk.bytes'}, a small {@code
     * 'cache.page-bytes'}): a lookup join over a table many times the page-cache bound answers
     * every probe right (present and absent keys) from the disk tier the warm before the first swap
     * filled, without one storage request after that warm; the metrics show it (read while the job
     * runs: a latch holds the probe after the first, and the last), and the tier's folder is
     * deleted when the job ends.
     */
    @Test
    void aLookupJoinOverATableLargerThanMemoryIsAnsweredFromTheDiskTier() throws Exception {
        long rows = 30_000;
        long probes = 3_000;
        long pageBytes = 256 << 10;
        java.nio.file.Path diskDir = dir.resolve("disk");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.disableOperatorChaining(); // a held probe must not block the lookup's task
        StreamTableEnvironment sql = StreamTableEnvironment.create(env);
        sql.executeSql(
                "CREATE TABLE wide (id BIGINT, payload STRING, PRIMARY KEY (id) NOT ENFORCED)"
                        + " WITH ('connector' = 'kiln', 'path' = '"
                        + dir.resolve("wide").toUri()
                        + "', 'bucket' = '4', 'write.page-size' = '16 kb',"
                        // Uncompressed, so the table's bytes on storage (which the disk tier holds)
                        // stay many times the page-cache bound.
                        + " 'write.compression' = 'none',"
                        + " 'cache.page-bytes' = '"
                        + pageBytes
                        + " b', 'cache.disk.bytes' = '64 mb', 'cache.disk.dir' = '"
                        + diskDir
                        + "')");
        sql.fromDataStream(
                        env.fromSequence(0, rows - 1)
                                .map(id -> Row.of(id, payload(id)))
                                .returns(
                                        Types.ROW_NAMED(
                                                new String[] {"id", "payload"},
                                                Types.LONG,
                                                Types.STRING)),
                        Schema.newBuilder()
                                .column("id", "BIGINT NOT NULL")
                                .column("payload", "STRING")
                                .build())
                .executeInsert("wide")
                .await();
        long tableBytes = 0;
        for (dev.kiln.table.GenerationRef generation :
                KilnTable.open(new Path(dir.resolve("wide").toUri()))
                        .latestManifest()
                        .generations()) {
            tableBytes += generation.sizeBytes();
        }
        assertThat(tableBytes).as("the table, in bytes").isGreaterThan(8 * pageBytes);

        firstAnswer = new CountDownLatch(1);
        lastProbe = new CountDownLatch(1);
        try {
            // Probe 0 has no key (answered without a lookup); 1.. spread over the keys, a tenth
            // of them never written.
            long keys = rows + rows / 10;
            sql.createTemporaryView(
                    "probes",
                    sql.fromDataStream(
                            env.fromSequence(0, probes - 1)
                                    .map(new HeldProbes(probes, keys))
                                    .returns(
                                            Types.ROW_NAMED(
                                                    new String[] {"seq", "id"},
                                                    Types.LONG,
                                                    Types.LONG)),
                            Schema.newBuilder()
                                    .columnByExpression("proc_time", "PROCTIME()")
                                    .build()));
            TableResult joined =
                    sql.executeSql(
                            "SELECT p.seq, p.id, w.payload FROM probes AS p LEFT JOIN wide FOR"
                                    + " SYSTEM_TIME AS OF p.proc_time AS w ON p.id = w.id");
            JobID job = joined.getJobClient().orElseThrow().getJobID();
            long found = 0;
            try (CloseableIterator<Row> answers = joined.collect()) {
                // The lookup function has opened, so its follower's warm of the first version
                // is done: the disk tier holds the table.
                assertThat(answers.next()).isEqualTo(Row.of(0L, null, null));
                long afterWarm = sum(job, "storageRequests");
                long hitsAfterWarm = sum(job, "diskHits");
                assertThat(sum(job, "diskBytes")).isGreaterThanOrEqualTo(tableBytes);
                firstAnswer.countDown();

                for (long seq = 1; seq < probes; seq++) {
                    if (seq == probes - 1) {
                        // Every probe but the held last one answered: the tier's figures now.
                        assertThat(sum(job, "storageRequests"))
                                .as("storage requests after the warm")
                                .isEqualTo(afterWarm);
                        assertThat(sum(job, "diskHits") - hitsAfterWarm)
                                .as("blocks the lookups read from disk")
                                .isPositive();
                        assertThat(sum(job, "diskBytes"))
                                .isGreaterThanOrEqualTo(tableBytes)
                                .isLessThanOrEqualTo(64 << 20);
                        assertThat(sum(job, "diskCopyFailures")).isZero();
                        assertThat(sum(job, "diskDamagedCopies")).isZero();
                        assertThat(sum(job, "offHeapBytes")).isLessThanOrEqualTo(pageBytes);
                        lastProbe.countDown();
                    }
                    Row answer = answers.next();
                    long id = HeldProbes.key(seq, keys);
                    assertThat(answer.getField(0)).isEqualTo(seq);
                    assertThat(answer.getField(1)).isEqualTo(id);
                    assertThat(answer.getField(2))
                            .as("probe %d, key %d", seq, id)
                            .isEqualTo(id < rows ? payload(id) : null);
                    if (id < rows) {
                        found++;
                    }
                }
                assertThat(answers.hasNext()).isFalse();
            }
            assertThat(found).isGreaterThan(probes / 2);
            assertThat(sum(job, "lookups")).isEqualTo(probes - 1);
            assertThat(sum(job, "lookupFailures")).isZero();
            assertThat(sum(job, "coldGenerations")).isZero();
            assertThat(sum(job, "storageRequests")).isPositive();
        } finally {
            firstAnswer.countDown();
            lastProbe.countDown();
        }
        // The last lease closed: the cache and its disk tier are gone, and so is the tier's folder.
        assertThat(KilnCacheRegistry.instance().openCaches()).isZero();
        try (java.util.stream.Stream<java.nio.file.Path> left =
                Files.list(diskDir.resolve("kiln-disk-cache"))) {
            assertThat(left).isEmpty();
        }
    }

    /** A row's payload: 96 letters, drawn from a generator seeded by its key. */
    private static String payload(long id) {
        java.util.Random random = new java.util.Random(id);
        char[] letters = new char[96];
        for (int i = 0; i < letters.length; i++) {
            letters[i] = (char) ('a' + random.nextInt(26));
        }
        return new String(letters);
    }

    /**
     * Emits probe {@code (seq, key)}; probe 0 has no key; probe 1 waits for {@link #firstAnswer}
     * and the last probe for {@link #lastProbe}.
     */
    private static final class HeldProbes implements MapFunction<Long, Row> {
        private final long probes;
        private final long keys;

        HeldProbes(long probes, long keys) {
            this.probes = probes;
            this.keys = keys;
        }

        static long key(long seq, long keys) {
            return seq * 7919 % keys;
        }

        @Override
        public Row map(Long seq) throws InterruptedException {
            if (seq == 1) {
                firstAnswer.await();
            } else if (seq == probes - 1) {
                lastProbe.await();
            }
            return Row.of(seq, seq == 0 ? null : key(seq, keys));
        }
    }

    /** The snippet of {@code docs/lookup.md}, run. */
    @Test
    void theDocumentedSnippetRuns() throws Exception {
        TestTable written = TestTable.create(dir.resolve("customers"), 4);
        try {
            written.upsert(1, LongStream.range(0, 500).toArray());
            Path customers = written.root();

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            DataStream<Long> customerIds = env.fromSequence(0, 999);

            KilnLookup.KeyFunction<Long> keyOf = id -> id;
            DataStream<String> names =
                    AsyncDataStream.orderedWait(
                            KilnLookup.partitionByBucket(customerIds, keyOf, customers),
                            KilnLookup.builder(customers)
                                    .options(
                                            LookupOptions.builder()
                                                    .pollInterval(Duration.ofMillis(200))
                                                    .build())
                                    .partitionedByBucket()
                                    .keyOf(keyOf)
                                    .build(
                                            (id, row) ->
                                                    row == null
                                                            ? id + ": none"
                                                            : id + ": " + row.getString(1),
                                            Types.STRING),
                            5,
                            TimeUnit.SECONDS,
                            1000);

            List<String> out = new ArrayList<>();
            names.executeAndCollect().forEachRemaining(out::add);
            List<String> expected = new ArrayList<>();
            for (long id = 0; id < 1000; id++) {
                expected.add(id + ": " + (id < 500 ? "n" + id : "none"));
            }
            assertThat(out).containsExactlyInAnyOrderElementsOf(expected);
        } finally {
            written.close();
        }
    }

    /**
     * The documented shape with Flink's object reuse enabled, in a MiniCluster (the function
     * serialized, opened by a real task): the result function reads the row found as a view of the
     * cached page on its hits, and every answer is the row's.
     */
    @Test
    void underObjectReuseTheResultFunctionReadsViewsInAJob() throws Exception {
        TestTable written = TestTable.create(dir.resolve("reused"), 4);
        try {
            written.upsert(3, LongStream.range(0, 500).toArray());
            Path customers = written.root();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.getConfig().enableObjectReuse();
            env.setParallelism(2);
            KilnLookup.KeyFunction<Long> keyOf = id -> id;
            DataStream<String> names =
                    AsyncDataStream.orderedWait(
                            KilnLookup.partitionByBucket(
                                    env.fromSequence(0, 999), keyOf, customers),
                            KilnLookup.builder(customers)
                                    .partitionedByBucket()
                                    .keyOf(keyOf)
                                    .build(
                                            (id, row) ->
                                                    row == null
                                                            ? id + ": none"
                                                            : id
                                                                    + ": "
                                                                    + row.getString(1)
                                                                    + "/"
                                                                    + row.getLong(2)
                                                                    + (row instanceof PageRowView
                                                                            ? " (view)"
                                                                            : " (copy)"),
                                            Types.STRING),
                            5,
                            TimeUnit.SECONDS,
                            1000);
            List<String> out = new ArrayList<>();
            names.executeAndCollect().forEachRemaining(out::add);
            List<String> answers = new ArrayList<>();
            long views = 0;
            for (String answer : out) {
                views += answer.endsWith(" (view)") ? 1 : 0;
                answers.add(answer.replace(" (view)", "").replace(" (copy)", ""));
            }
            List<String> expected = new ArrayList<>();
            for (long id = 0; id < 1000; id++) {
                expected.add(id + ": " + (id < 500 ? "n" + id + "/3" : "none"));
            }
            assertThat(answers).containsExactlyInAnyOrderElementsOf(expected);
            // Warmed before the first lookup: the rows found are hits, read through views.
            assertThat(views).isPositive();
        } finally {
            written.close();
        }
    }

    /**
     * Emits probe {@code (seq, key, commits so far)}, committing a new version every {@value
     * #COMMIT_EVERY} probes: keys 100..139 take the commit's number, keys 140..149 go at commit 5.
     */
    private static final class CommittingProbes
            extends RichMapFunction<Long, Tuple3<Long, Long, Long>> {
        private long commits;

        @Override
        public Tuple3<Long, Long, Long> map(Long seq) throws IOException {
            if (seq > 0 && seq % COMMIT_EVERY == 0) {
                commits++;
                table.upsert(commits, LongStream.range(100, 140).toArray());
                if (commits == 5) {
                    table.delete(LongStream.range(140, 150).toArray());
                }
            }
            return Tuple3.of(seq, seq % KEYS, commits);
        }
    }

    /** Sums metric {@code kiln.<name>} over the subtasks of {@code job}. */
    private static long sum(JobID job, String name) {
        Map<String, Metric> metrics =
                METRICS.findMetrics(job, KilnLookupFunction.METRIC_GROUP + "\\." + name + "$");
        assertThat(metrics).as(name).isNotEmpty();
        long total = 0;
        for (Metric metric : metrics.values()) {
            total +=
                    metric instanceof Counter counter
                            ? counter.getCount()
                            : ((Number) ((Gauge<?>) metric).getValue()).longValue();
        }
        System.out.println("kiln." + name + " = " + total);
        return total;
    }

    private static Configuration clusterConfig() {
        Configuration config = new Configuration();
        config.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        config.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        config.set(
                CheckpointingOptions.CHECKPOINTS_DIRECTORY,
                TemporaryDirectories.create("kiln-lookup-checkpoints").toUri().toString());
        config.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        config.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY, TASK_OFF_HEAP);
        return config;
    }
}
