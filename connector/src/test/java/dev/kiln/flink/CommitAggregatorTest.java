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

package dev.kiln.flink;

import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableSummary;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The commit aggregator in Flink's operator harness. */
class CommitAggregatorTest {

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
                        new CommitAggregator("orders"));
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
    void keepsItsCommitterIdAcrossRestoreAndANewJobGetsANewOne() throws Exception {
        String id;
        OperatorSubtaskState state;
        try (var harness = harness(null)) {
            id = ((CommitAggregator) harness.getOperator()).committerId();
            harness.prepareSnapshotPreBarrier(1);
            state = harness.snapshot(1, 1);
        }
        try (var restored = harness(state)) {
            assertThat(((CommitAggregator) restored.getOperator()).committerId()).isEqualTo(id);
            restored.processElement(SinkFixtures.lineage(ref("g", 0), 0, 2), 0);
            restored.prepareSnapshotPreBarrier(2);
            assertThat(
                            ((CommittableWithLineage<KilnCommittable>)
                                            restored.extractOutputValues().get(1))
                                    .getCommittable()
                                    .committerId())
                    .isEqualTo(id);
        }
        try (var fresh = harness(null)) {
            assertThat(((CommitAggregator) fresh.getOperator()).committerId())
                    .startsWith("orders-")
                    .isNotEqualTo(id);
        }
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
}
