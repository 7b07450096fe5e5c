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

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.runtime.jobgraph.JobType;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableSummary;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.api.operators.util.SimpleVersionedListState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;

/**
 * Gathers every generation of a checkpoint into one {@link KilnCommittable} (parallelism 1). Before
 * it forwards checkpoint {@code c}'s barrier it emits one committable for {@code c} holding all the
 * generations that arrived since the previous barrier (all of them tagged {@code <= c}: sink
 * topologies use aligned checkpoints), sorted by (checkpoint of origin, bucket, flush sequence), as
 * {@code CommittableSummary(0, 1, c, 1, 0)} plus one {@code CommittableWithLineage}: Flink's
 * committer then commits it when {@code c} completes. At the end of input it emits what is left
 * under the id the writers used for it ({@code last checkpoint + 1}), which the final checkpoint
 * commits. A checkpoint without generations emits nothing. Compaction outputs go into the
 * committable's compactions, not its generations: each replaces its inputs in place.
 *
 * <p>Committer ids: every run of the operator (a fresh start, and each failover, rescale, savepoint
 * or retained-checkpoint restore) commits under a new id, {@code <prefix>-<UUID>}. A run restored
 * from checkpoint {@code s} numbers its checkpoints from {@code s + 1} again, while the run that
 * took {@code s} may have committed far past it (a rollback to an older savepoint); only the
 * committables restored from state, which Flink's committer replays under the id of the run that
 * made them, may already be in the table, and the table skips exactly those ({@link
 * dev.kiln.table.Manifest#hasCommitted}). So nothing written after a restore is taken for a replay,
 * and a replay commits at most once. The id is kept in operator state only to log which run a
 * restored one follows.
 */
final class CommitAggregator extends AbstractStreamOperator<CommittableMessage<KilnCommittable>>
        implements OneInputStreamOperator<
                        CommittableMessage<WrittenGeneration>, CommittableMessage<KilnCommittable>>,
                BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private static final Logger LOG = LoggerFactory.getLogger(CommitAggregator.class);

    static final String STATE_NAME = "kiln-committer-id";

    private static final Comparator<CommittableWithLineage<WrittenGeneration>> COMMIT_ORDER =
            Comparator.<CommittableWithLineage<WrittenGeneration>>comparingLong(
                            CommittableWithLineage::getCheckpointId)
                    .thenComparingInt(g -> g.getCommittable().bucket())
                    .thenComparingLong(g -> g.getCommittable().flushSequence());

    private final String committerIdPrefix;
    private final String tablePath;

    private transient ListState<String> committerIdState;
    private transient String committerId;
    private transient List<CommittableWithLineage<WrittenGeneration>> pending;
    private transient long lastCheckpointId;

    /**
     * @param committerIdPrefix the prefix of the committer ids
     * @param tablePath the table's path, for the log
     */
    CommitAggregator(String committerIdPrefix, String tablePath) {
        this.committerIdPrefix = committerIdPrefix;
        this.tablePath = tablePath;
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (getRuntimeContext().getJobType() != JobType.BATCH
                && !CheckpointingOptions.isCheckpointingEnabled(
                        getRuntimeContext().getJobConfiguration())) {
            LOG.warn(
                    "Checkpointing is off: the Kiln sink of {} commits only at the end of input, so"
                            + " an unbounded job commits nothing until it stops. Enable"
                            + " checkpointing ({}) for a commit per checkpoint.",
                    tablePath,
                    CheckpointingOptions.CHECKPOINTING_INTERVAL.key());
        }
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        pending = new ArrayList<>();
        committerIdState =
                new SimpleVersionedListState<>(
                        context.getOperatorStateStore()
                                .getUnionListState(
                                        new ListStateDescriptor<>(
                                                STATE_NAME, BytePrimitiveArraySerializer.INSTANCE)),
                        new CommitterIdSerializer());
        Iterator<String> restored = committerIdState.get().iterator();
        committerId = committerIdPrefix + "-" + UUID.randomUUID();
        lastCheckpointId = context.getRestoredCheckpointId().orElse(0L);
        if (restored.hasNext()) {
            LOG.info(
                    "Kiln commit aggregator restored from checkpoint {} commits as {}, after {}.",
                    lastCheckpointId,
                    committerId,
                    restored.next());
        } else {
            LOG.info("Kiln commit aggregator commits as {}.", committerId);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        committerIdState.update(List.of(committerId));
    }

    @Override
    public void processElement(StreamRecord<CommittableMessage<WrittenGeneration>> element) {
        if (element.getValue() instanceof CommittableWithLineage) {
            pending.add((CommittableWithLineage<WrittenGeneration>) element.getValue());
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        emit(checkpointId);
    }

    @Override
    public void endInput() {
        long checkpointId = lastCheckpointId + 1;
        for (CommittableWithLineage<WrittenGeneration> generation : pending) {
            checkpointId = Math.max(checkpointId, generation.getCheckpointId());
        }
        emit(checkpointId);
    }

    /** Returns the committer id (for tests). */
    String committerId() {
        return committerId;
    }

    private void emit(long checkpointId) {
        lastCheckpointId = Math.max(lastCheckpointId, checkpointId);
        if (pending.isEmpty()) {
            return;
        }
        pending.sort(COMMIT_ORDER);
        List<GenerationRef> generations = new ArrayList<>(pending.size());
        List<Compaction> compactions = new ArrayList<>();
        long flushedAt = 0;
        long compactedAt = 0;
        for (CommittableWithLineage<WrittenGeneration> generation : pending) {
            WrittenGeneration written = generation.getCommittable();
            if (written.isCompaction()) {
                compactions.add(written.compaction());
                compactedAt = Math.max(compactedAt, written.flushedAtMillis());
            } else {
                generations.add(written.generation());
                flushedAt = Math.max(flushedAt, written.flushedAtMillis());
            }
        }
        pending.clear();
        KilnCommittable committable =
                new KilnCommittable(
                        committerId,
                        checkpointId,
                        generations.isEmpty() ? compactedAt : flushedAt,
                        generations,
                        compactions);
        output.collect(new StreamRecord<>(new CommittableSummary<>(0, 1, checkpointId, 1, 0)));
        output.collect(
                new StreamRecord<>(new CommittableWithLineage<>(committable, checkpointId, 0)));
    }
}
