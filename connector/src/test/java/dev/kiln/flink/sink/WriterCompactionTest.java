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

import dev.kiln.table.Commit;
import dev.kiln.table.Compaction;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.table.data.RowData;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer's background compaction over a real table. */
class WriterCompactionTest {

    /** Merges every bucket down to one generation. */
    private static final CompactionPolicy ALL =
            CompactionPolicy.builder().maxGenerations(1).build();

    @TempDir java.nio.file.Path dir;

    @Test
    void rowsKeepFlowingWhileACompactionRunsAndItsOutputsComeWithTheirInputs() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 2);
        for (int i = 0; i < 4; i++) {
            table.commit(
                    new Commit(
                            "setup",
                            i + 1,
                            List.of(
                                    SinkFixtures.writeGeneration(table, 0, i * 100, i * 100 + 100),
                                    SinkFixtures.writeGeneration(table, 1, i * 100, i * 100 + 100)),
                            List.of()));
        }
        Manifest before = table.latestManifest();
        HeldExecutor held = new HeldExecutor();
        WriterCompaction compaction =
                new WriterCompaction(table, ALL, b -> b <= 1, held, new UnregisteredMetricsGroup());
        try (KilnSinkWriter<RowData> writer = writer(table, compaction)) {
            write(writer, 400, 450);
            List<WrittenGeneration> first = new ArrayList<>(writer.prepareCommit());
            dev.kiln.Latches.await(held.started);
            assertThat(first).noneMatch(WrittenGeneration::isCompaction).hasSize(2);

            // The round is in flight and held: rows and checkpoints go on.
            write(writer, 450, 500);
            List<WrittenGeneration> second = new ArrayList<>(writer.prepareCommit());
            assertThat(second).noneMatch(WrittenGeneration::isCompaction).hasSize(2);
            assertThat(compaction.isRunning()).isTrue();

            held.release.countDown();
            held.drain();
            List<WrittenGeneration> third = new ArrayList<>(writer.prepareCommit());
            assertThat(third).allMatch(WrittenGeneration::isCompaction).hasSize(2);
            for (WrittenGeneration output : third) {
                Compaction c = output.compaction();
                assertThat(c.inputs())
                        .containsExactlyElementsOf(reversedPaths(before.newestFirst(c.bucket())));
                assertThat(output.generation()).isEqualTo(c.output());
                Path file = table.resolve(c.output().path());
                assertThat(file.getFileSystem().getFileStatus(file).getLen())
                        .isEqualTo(c.output().sizeBytes());
            }

            // Flushes committed without the compactions: a new version in which they are
            // unresolved, so the writer does not plan those buckets again.
            List<GenerationRef> flushes = new ArrayList<>();
            first.forEach(g -> flushes.add(g.generation()));
            second.forEach(g -> flushes.add(g.generation()));
            table.commit(new Commit("w", 1, flushes, List.of()));
            held.drain();
            assertThat(writer.prepareCommit()).isEmpty();
            held.drain();
            assertThat(writer.prepareCommit()).as("unresolved buckets are not planned").isEmpty();

            held.drain();
            List<Compaction> compactions = third.stream().map(g -> g.compaction()).toList();
            Manifest compacted =
                    table.commit(new Commit("w", 2, List.of(), List.of(), compactions));
            for (int bucket = 0; bucket < 2; bucket++) {
                assertThat(compacted.newestFirst(bucket)).hasSize(3);
            }
            SinkTestData.assertTableHoldsLastWrites(table.root(), 500);

            // Resolved: the buckets are planned again on the new version.
            held.drain();
            assertThat(writer.prepareCommit()).isEmpty();
            held.drain();
            assertThat(writer.prepareCommit()).allMatch(WrittenGeneration::isCompaction).hasSize(2);
        }
    }

    @Test
    void aWriterCompactsOnlyTheBucketsItOwns() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 4);
        for (int i = 0; i < 3; i++) {
            List<GenerationRef> added = new ArrayList<>();
            for (int bucket = 0; bucket < 4; bucket++) {
                added.add(SinkFixtures.writeGeneration(table, bucket, i * 100, i * 100 + 100));
            }
            table.commit(new Commit("setup", i + 1, added, List.of()));
        }
        assertThat(IntStream.range(0, 4).filter(WriterCompaction.ownedBuckets(1, 2)))
                .containsExactly(1, 3);
        HeldExecutor held = new HeldExecutor();
        held.release.countDown();
        RecordingMetricGroup metrics = new RecordingMetricGroup();
        Manifest base = table.latestManifest();
        try (WriterCompaction compaction =
                new WriterCompaction(
                        table, ALL, WriterCompaction.ownedBuckets(1, 2), held, metrics)) {
            assertThat(compaction.poll(false)).isEmpty();
            held.drain();
            List<Compaction> done = compaction.poll(false);
            assertThat(done).extracting(Compaction::bucket).containsExactlyInAnyOrder(1, 3);
            assertThat(metrics.count(KilnSinkMetrics.COMPACTIONS_RUN)).isEqualTo(2);
            long read = 0;
            long rowsRead = 0;
            for (int bucket : List.of(1, 3)) {
                for (GenerationRef input : base.newestFirst(bucket)) {
                    read += input.sizeBytes();
                    rowsRead += input.rowCount();
                }
            }
            assertThat(metrics.count(KilnSinkMetrics.COMPACTION_BYTES_READ)).isEqualTo(read);
            assertThat(metrics.count(KilnSinkMetrics.COMPACTION_BYTES_WRITTEN))
                    .isEqualTo(done.stream().mapToLong(c -> c.output().sizeBytes()).sum());
            assertThat(metrics.count(KilnSinkMetrics.COMPACTION_ROWS_READ))
                    .isEqualTo(rowsRead)
                    .isPositive();
            assertThat(metrics.count(KilnSinkMetrics.COMPACTION_ROWS_WRITTEN))
                    .isEqualTo(done.stream().mapToLong(c -> c.output().rowCount()).sum())
                    .isPositive();
            assertThat(metrics.count(KilnSinkMetrics.COMPACTIONS_FAILED)).isZero();
        }
    }

    @Test
    void checkpointsWithoutANewVersionDoNotAgeAnUnresolvedCompaction() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        for (int i = 0; i < 3; i++) {
            table.commit(
                    new Commit(
                            "setup",
                            i + 1,
                            List.of(SinkFixtures.writeGeneration(table, 0, i * 10, i * 10 + 10)),
                            List.of()));
        }
        HeldExecutor held = new HeldExecutor();
        held.release.countDown();
        try (WriterCompaction compaction =
                new WriterCompaction(
                        table, ALL, b -> b == 0, held, new UnregisteredMetricsGroup())) {
            compaction.poll(false);
            held.drain();
            assertThat(compaction.poll(false)).hasSize(1);
            // Many checkpoints while the compaction waits for its commit: no new version.
            for (int i = 0; i < 3 * WriterCompaction.MAX_UNRESOLVED_ROUNDS; i++) {
                held.drain();
                assertThat(compaction.poll(false)).isEmpty();
            }
            // A new version that does not resolve it (another checkpoint's flush).
            table.commit(
                    new Commit(
                            "w",
                            1,
                            List.of(SinkFixtures.writeGeneration(table, 0, 30, 40)),
                            List.of()));
            held.drain();
            assertThat(compaction.poll(false)).isEmpty();
            held.drain();
            assertThat(compaction.poll(false)).as("the bucket is still taken").isEmpty();
        }
    }

    @Test
    void theEndOfInputWaitsForTheRunningRoundAndStartsNoOther() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        for (int i = 0; i < 3; i++) {
            table.commit(
                    new Commit(
                            "setup",
                            i + 1,
                            List.of(SinkFixtures.writeGeneration(table, 0, i * 10, i * 10 + 10)),
                            List.of()));
        }
        HeldExecutor held = new HeldExecutor();
        held.release.countDown();
        try (WriterCompaction compaction =
                new WriterCompaction(
                        table, ALL, b -> b == 0, held, new UnregisteredMetricsGroup())) {
            assertThat(compaction.poll(false)).isEmpty();
            assertThat(compaction.poll(true)).hasSize(1);
            assertThat(compaction.isRunning()).isFalse();
            assertThat(held.rounds).isEqualTo(1);
        }
    }

    private static List<String> reversedPaths(List<GenerationRef> newestFirst) {
        List<String> paths = new ArrayList<>();
        for (int i = newestFirst.size() - 1; i >= 0; i--) {
            paths.add(newestFirst.get(i).path());
        }
        return paths;
    }

    private static KilnSinkWriter<RowData> writer(KilnTable table, WriterCompaction compaction) {
        return new KilnSinkWriter<>(
                table,
                table.options(),
                SinkTestData.ROW_TYPE,
                row -> row,
                1 << 20,
                compaction,
                SinkFixtures.writerMetrics());
    }

    private static void write(KilnSinkWriter<RowData> writer, long from, long to) throws Exception {
        for (long i = from; i < to; i++) {
            writer.write(SinkTestData.toRow(SinkTestData.event(i)), null);
        }
    }

    /**
     * One background thread whose tasks wait for {@link #release} after saying they {@link
     * #started}; {@link #drain} returns once every task submitted before it ran.
     */
    private static final class HeldExecutor extends AbstractExecutorService {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final ExecutorService thread = Executors.newSingleThreadExecutor();
        volatile int rounds;

        @Override
        public void execute(Runnable task) {
            thread.execute(
                    () -> {
                        rounds++;
                        started.countDown();
                        dev.kiln.Latches.await(release);
                        task.run();
                    });
        }

        void drain() throws Exception {
            thread.submit(() -> {}).get(1, TimeUnit.MINUTES);
        }

        @Override
        public void shutdown() {
            thread.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return thread.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return thread.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return thread.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return thread.awaitTermination(timeout, unit);
        }
    }
}
