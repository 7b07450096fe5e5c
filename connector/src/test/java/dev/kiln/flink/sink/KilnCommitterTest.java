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

import dev.kiln.flink.action.CompactAction;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.Compaction;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The committer's handling of compactions and expiry, on a real table. */
class KilnCommitterTest {

    private static final CompactionPolicy ALL =
            CompactionPolicy.builder().maxGenerations(1).build();

    @TempDir java.nio.file.Path dir;

    @Test
    void aStaleCompactionIsDroppedAndTheRestOfTheCheckpointIsPublished() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        for (int i = 0; i < 4; i++) {
            table.commit(
                    new Commit(
                            "setup",
                            i + 1,
                            List.of(SinkFixtures.writeGeneration(table, 0, i * 100, i * 100 + 100)),
                            List.of()));
        }
        Compaction writers;
        try (BufferAllocator allocator = new RootAllocator()) {
            writers =
                    new Compactor(table, RangeReader.onFileSystem(Runnable::run), allocator, ALL)
                            .rewrite(table.latestManifest(), Set.of(0))
                            .get(0);
        }
        // A standalone compaction takes the same inputs first.
        assertThat(CompactAction.compact(table.root(), ALL)).isEqualTo(1);
        GenerationRef flushed = SinkFixtures.writeGeneration(table, 0, 400, 500);
        KilnCommittable committable =
                new KilnCommittable("w", 1, 0, List.of(flushed), List.of(writers));

        RecordingMetricGroup metrics = new RecordingMetricGroup();
        KilnCommitter committer = new KilnCommitter(table.root(), metrics);
        RecordingCommitRequest request = new RecordingCommitRequest(committable);
        committer.commit(List.of(request));

        assertThat(request.outcome).isNull();
        Manifest latest = table.latestManifest();
        assertThat(latest.hasCommitted("w", 1)).isTrue();
        assertThat(latest.generations()).contains(flushed).doesNotContain(writers.output());
        assertThat(latest.generations()).hasSize(2);
        Path output = table.resolve(writers.output().path());
        assertThat(output.getFileSystem().exists(output)).as("dropped output deleted").isFalse();
        SinkTestData.assertTableHoldsLastWrites(table.root(), 500);
        assertThat(metrics.count(KilnSinkMetrics.STALE_COMPACTIONS_DROPPED)).isEqualTo(1);
        assertThat(metrics.count(KilnSinkMetrics.COMPACTIONS_COMMITTED)).isZero();
        assertThat(metrics.count(KilnSinkMetrics.GENERATIONS_COMMITTED)).isEqualTo(1);

        // A replay publishes nothing.
        RecordingCommitRequest replay = new RecordingCommitRequest(committable);
        committer.commit(List.of(replay));
        assertThat(replay.outcome).isNull();
        assertThat(table.latestManifest().version()).isEqualTo(latest.version());
    }

    @Test
    void aCompactionWhoseOutputIsGoneIsDroppedNotFatal() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        for (int i = 0; i < 3; i++) {
            table.commit(
                    new Commit(
                            "setup",
                            i + 1,
                            List.of(SinkFixtures.writeGeneration(table, 0, i * 100, i * 100 + 100)),
                            List.of()));
        }
        Compaction compaction;
        try (BufferAllocator allocator = new RootAllocator()) {
            compaction =
                    new Compactor(table, RangeReader.onFileSystem(Runnable::run), allocator, ALL)
                            .rewrite(table.latestManifest(), Set.of(0))
                            .get(0);
        }
        Path output = table.resolve(compaction.output().path());
        output.getFileSystem().delete(output, false);
        GenerationRef flushed = SinkFixtures.writeGeneration(table, 0, 300, 400);

        RecordingCommitRequest request =
                new RecordingCommitRequest(
                        new KilnCommittable("w", 1, 0, List.of(flushed), List.of(compaction)));
        new KilnCommitter(table.root(), new UnregisteredMetricsGroup()).commit(List.of(request));

        assertThat(request.outcome).isNull();
        assertThat(table.latestManifest().generations()).hasSize(4).contains(flushed);
        SinkTestData.assertTableHoldsLastWrites(table.root(), 400);
    }

    @Test
    void expiryAfterCommitsKeepsTheNewestVersions() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        KilnCommitter committer =
                new KilnCommitter(
                        table.root(),
                        new SinkSettings.Expiry(2, Duration.ZERO),
                        null,
                        Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1)),
                        new UnregisteredMetricsGroup());
        for (int i = 0; i < 5; i++) {
            GenerationRef g = SinkFixtures.writeGeneration(table, 0, i * 100, i * 100 + 100);
            committer.commit(
                    List.of(
                            new RecordingCommitRequest(
                                    new KilnCommittable("w", i + 1, 0, List.of(g)))));
        }
        assertThat(table.latestManifest().version()).isEqualTo(5);
        assertThat(table.manifest(4).version()).isEqualTo(4);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> table.manifest(3)))
                .isInstanceOf(dev.kiln.table.VersionExpiredException.class);
        assertThat(table.latestManifest().generations()).hasSize(5);
    }

    /**
     * Orphans older than the grace period are removed after a commit, at most once per period (a
     * restarted committer cleans at its first commit); committed files and younger orphans stay,
     * and the table keeps every committed write.
     */
    @Test
    void orphansOlderThanTheGracePeriodGoAfterACommitAtMostOncePerPeriod() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        Duration grace = Duration.ofHours(1);
        Path old = abandoned(table, 1000, Duration.ofHours(2));
        Path young = abandoned(table, 2000, Duration.ZERO);
        RecordingMetricGroup metrics = new RecordingMetricGroup();
        KilnCommitter committer =
                new KilnCommitter(table.root(), null, grace, Clock.systemUTC(), metrics);

        commit(committer, table, 1);
        assertThat(exists(old)).as("an orphan older than the grace period").isFalse();
        assertThat(exists(young)).as("an orphan younger than the grace period").isTrue();
        assertThat(metrics.count(KilnSinkMetrics.ORPHANS_REMOVED)).isOne();

        Path later = abandoned(table, 3000, Duration.ofHours(2));
        commit(committer, table, 2);
        assertThat(exists(later)).as("the next cleanup is due in an hour").isTrue();

        KilnCommitter restarted =
                new KilnCommitter(
                        table.root(), null, grace, Clock.systemUTC(), new RecordingMetricGroup());
        commit(restarted, table, 3);
        assertThat(exists(later)).isFalse();
        assertThat(exists(young)).isTrue();
        for (GenerationRef committed : table.latestManifest().generations()) {
            assertThat(exists(table.resolve(committed.path()))).isTrue();
        }
        SinkTestData.assertTableHoldsLastWrites(table.root(), 300);
    }

    /** Commits checkpoint {@code n}: events {@code [100 (n - 1), 100 n)}. */
    private static void commit(KilnCommitter committer, KilnTable table, int n) throws Exception {
        GenerationRef g = SinkFixtures.writeGeneration(table, 0, (n - 1) * 100L, n * 100L);
        RecordingCommitRequest request =
                new RecordingCommitRequest(new KilnCommittable("w", n, 0, List.of(g)));
        committer.commit(List.of(request));
        assertThat(request.outcome).isNull();
    }

    /** Writes a generation never committed, last modified {@code age} ago. */
    private static Path abandoned(KilnTable table, long from, Duration age) throws Exception {
        Path path = table.resolve(SinkFixtures.writeGeneration(table, 0, from, from + 50).path());
        java.nio.file.Files.setLastModifiedTime(
                java.nio.file.Paths.get(path.toUri()),
                java.nio.file.attribute.FileTime.from(java.time.Instant.now().minus(age)));
        return path;
    }

    private static boolean exists(Path path) throws java.io.IOException {
        return path.getFileSystem().exists(path);
    }
}
