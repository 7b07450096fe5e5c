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

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * What a {@link KilnSink} commits for one checkpoint: every generation written for it, in commit
 * order (by checkpoint of origin, bucket and flush sequence, so newer generations of a bucket come
 * later and win), on behalf of one committer id. {@link KilnCommitter} publishes it as one
 * manifest, together with the compactions the writers finished for it (each replacing its inputs in
 * place, atomically with the additions). Immutable.
 *
 * @param committerId the committer id of the sink run that made it (see {@link CommitAggregator})
 * @param checkpointId the checkpoint that carries it; commits are idempotent per (committer id,
 *     checkpoint id)
 * @param flushedAtMillis when the newest of its generations was written (epoch milliseconds): for
 *     generations flushed at the barrier, when the checkpoint reached the writer; the commit
 *     latency metric counts from it
 * @param generations the generations to add, oldest first
 * @param compactions the compactions to apply, at most one per bucket
 */
@Internal
public record KilnCommittable(
        String committerId,
        long checkpointId,
        long flushedAtMillis,
        List<GenerationRef> generations,
        List<Compaction> compactions) {

    public KilnCommittable {
        requireNonNull(committerId, "committerId");
        generations = List.copyOf(requireNonNull(generations, "generations"));
        compactions = List.copyOf(requireNonNull(compactions, "compactions"));
    }

    /** A committable that compacts nothing. */
    public KilnCommittable(
            String committerId,
            long checkpointId,
            long flushedAtMillis,
            List<GenerationRef> generations) {
        this(committerId, checkpointId, flushedAtMillis, generations, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KilnCommittable other
                && Objects.equals(committerId, other.committerId)
                && checkpointId == other.checkpointId
                && flushedAtMillis == other.flushedAtMillis
                && Objects.equals(generations, other.generations)
                && Objects.equals(compactions, other.compactions);
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(committerId);
        h = 31 * h + Long.hashCode(checkpointId);
        h = 31 * h + Long.hashCode(flushedAtMillis);
        h = 31 * h + Objects.hashCode(generations);
        h = 31 * h + Objects.hashCode(compactions);
        return h;
    }

    @Override
    public String toString() {
        return "KilnCommittable{committer="
                + committerId
                + ", checkpoint="
                + checkpointId
                + ", generations="
                + generations.size()
                + ", compactions="
                + compactions.size()
                + "}";
    }
}
