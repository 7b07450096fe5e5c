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

import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableSummary;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.testutils.logging.LoggerAuditingExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The commit aggregator in Flink's operator harness. */
class CommitAggregatorTest {

    @TempDir java.nio.file.Path dir;

    @RegisterExtension
    final LoggerAuditingExtension logs =
            new LoggerAuditingExtension(CommitAggregator.class, Level.WARN);

    private static GenerationRef ref(String name, int bucket) {
        return new GenerationRef(
                "data/bucket-" + bucket + "/" + name + ".arrow", bucket, null, null, 0, 10);
    }

    private static OneInputStreamOperatorTestHarness<
                    CommittableMessage<WrittenGeneration>, CommittableMessage<KilnCommittable>>
            harness(OperatorSubtaskState restored) throws Exception {
        var harness =
                new OneInputStreamOperatorTestHarness<
                        CommittableMessage<WrittenGeneration>, CommittableMessage<KilnCommittable>>(
                        new CommitAggregator("orders", "file:/tables/orders"));
        if (restored != null) {
            harness.initializeState(restored);
        }
        harness.open();
        return harness;
    }

    @Test
    void emitsOneCommittablePerCheckpointInBucketAndFlushOrder() throws Exception {
        try (var harness = harness(null)) {
            harness.processElement(SinkFixtures.lineage(ref("b1-s7", 1), 7, 5), 0);
            harness.processElement(SinkFixtures.lineage(ref("b0-s9", 0), 9, 5), 0);
            harness.processElement(SinkFixtures.lineage(ref("b1-s2", 1), 2, 5), 0);
            harness.processElement(SinkFixtures.lineage(ref("b0-s3", 0), 3, 5), 0);
            harness.processElement(SinkFixtures.lineage(ref("b0-s1-older", 0), 1, 4), 0);
            assertThat(harness.extractOutputValues()).isEmpty();

            harness.prepareSnapshotPreBarrier(5);
            List<CommittableMessage<KilnCommittable>> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            CommittableSummary<KilnCommittable> summary =
                    (CommittableSummary<KilnCommittable>) out.get(0);
            assertThat(summary.getSubtaskId()).isZero();
            assertThat(summary.getNumberOfSubtasks()).isOne();
            assertThat(summary.getCheckpointId()).isEqualTo(5);
            assertThat(summary.getNumberOfCommittables()).isOne();
            KilnCommittable committable =
                    ((CommittableWithLineage<KilnCommittable>) out.get(1)).getCommittable();
            assertThat(committable.checkpointId()).isEqualTo(5);
            assertThat(committable.committerId()).startsWith("orders-");
            assertThat(committable.flushedAtMillis()).as("the newest flush").isEqualTo(1009);
            assertThat(committable.generations())
                    .extracting(GenerationRef::path)
                    .containsExactly(
                            ref("b0-s1-older", 0).path(),
                            ref("b0-s3", 0).path(),
                            ref("b0-s9", 0).path(),
                            ref("b1-s2", 1).path(),
                            ref("b1-s7", 1).path());

            harness.prepareSnapshotPreBarrier(6);
            assertThat(harness.extractOutputValues())
                    .as("nothing for an empty checkpoint")
                    .hasSize(2);
        }
    }

    @Test
    void compactionsGoApartFromTheGenerationsEvenWithoutOutput() throws Exception {
        Compaction emptied = new Compaction(1, null, List.of(ref("x", 1).path()));
        Compaction merged =
                new Compaction(0, ref("out", 0), List.of(ref("y", 0).path(), ref("z", 0).path()));
        try (var harness = harness(null)) {
            harness.processElement(SinkFixtures.lineage(ref("b0-s3", 0), 3, 5), 0);
            harness.processElement(
                    new CommittableWithLineage<>(
                            WrittenGeneration.compacted(emptied, 4, 2000), 5L, 0),
                    0);
            harness.processElement(
                    new CommittableWithLineage<>(
                            WrittenGeneration.compacted(merged, 5, 2001), 5L, 0),
                    0);
            harness.prepareSnapshotPreBarrier(5);
            KilnCommittable committable =
                    ((CommittableWithLineage<KilnCommittable>) harness.extractOutputValues().get(1))
                            .getCommittable();
            assertThat(committable.generations())
                    .extracting(GenerationRef::path)
                    .containsExactly(ref("b0-s3", 0).path());
            assertThat(committable.compactions()).containsExactlyInAnyOrder(emptied, merged);
            assertThat(committable.flushedAtMillis()).as("the flush's").isEqualTo(1003);
        }
    }

    @Test
    void everyRunCommitsUnderANewCommitterId() throws Exception {
        String id;
        OperatorSubtaskState state;
        try (var harness = harness(null)) {
            id = ((CommitAggregator) harness.getOperator()).committerId();
            harness.prepareSnapshotPreBarrier(1);
            state = harness.snapshot(1, 1);
        }
        Set<String> ids = new HashSet<>(Set.of(id));
        for (int run = 0; run < 3; run++) {
            try (var restored = harness(state)) {
                String restoredId = ((CommitAggregator) restored.getOperator()).committerId();
                assertThat(restoredId).startsWith("orders-");
                assertThat(ids.add(restoredId)).as("a new id for restore %s", run).isTrue();
                restored.processElement(SinkFixtures.lineage(ref("g", 0), 0, 2), 0);
                restored.prepareSnapshotPreBarrier(2);
                assertThat(
                                ((CommittableWithLineage<KilnCommittable>)
                                                restored.extractOutputValues().get(1))
                                        .getCommittable()
                                        .committerId())
                        .isEqualTo(restoredId);
            }
        }
    }

    /**
     * A rollback: run A takes a savepoint at checkpoint 2 and commits up to 4; runs restored from
     * that savepoint (twice, the second after the first committed more) replay its pending
     * committable, which publishes nothing, and commit every checkpoint of their own, although
     * their checkpoint ids (3, 4, ...) were committed by the run before, and their end of input.
     */
    @Test
    void aRollbackToAnOlderSavepointCommitsEverythingTheRestoredRunWrites() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 1);
        KilnCommitter committer = new KilnCommitter(table.root(), new UnregisteredMetricsGroup());
        OperatorSubtaskState savepoint = null;
        KilnCommittable pendingAtSavepoint = null;
        try (var runA = harness(null)) {
            for (long c = 1; c <= 4; c++) {
                KilnCommittable committable = checkpoint(runA, table, c, (c - 1) * 100, c * 100);
                if (c == 2) {
                    savepoint = runA.snapshot(c, c);
                    pendingAtSavepoint = committable;
                }
                assertPublishes(table, committer, committable);
            }
        }
        for (int rollback = 1; rollback <= 2; rollback++) {
            long from = 1000L * rollback;
            try (var restored = harness(savepoint)) {
                long version = table.latestManifest().version();
                RecordingCommitRequest replay = new RecordingCommitRequest(pendingAtSavepoint);
                committer.commit(List.of(replay));
                assertThat(replay.outcome).isNull();
                assertThat(table.latestManifest().version())
                        .as("the restored committable was committed by run A")
                        .isEqualTo(version);
                for (long c = 3; c <= 5; c++) {
                    long start = from + (c - 3) * 100;
                    assertPublishes(
                            table, committer, checkpoint(restored, table, c, start, start + 100));
                }
                GenerationRef last = SinkFixtures.writeGeneration(table, 0, from + 300, from + 400);
                restored.processElement(SinkFixtures.lineage(last, 9, 6), 0);
                restored.endInput();
                KilnCommittable endOfInput = lastCommittable(restored);
                assertThat(endOfInput.checkpointId()).isEqualTo(6);
                assertPublishes(table, committer, endOfInput);
            }
        }
        SinkTestData.assertNoGenerationAddedTwice(table);
        // Commit order: run A's events [0, 400), then [1000, 1400), then [2000, 2400).
        SinkTestData.assertLatestVersionHoldsLastWrites(
                table.root(),
                1200,
                i -> SinkTestData.event(i < 400 ? i : i < 800 ? 600 + i : 1200 + i));
    }

    /** Writes events {@code [from, to)} as one generation and emits checkpoint {@code c}. */
    private static KilnCommittable checkpoint(
            OneInputStreamOperatorTestHarness<
                            CommittableMessage<WrittenGeneration>,
                            CommittableMessage<KilnCommittable>>
                    harness,
            KilnTable table,
            long c,
            long from,
            long to)
            throws Exception {
        GenerationRef ref = SinkFixtures.writeGeneration(table, 0, from, to);
        harness.processElement(SinkFixtures.lineage(ref, c, c), 0);
        harness.prepareSnapshotPreBarrier(c);
        KilnCommittable committable = lastCommittable(harness);
        assertThat(committable.checkpointId()).isEqualTo(c);
        assertThat(committable.generations()).containsExactly(ref);
        return committable;
    }

    private static KilnCommittable lastCommittable(
            OneInputStreamOperatorTestHarness<
                            CommittableMessage<WrittenGeneration>,
                            CommittableMessage<KilnCommittable>>
                    harness) {
        List<CommittableMessage<KilnCommittable>> out = harness.extractOutputValues();
        return ((CommittableWithLineage<KilnCommittable>) out.get(out.size() - 1)).getCommittable();
    }

    private static void assertPublishes(
            KilnTable table, KilnCommitter committer, KilnCommittable committable)
            throws Exception {
        long version = table.latestManifest().version();
        RecordingCommitRequest request = new RecordingCommitRequest(committable);
        committer.commit(List.of(request));
        assertThat(request.outcome).isNull();
        Manifest latest = table.latestManifest();
        assertThat(latest.version())
                .as("checkpoint %s of %s published", committable.checkpointId(), committable)
                .isEqualTo(version + 1);
        assertThat(latest.generations()).containsAll(committable.generations());
    }

    @Test
    void atTheEndOfInputCommitsUnderTheWritersIdNeverAnEndOfInputMarker() throws Exception {
        OperatorSubtaskState state;
        try (var harness = harness(null)) {
            harness.prepareSnapshotPreBarrier(3);
            state = harness.snapshot(3, 3);
        }
        try (var harness = harness(state)) {
            harness.processElement(SinkFixtures.lineage(ref("last", 0), 0, 4), 0);
            harness.endInput();
            harness.prepareSnapshotPreBarrier(4);
            List<CommittableMessage<KilnCommittable>> out = harness.extractOutputValues();
            assertThat(out).hasSize(2);
            assertThat(((CommittableSummary<KilnCommittable>) out.get(0)).getCheckpointId())
                    .isEqualTo(4);
            assertThat(
                            ((CommittableWithLineage<KilnCommittable>) out.get(1))
                                    .getCommittable()
                                    .checkpointId())
                    .isEqualTo(4);
        }
    }

    @Test
    void warnsAtStartThatAStreamingJobWithoutCheckpointsCommitsOnlyAtItsEnd() throws Exception {
        try (var checkpointed =
                new OneInputStreamOperatorTestHarness<
                        CommittableMessage<WrittenGeneration>, CommittableMessage<KilnCommittable>>(
                        new CommitAggregator("orders", "file:/tables/orders"))) {
            checkpointed
                    .getEnvironment()
                    .getJobConfiguration()
                    .set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
            checkpointed.open();
            assertThat(logs.getMessages()).isEmpty();
        }
        try (var harness = harness(null)) {
            assertThat(logs.getMessages())
                    .anySatisfy(
                            m ->
                                    assertThat(m)
                                            .contains("Checkpointing is off")
                                            .contains("file:/tables/orders")
                                            .contains("execution.checkpointing.interval"));
        }
    }
}
