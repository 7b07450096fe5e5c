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

import dev.kiln.format.GenerationWriter;
import dev.kiln.io.RangeReader;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Function;

import static java.util.Objects.requireNonNull;

/**
 * Compacts a table's buckets by a {@link CompactionPolicy}: {@link #rewrite} merges, for each
 * bucket the policy picks, the newest generations into one new generation (written, not yet
 * published); {@link #compact} also commits them, each replacing its inputs atomically and in
 * place, and plans again if another commit changed the inputs first.
 *
 * <p>Safe beside writers and other compactors: commits are the table's usual optimistic protocol; a
 * compaction whose inputs another commit retired fails with {@link StaleCompactionException}, its
 * unpublished output is deleted, and the next round plans on the latest version. So does a round
 * whose base version expired and lost an input file to orphan cleanup while it was read. Blocks on
 * storage I/O; not thread-safe (one compaction at a time per instance).
 */
@Internal
public final class Compactor {

    private static final Logger LOG = LoggerFactory.getLogger(Compactor.class);

    /** How many times {@link #compact} plans again after losing its inputs to another commit. */
    public static final int MAX_ROUNDS = 8;

    private final KilnTable table;
    private final CompactionPolicy policy;
    private final GenerationMerger merger;
    @Nullable private final Function<Path, GenerationWriter.Listener> outputListener;

    /**
     * @param io reads the generations to merge
     * @param allocator holds a merge's pages (one per input and the output's) while it runs; stays
     *     owned by the caller
     */
    public Compactor(
            KilnTable table, RangeReader io, BufferAllocator allocator, CompactionPolicy policy) {
        this(table, io, allocator, policy, null);
    }

    /**
     * A compactor that tells what it writes: for each output generation, {@code outputListener} is
     * given the output's path as the write starts and returns the {@link GenerationWriter.Listener}
     * told of its pages, then of its completion or failure (or {@code null}: nothing told). What a
     * writer hands to a cache (write-through) this way.
     *
     * @param io reads the generations to merge
     * @param allocator holds a merge's pages (one per input and the output's) while it runs; stays
     *     owned by the caller
     * @param outputListener called on the compacting thread; {@code null} for none
     */
    public Compactor(
            KilnTable table,
            RangeReader io,
            BufferAllocator allocator,
            CompactionPolicy policy,
            @Nullable Function<Path, GenerationWriter.Listener> outputListener) {
        this.outputListener = outputListener;
        this.table = requireNonNull(table, "table");
        this.policy = requireNonNull(policy, "policy");
        this.merger =
                new GenerationMerger(
                        table, requireNonNull(io, "io"), requireNonNull(allocator, "allocator"));
    }

    /**
     * Merges, for every bucket of {@code base} the policy picks, the run it picks; the outputs are
     * written but not published.
     *
     * @param buckets the buckets to consider, or all if {@code null}
     * @throws StaleCompactionException if an input of {@code base} was removed because a later
     *     version retired it and every version naming it expired: plan again on the latest version
     */
    public List<Compaction> rewrite(Manifest base, Set<Integer> buckets) throws IOException {
        List<Compaction> compactions = new ArrayList<>();
        // Only the buckets that hold a generation: nothing here scales with the bucket count.
        SortedSet<Integer> used = new TreeSet<>();
        base.generations().forEach(g -> used.add(g.bucket()));
        for (int bucket : used) {
            if (buckets != null && !buckets.contains(bucket)) {
                continue;
            }
            List<GenerationRef> oldestFirst = new ArrayList<>(base.newestFirst(bucket));
            Collections.reverse(oldestFirst);
            CompactionPolicy.Run run = policy.pick(oldestFirst);
            if (run != null) {
                try {
                    compactions.add(
                            merger.merge(
                                    bucket,
                                    oldestFirst.subList(run.from(), run.to()),
                                    run.from() == 0,
                                    outputListener));
                } catch (IOException e) {
                    if (!lostToExpiry(base, e)) {
                        throw e;
                    }
                    deleteOutputs(compactions);
                    throw new StaleCompactionException(
                            "an input of version " + base.version() + " was removed: " + e, e);
                }
            }
        }
        return compactions;
    }

    /**
     * Compacts the latest version and publishes the result as one commit by {@code committerId} for
     * {@code checkpointId}.
     *
     * @return the published manifest, or empty if no bucket needed compaction
     * @throws StaleCompactionException if other commits took the inputs (or expiry and orphan
     *     cleanup removed them) {@link #MAX_ROUNDS} times
     */
    public Optional<Manifest> compact(String committerId, long checkpointId) throws IOException {
        StaleCompactionException lost = null;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            Manifest base = table.latestManifest();
            List<Compaction> compactions;
            try {
                compactions = rewrite(base, null);
            } catch (StaleCompactionException e) {
                lost = e;
                LOG.info(
                        "Compaction of {} found an input of version {} removed (retired by a"
                                + " later version, which expired); planning again",
                        table.root(),
                        base.version());
                continue;
            }
            if (compactions.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(
                        table.commit(
                                new Commit(
                                        committerId,
                                        checkpointId,
                                        List.of(),
                                        List.of(),
                                        compactions)));
            } catch (StaleCompactionException e) {
                lost = e;
                LOG.info(
                        "Compaction of {} lost its inputs, planning again: {}",
                        table.root(),
                        e.getMessage());
                deleteOutputs(compactions);
            }
        }
        throw lost;
    }

    /**
     * Whether {@code failure} of a rewrite of {@code base} is a generation file gone because a
     * later version retired it and the versions naming it expired: planning again on the latest
     * version is then right. A file missing while {@code base} is still retained is a lost file.
     */
    private boolean lostToExpiry(Manifest base, IOException failure) throws IOException {
        Throwable cause = failure;
        while (cause != null && !(cause instanceof java.io.FileNotFoundException)) {
            cause = cause.getCause();
        }
        if (cause == null) {
            return false;
        }
        try {
            table.checkRetained(base.version(), cause);
            return false;
        } catch (VersionExpiredException expired) {
            return true;
        }
    }

    private void deleteOutputs(List<Compaction> compactions) {
        for (Compaction compaction : compactions) {
            if (compaction.output() != null) {
                try {
                    table.resolve(compaction.output().path())
                            .getFileSystem()
                            .delete(table.resolve(compaction.output().path()), false);
                } catch (IOException e) {
                    LOG.warn(
                            "Could not delete unpublished compaction output {}; orphan cleanup"
                                    + " will.",
                            compaction.output().path(),
                            e);
                }
            }
        }
    }
}
