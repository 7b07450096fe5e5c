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

import javax.annotation.Nullable;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Version {@code N} of a table: its live generations, oldest first (so the last one that holds a
 * key wins), what this version retired, and the last checkpoint each committer has committed (how a
 * replayed commit is recognised). Published once, never rewritten. Immutable.
 *
 * @param version the version, from 0 (the empty table)
 * @param generations the live generations, oldest first
 * @param retired the paths this version removed from the live set
 * @param committed for each committer id, the highest checkpoint id it committed
 * @param orphanCutoffMillis the highest cutoff (epoch milliseconds of storage modification times)
 *     of an orphan cleanup that may delete unnamed files from this version on: a commit on this
 *     version refuses to add a file last modified before it, since cleanup may be deleting it; 0 if
 *     no cleanup has claimed one (see {@link KilnTable#removeOrphans})
 * @param added the paths of the generations this version added with new rows, oldest first (a
 *     subset of {@code generations}; compaction outputs are not among them, since they only rewrite
 *     rows already published), or {@code null} if the manifest does not record them (written by an
 *     older Kiln)
 * @param publishedAtMillis when the publisher published this version (epoch milliseconds, its
 *     clock), or 0 if the manifest does not record it (written by an older Kiln)
 */
@Internal
public record Manifest(
        long version,
        List<GenerationRef> generations,
        List<String> retired,
        Map<String, Long> committed,
        long orphanCutoffMillis,
        @Nullable List<String> added,
        long publishedAtMillis) {

    public Manifest {
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative, but was " + version);
        }
        generations = List.copyOf(requireNonNull(generations, "generations"));
        retired = List.copyOf(requireNonNull(retired, "retired"));
        committed = Map.copyOf(requireNonNull(committed, "committed"));
        added = added == null ? null : List.copyOf(added);
    }

    /**
     * Returns a manifest that records neither what it added nor when it was published, as an older
     * Kiln wrote them.
     */
    public Manifest(
            long version,
            List<GenerationRef> generations,
            List<String> retired,
            Map<String, Long> committed,
            long orphanCutoffMillis) {
        this(version, generations, retired, committed, orphanCutoffMillis, null, 0);
    }

    /** Returns a manifest that no orphan cleanup has claimed a cutoff in. */
    public Manifest(
            long version,
            List<GenerationRef> generations,
            List<String> retired,
            Map<String, Long> committed) {
        this(version, generations, retired, committed, 0, null, 0);
    }

    /** Returns version 0 of a new table: nothing live. */
    static Manifest empty() {
        return new Manifest(0, List.of(), List.of(), Map.of());
    }

    /** Returns the live generations of {@code bucket}, newest first. */
    public List<GenerationRef> newestFirst(int bucket) {
        List<GenerationRef> result = new ArrayList<>();
        for (int i = generations.size() - 1; i >= 0; i--) {
            if (generations.get(i).bucket() == bucket) {
                result.add(generations.get(i));
            }
        }
        return result;
    }

    /**
     * Returns the generations of {@code bucket} that hold this version's changes, newest first:
     * those it added with new rows. Generations a compaction wrote hold no change (they rewrite
     * rows already published), so a version that only compacts has none.
     *
     * @param previous the manifest of the version before this one; read only if this manifest does
     *     not record what it added (written by an older Kiln), and then required
     * @throws UnknownChangesException naming the version if it does not record what it added and
     *     also retired generations, so its new generations cannot be told from compaction outputs
     */
    public List<GenerationRef> changesNewestFirst(int bucket, @Nullable Manifest previous)
            throws UnknownChangesException {
        Set<String> changed;
        if (added != null) {
            changed = new HashSet<>(added);
        } else {
            if (!retired.isEmpty()) {
                throw new UnknownChangesException(version);
            }
            requireNonNull(previous, "previous");
            changed = new HashSet<>();
            generations.forEach(g -> changed.add(g.path()));
            previous.generations.forEach(g -> changed.remove(g.path()));
        }
        List<GenerationRef> result = new ArrayList<>();
        for (int i = generations.size() - 1; i >= 0; i--) {
            GenerationRef generation = generations.get(i);
            if (generation.bucket() == bucket && changed.contains(generation.path())) {
                result.add(generation);
            }
        }
        return result;
    }

    /**
     * Returns the compactions of {@code compactions} that cannot be applied to this version,
     * applying the others in order: those an input of which is not live here, or whose inputs are
     * no longer consecutive in their bucket (see {@link Compaction}). A commit of the others on
     * this version throws no {@link StaleCompactionException}.
     *
     * @throws IllegalArgumentException as a commit would, if a compaction is malformed
     */
    public List<Compaction> staleCompactions(List<Compaction> compactions) {
        List<GenerationRef> live = generations;
        List<Compaction> stale = new ArrayList<>();
        for (Compaction compaction : requireNonNull(compactions, "compactions")) {
            try {
                live = Compactions.apply(live, compaction, version);
            } catch (StaleCompactionException e) {
                stale.add(compaction);
            }
        }
        return stale;
    }

    /**
     * Returns whether committer {@code committerId} has committed checkpoint {@code checkpointId}.
     */
    public boolean hasCommitted(String committerId, long checkpointId) {
        Long last = committed.get(committerId);
        return last != null && last >= checkpointId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Manifest other
                && version == other.version
                && Objects.equals(generations, other.generations)
                && Objects.equals(retired, other.retired)
                && Objects.equals(committed, other.committed)
                && orphanCutoffMillis == other.orphanCutoffMillis
                && Objects.equals(added, other.added)
                && publishedAtMillis == other.publishedAtMillis;
    }

    @Override
    public int hashCode() {
        int h = Long.hashCode(version);
        h = 31 * h + Objects.hashCode(generations);
        h = 31 * h + Objects.hashCode(retired);
        h = 31 * h + Objects.hashCode(committed);
        h = 31 * h + Long.hashCode(orphanCutoffMillis);
        h = 31 * h + Objects.hashCode(added);
        h = 31 * h + Long.hashCode(publishedAtMillis);
        return h;
    }

    @Override
    public String toString() {
        return "Manifest[version="
                + version
                + ", generations="
                + generations
                + ", retired="
                + retired
                + ", committed="
                + committed
                + ", orphanCutoffMillis="
                + orphanCutoffMillis
                + ", added="
                + added
                + ", publishedAtMillis="
                + publishedAtMillis
                + "]";
    }
}
