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
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.VersionExpiredException;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.kiln.flink.sink.SinkTestData.KEY;
import static dev.kiln.flink.sink.SinkTestData.KEYS;
import static dev.kiln.flink.sink.SinkTestData.ROW_TYPE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Compaction in a running sink: correct, bounded, warm, and exactly once through a failover. */
class CompactionITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .setConfiguration(SinkTestData.clusterConfig(checkpoints()))
                            .build());

    private static final int MAX_GENERATIONS = 4;

    /** Keys written: fewer than {@link SinkTestData#KEYS}, so some keys are never written. */
    private static final int WRITTEN_KEYS = 300;

    @TempDir java.nio.file.Path dir;

    private static java.nio.file.Path checkpoints() {
        return TemporaryDirectories.create("kiln-checkpoints");
    }

    @BeforeEach
    void reset() {
        FaultInjectingFileSystem.reset();
    }

    /** Event {@code i}: a pseudo-random key, upserted with value {@code i}, or deleted (1 in 5). */
    static Tuple3<Long, Long, Boolean> randomEvent(long i) {
        long h = i * 0x9E3779B97F4A7C15L;
        h ^= h >>> 31;
        h *= 0xBF58476D1CE4E5B9L;
        h ^= h >>> 29;
        return Tuple3.of(
                Math.floorMod(h, (long) WRITTEN_KEYS), i, Math.floorMod(h >>> 40, 5L) == 0);
    }

    @Test
    void compactionKeepsTheTableExactBoundedAndWarmThroughAFailover() throws Exception {
        Path tablePath = FaultInjectingFileSystem.path(dir.resolve("t"));
        long n = 8_000;
        FaultInjectingFileSystem.holdCompactionCreate(3);
        KilnSink<Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                        .bucketCount(4)
                        .compactionMaxGenerations(MAX_GENERATIONS)
                        .compactionTierFactor(2)
                        .build();
        KilnTable table = KilnTable.open(tablePath);
        List<String> coldAtPublish = new CopyOnWriteArrayList<>();
        AtomicInteger compactionVersions = new AtomicInteger();
        Map<Long, int[]> liveByVersion = new java.util.concurrent.ConcurrentHashMap<>();
        try (KilnCacheRegistry.Lease lease =
                KilnCacheRegistry.instance().acquire(tablePath, CacheSettings.defaults())) {
            GenerationCache cache = lease.cache();
            FaultInjectingFileSystem.onPublish(
                    version -> {
                        try {
                            Manifest manifest = table.manifest(version);
                            if (!manifest.retired().isEmpty()) {
                                compactionVersions.incrementAndGet();
                            }
                            int[] live = new int[4];
                            for (GenerationRef ref : manifest.generations()) {
                                live[ref.bucket()]++;
                                if (!cache.warmGate().isWarm(table.resolve(ref.path()))) {
                                    coldAtPublish.add(version + ": " + ref.path());
                                }
                            }
                            liveByVersion.put(version, live);
                        } catch (IOException e) {
                            coldAtPublish.add("unreadable version " + version + ": " + e);
                        }
                    });

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(2);
            env.enableCheckpointing(200);
            SinkTestData.events(env, 0, n, 400, CompactionITCase::randomEvent)
                    .map(new FailOverDuringCompaction())
                    .uid("fail-over")
                    .setParallelism(1)
                    .sinkTo(sink)
                    .uid("kiln-it");
            env.execute("compaction");

            assertThat(FaultInjectingFileSystem.injectedFaults())
                    .as("one failover in the middle of a compaction")
                    .isEqualTo(1);
            SinkTestData.assertTableHoldsLastWrites(tablePath, n, CompactionITCase::randomEvent);
            assertThat(compactionVersions.get()).as("versions that compacted").isGreaterThan(3);
            assertThat(coldAtPublish)
                    .as("generations cold in the shared cache at publish")
                    .isEmpty();

            Manifest latest = table.latestManifest();
            Map<Integer, Integer> liveAtEnd = new HashMap<>();
            latest.generations().forEach(g -> liveAtEnd.merge(g.bucket(), 1, Integer::sum));
            int worst = 0;
            for (int[] live : liveByVersion.values()) {
                for (int count : live) {
                    worst = Math.max(worst, count);
                }
            }
            System.out.println(
                    "CompactionITCase: "
                            + latest.version()
                            + " versions, "
                            + compactionVersions.get()
                            + " compacting; live per bucket at the end "
                            + liveAtEnd
                            + ", at most "
                            + worst);
            // A growth bound, not the policy's exact one (that holds after Compactor.compact,
            // CompactorTest): a writer plans at a barrier on the latest version, its outputs are
            // committed with a later checkpoint, and the flushes of the checkpoints in between
            // (more of them when rounds are slow or a failover restarts the writers) come on top.
            // Without compaction a bucket would hold one generation per version.
            // Around the failover (the held round stalls that writer's compaction, the restart
            // replans from scratch) a bucket grows further for a few checkpoints; at the end the
            // writers have compacted normally for many checkpoints.
            assertThat(worst)
                    .as("live generations of a bucket in any version")
                    .isLessThanOrEqualTo(3 * MAX_GENERATIONS);
            assertThat(liveAtEnd.values())
                    .as("live generations per bucket at the end")
                    .allMatch(count -> count <= MAX_GENERATIONS + 2);
            assertThat(latest.version())
                    .as("versions, each adding a generation to every bucket")
                    .isGreaterThan(4L * MAX_GENERATIONS);
            CacheStats pagesBefore = cache.pageStats();
            CacheStats generationsBefore = cache.generationStats();
            List<byte[]> keys = new ArrayList<>();
            for (long k = 0; k < KEYS; k++) {
                keys.add(table.options().keyCodec().encode(k));
            }
            table.snapshot(cache).lookupAll(keys).get(1, TimeUnit.MINUTES);
            assertThat(cache.pageStats().missCount()).isEqualTo(pagesBefore.missCount());
            assertThat(cache.generationStats().missCount())
                    .isEqualTo(generationsBefore.missCount());
        }
    }

    /**
     * The committer crashes right after publishing a version that applies compactions, before Flink
     * learns the commit succeeded; the restored job replays that checkpoint's committable. With
     * expiry on, the replay commits nothing twice, nothing is lost, and once orphan cleanup ran,
     * storage holds exactly the files of the retained versions.
     */
    @Test
    void aCommitterCrashAfterPublishingACompactionCommitsNothingTwiceWithExpiryOn()
            throws Exception {
        Path tablePath = FaultInjectingFileSystem.path(dir.resolve("t"));
        long n = 6_000;
        KilnSink<Tuple3<Long, Long, Boolean>> sink =
                KilnSink.forType(tablePath, ROW_TYPE, KEY, new SinkTestData.Converter())
                        .bucketCount(4)
                        .compactionMaxGenerations(MAX_GENERATIONS)
                        .compactionTierFactor(2)
                        .expireVersions(3, Duration.ZERO)
                        .build();
        KilnTable table = KilnTable.open(tablePath);
        // Every version as published (expiry removes most of them later).
        Map<Long, List<String>> published = new java.util.concurrent.ConcurrentHashMap<>();
        AtomicInteger compactionVersions = new AtomicInteger();
        AtomicInteger crashes = new AtomicInteger();
        FaultInjectingFileSystem.onPublish(
                version -> {
                    Manifest manifest;
                    try {
                        manifest = table.manifest(version);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    published.put(
                            version,
                            manifest.generations().stream().map(GenerationRef::path).toList());
                    if (!manifest.retired().isEmpty()
                            && compactionVersions.incrementAndGet() == 2
                            && crashes.getAndIncrement() == 0) {
                        throw new IllegalStateException(
                                "injected committer crash after publishing version " + version);
                    }
                });

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(200);
        SinkTestData.events(env, 0, n, 400, CompactionITCase::randomEvent)
                .sinkTo(sink)
                .uid("kiln-it");
        env.execute("compaction, committer crash");

        assertThat(crashes.get()).as("one crash after a compaction's publish").isEqualTo(1);
        SinkTestData.assertLatestVersionHoldsLastWrites(
                tablePath, n, CompactionITCase::randomEvent);
        long latest = table.latestVersion();
        Set<String> seen = new HashSet<>();
        Set<String> previous = Set.of();
        for (long v = 1; v <= latest; v++) {
            assertThat(published)
                    .as("version %d was published through the file system", v)
                    .containsKey(v);
            for (String path : published.get(v)) {
                if (!previous.contains(path)) {
                    assertThat(seen.add(path)).as("version %d adds %s again", v, path).isTrue();
                }
            }
            previous = new HashSet<>(published.get(v));
        }
        assertThatThrownBy(() -> table.manifest(1))
                .as("the committer expired old versions")
                .isInstanceOf(VersionExpiredException.class);

        java.nio.file.Path data = dir.resolve("t").resolve("data");
        // Everything written so far is an hour old by the storage's clock, which cleanup reads.
        try (Stream<java.nio.file.Path> files = Files.walk(data)) {
            for (java.nio.file.Path file : files.filter(Files::isRegularFile).toList()) {
                Files.setLastModifiedTime(
                        file,
                        java.nio.file.attribute.FileTime.from(
                                java.time.Instant.now().minus(Duration.ofHours(1))));
            }
        }
        table.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC());
        Set<String> retained = new HashSet<>();
        for (long v = table.latestVersion(); v >= 0; v--) {
            try {
                table.manifest(v).generations().forEach(g -> retained.add(g.path()));
            } catch (VersionExpiredException e) {
                break;
            }
        }
        Set<String> stored = new HashSet<>();
        try (Stream<java.nio.file.Path> files = Files.walk(data)) {
            files.filter(Files::isRegularFile)
                    .forEach(f -> stored.add("data/" + data.relativize(f)));
        }
        assertThat(stored).as("files left after orphan cleanup").isEqualTo(retained);
    }

    /** Fails the job over once, while a compaction write is held. */
    private static final class FailOverDuringCompaction
            implements MapFunction<Tuple3<Long, Long, Boolean>, Tuple3<Long, Long, Boolean>> {
        private static final long serialVersionUID = 1L;

        @Override
        public Tuple3<Long, Long, Boolean> map(Tuple3<Long, Long, Boolean> event) {
            if (FaultInjectingFileSystem.failOverOnceDuringCompaction()) {
                throw new IllegalStateException("injected failover during a compaction");
            }
            return event;
        }
    }
}
