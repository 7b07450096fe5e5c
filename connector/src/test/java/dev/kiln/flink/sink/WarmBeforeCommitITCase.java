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
import dev.kiln.cache.CacheStats;
import dev.kiln.flink.runtime.CacheSettings;
import dev.kiln.flink.runtime.KilnCacheRegistry;
import dev.kiln.s3.S3Loopback;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

import static dev.kiln.flink.sink.SinkTestData.KEY;
import static dev.kiln.flink.sink.SinkTestData.KEYS;
import static dev.kiln.flink.sink.SinkTestData.ROW_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

/** Warm before commit, observed exactly in a running job, on {@code file://} and {@code s3://}. */
class WarmBeforeCommitITCase {

    @RegisterExtension static final S3Loopback S3 = new S3Loopback();

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(SinkTestData.clusterConfig(checkpoints()))
                            .build());

    /** Warm end per resolved generation path, on {@link FaultInjectingFileSystem#TICKS}. */
    private static final Map<String, Long> WARM_ENDS = new ConcurrentHashMap<>();

    private static final AtomicInteger THROWN = new AtomicInteger();
    private static final AtomicInteger NEVER_STARTED = new AtomicInteger();

    @TempDir java.nio.file.Path dir;

    private static java.nio.file.Path checkpoints() {
        return TemporaryDirectories.create("kiln-checkpoints");
    }

    @BeforeEach
    void reset() {
        FaultInjectingFileSystem.reset();
        S3.proxy().clearFaults();
        WARM_ENDS.clear();
        THROWN.set(0);
        NEVER_STARTED.set(0);
    }

    /**
     * The table's root on {@code store}, and how to hear of each manifest publish at the moment it
     * becomes visible (the publisher still waiting): the local fault-injecting file system's
     * rename, or the S3 server's answer to the manifest's PUT, held back while the listener runs.
     */
    private Path root(String store) {
        return store.equals("s3")
                ? S3.root("warm")
                : FaultInjectingFileSystem.path(dir.resolve("t"));
    }

    private static void onPublish(String store, LongConsumer listener) {
        if (!store.equals("s3")) {
            FaultInjectingFileSystem.onPublish(listener);
            return;
        }
        S3.proxy()
                .afterSuccess(
                        r -> r.isPut() && r.path().contains("/_kiln/manifests/manifest-"),
                        r -> {
                            String name = r.path().substring(r.path().lastIndexOf('-') + 1);
                            long version = Long.parseLong(name.substring(0, name.indexOf('.')));
                            FaultInjectingFileSystem.PUBLISHED.add(
                                    new long[] {
                                        version, FaultInjectingFileSystem.TICKS.incrementAndGet()
                                    });
                            listener.accept(version);
                        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void everyGenerationIsWarmInTheSharedCacheBeforeItsManifestIsPublished(String store)
            throws Exception {
        Path tablePath = root(store);
        long n = 4_000;
        KilnSink<org.apache.flink.api.java.tuple.Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                        .bucketCount(4)
                        .addWarmer(
                                cache ->
                                        file ->
                                                cache.warmer()
                                                        .warm(file)
                                                        // Slower than a checkpoint's commit, so an
                                                        // early commit would be seen.
                                                        .thenRunAsync(
                                                                () -> {},
                                                                CompletableFuture.delayedExecutor(
                                                                        200, TimeUnit.MILLISECONDS))
                                                        .thenRun(
                                                                () ->
                                                                        WARM_ENDS.put(
                                                                                file.key(),
                                                                                FaultInjectingFileSystem
                                                                                        .TICKS
                                                                                        .incrementAndGet())))
                        .addWarmer(
                                cache ->
                                        file -> {
                                            THROWN.incrementAndGet();
                                            throw new IllegalStateException(
                                                    "injected warm failure");
                                        })
                        .build();
        KilnTable table = KilnTable.open(tablePath);
        List<String> coldAtPublish = new CopyOnWriteArrayList<>();
        try (KilnCacheRegistry.Lease lease =
                KilnCacheRegistry.instance().acquire(tablePath, CacheSettings.defaults())) {
            GenerationCache cache = lease.cache();
            onPublish(
                    store,
                    version -> {
                        try {
                            for (GenerationRef ref : table.manifest(version).generations()) {
                                if (!cache.warmGate().isWarm(table.resolve(ref.path()))) {
                                    coldAtPublish.add(ref.path());
                                }
                            }
                        } catch (IOException e) {
                            coldAtPublish.add("unreadable version " + version + ": " + e);
                        }
                    });

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(100);
            SinkTestData.events(env, 0, n, 400, SinkTestData.from(0)).sinkTo(sink).uid("kiln-it");
            env.execute("warm before commit");

            Manifest latest = table.latestManifest();
            assertThat(latest.version()).isGreaterThan(3);
            assertThat(coldAtPublish)
                    .as("generations cold in the shared cache at publish")
                    .isEmpty();
            Map<String, Long> firstVersion = SinkTestData.firstVersions(table);
            Map<Long, Long> publishTick = new java.util.HashMap<>();
            for (long[] published : FaultInjectingFileSystem.PUBLISHED) {
                publishTick.put(published[0], published[1]);
            }
            for (Map.Entry<String, Long> generation : firstVersion.entrySet()) {
                Long warmEnd = WARM_ENDS.get(table.resolve(generation.getKey()).toString());
                assertThat(warmEnd).as("warm end of %s", generation.getKey()).isNotNull();
                assertThat(warmEnd)
                        .as(
                                "%s warmed before version %s",
                                generation.getKey(), generation.getValue())
                        .isLessThan(publishTick.get(generation.getValue()));
            }
            assertThat(THROWN.get()).isEqualTo(firstVersion.size());

            CacheStats pagesBefore = cache.pageStats();
            CacheStats generationsBefore = cache.generationStats();
            List<byte[]> keys = new ArrayList<>();
            for (long k = 0; k < KEYS; k++) {
                keys.add(table.options().keyCodec().encode(k));
            }
            table.snapshot(cache).lookupAll(keys).get(1, TimeUnit.MINUTES);
            for (GenerationRef ref : latest.generations()) {
                cache.lookupAll(table.resolve(ref.path()), ref.sizeBytes(), keys)
                        .get(1, TimeUnit.MINUTES);
            }
            assertThat(cache.pageStats().missCount()).isEqualTo(pagesBefore.missCount());
            assertThat(cache.generationStats().missCount())
                    .isEqualTo(generationsBefore.missCount());
            assertThat(cache.pageStats().hitCount()).isGreaterThan(pagesBefore.hitCount());
        }
        SinkTestData.assertTableHoldsLastWrites(tablePath, n);
    }

    /**
     * Write-through: with the writer and the warm step in one TaskManager, the warms of a job's
     * generations make no storage request (the shared cache's reader counts every request it makes,
     * for anyone); without it, they read every generation back.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(120)
    void warmsOfGenerationsWrittenThroughMakeNoStorageRequest(boolean writeThrough)
            throws Exception {
        Path tablePath = new Path(dir.resolve("t").toUri());
        long n = 4_000;
        KilnSink<org.apache.flink.api.java.tuple.Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                        .bucketCount(4)
                        .compaction(false)
                        .writeThrough(writeThrough)
                        .build();
        try (KilnCacheRegistry.Lease lease =
                KilnCacheRegistry.instance().acquire(tablePath, CacheSettings.defaults())) {
            GenerationCache cache = lease.cache();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(100);
            SinkTestData.events(env, 0, n, 400, SinkTestData.from(0)).sinkTo(sink).uid("kiln-it");
            env.execute("write-through");

            KilnTable table = KilnTable.open(tablePath);
            int generations = SinkTestData.firstVersions(table).size();
            assertThat(generations).isGreaterThan(4);
            for (GenerationRef ref : table.latestManifest().generations()) {
                assertThat(cache.warmGate().isWarm(table.resolve(ref.path()))).isTrue();
            }
            if (writeThrough) {
                assertThat(cache.warmStorageReads()).isZero();
                assertThat(lease.storageRequests()).isZero();
                assertThat(cache.writeThroughBytes()).isZero();
            } else {
                assertThat(cache.warmStorageReads()).isGreaterThanOrEqualTo(2L * generations);
                assertThat(lease.storageRequests()).isEqualTo(cache.warmStorageReads());
            }
        }
        SinkTestData.assertTableHoldsLastWrites(tablePath, n);
    }

    /**
     * With compaction on, the writers' compactions hand their outputs over as their flushes do: no
     * warm in this TaskManager (the MiniCluster's one) reads storage, compacted generations
     * included; without write-through, they read every generation back.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    @Timeout(120)
    void warmsOfCompactionOutputsWrittenThroughMakeNoStorageRequest(boolean writeThrough)
            throws Exception {
        Path tablePath = new Path(dir.resolve("t").toUri());
        long n = 6_000;
        KilnSink<org.apache.flink.api.java.tuple.Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                        .bucketCount(4)
                        .compaction(true)
                        .compactionMaxGenerations(2)
                        .writeThrough(writeThrough)
                        .build();
        try (KilnCacheRegistry.Lease lease =
                KilnCacheRegistry.instance().acquire(tablePath, CacheSettings.defaults())) {
            GenerationCache cache = lease.cache();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(100);
            SinkTestData.events(env, 0, n, 300, SinkTestData.from(0)).sinkTo(sink).uid("kiln-it");
            env.execute("write-through with compaction");

            KilnTable table = KilnTable.open(tablePath);
            int committed = SinkTestData.firstVersions(table).size();
            List<GenerationRef> live = table.latestManifest().generations();
            assertThat(committed).as("compactions retired generations").isGreaterThan(live.size());
            for (GenerationRef ref : live) {
                assertThat(cache.warmGate().isWarm(table.resolve(ref.path()))).isTrue();
            }
            if (writeThrough) {
                assertThat(cache.warmStorageReads()).isZero();
                assertThat(lease.storageRequests()).isZero();
            } else {
                assertThat(cache.warmStorageReads()).isGreaterThanOrEqualTo(2L * committed);
            }
        }
        SinkTestData.assertTableHoldsLastWrites(tablePath, n);
    }

    @Test
    @Timeout(120)
    void aNeverCompletingWarmerHoldsNoCommitPastTheDeadline() throws Exception {
        Path tablePath = new Path(dir.resolve("t").toUri());
        long n = 1_500;
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(100);
        SinkTestData.events(env, 0, n, 500, SinkTestData.from(0))
                .sinkTo(
                        KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                                .bucketCount(4)
                                .warmDeadline(Duration.ofMillis(200))
                                // Room for every generation a subtask gets between two barriers
                                // (2 buckets' flushes and compactions): a warm still queued at a
                                // barrier is cancelled there and would never start.
                                .warmConcurrency(8)
                                .addWarmer(
                                        cache ->
                                                file -> {
                                                    NEVER_STARTED.incrementAndGet();
                                                    return new CompletableFuture<>();
                                                })
                                .build())
                .uid("kiln-it");
        env.execute("never-completing warmer");

        KilnTable table = KilnTable.open(tablePath);
        assertThat(NEVER_STARTED.get()).isEqualTo(SinkTestData.firstVersions(table).size());
        SinkTestData.assertTableHoldsLastWrites(tablePath, n);
    }
}
