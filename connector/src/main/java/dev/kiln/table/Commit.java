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

package dev.kiln.table;

import org.apache.flink.annotation.Internal;

import java.util.List;
import java.util.Objects;

import static java.util.Objects.requireNonNull;

/**
 * What one commit publishes: generations added (in the order they were flushed, so later ones win),
 * generations retired, and compactions (runs of generations replaced in place by their merge), on
 * behalf of a committer for a checkpoint. The pair (committer, checkpoint) makes the commit
 * idempotent: a commit whose checkpoint the committer has already committed is a no-op. Compactions
 * are applied first, then retirements, then additions (appended, newest). Immutable.
 *
 * @param committerId who commits, stable across restarts (e.g. the committer operator's uid)
 * @param checkpointId the checkpoint whose data this is; increasing per committer
 * @param added generations to publish, oldest first
 * @param retired paths (relative to the root) of live generations to retire
 * @param compactions runs of live generations to replace by their merged output
 */
@Internal
public record Commit(
        String committerId,
        long checkpointId,
        List<GenerationRef> added,
        List<String> retired,
        List<Compaction> compactions) {

    public Commit {
        requireNonNull(committerId, "committerId");
        added = List.copyOf(requireNonNull(added, "added"));
        retired = List.copyOf(requireNonNull(retired, "retired"));
        compactions = List.copyOf(requireNonNull(compactions, "compactions"));
    }

    /** A commit that adds and retires generations and compacts nothing. */
    public Commit(
            String committerId,
            long checkpointId,
            List<GenerationRef> added,
            List<String> retired) {
        this(committerId, checkpointId, added, retired, List.of());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Commit other
                && Objects.equals(committerId, other.committerId)
                && checkpointId == other.checkpointId
                && Objects.equals(added, other.added)
                && Objects.equals(retired, other.retired)
                && Objects.equals(compactions, other.compactions);
    }

    @Override
    public int hashCode() {
        int h = Objects.hashCode(committerId);
        h = 31 * h + Long.hashCode(checkpointId);
        h = 31 * h + Objects.hashCode(added);
        h = 31 * h + Objects.hashCode(retired);
        h = 31 * h + Objects.hashCode(compactions);
        return h;
    }

    @Override
    public String toString() {
        return "Commit[committerId="
                + committerId
                + ", checkpointId="
                + checkpointId
                + ", added="
                + added
                + ", retired="
                + retired
                + ", compactions="
                + compactions
                + "]";
    }
}
