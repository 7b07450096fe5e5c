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

package dev.kiln.flink.action;

import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.core.fs.Path;
import org.apache.flink.util.ParameterTool;
import org.apache.flink.util.TimeUtils;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Compacts a Kiln table once, from the command line, like Paimon's compact action: for a table
 * written by a job with compaction off, or to bring a table's buckets back within a tighter bound.
 * Safe beside running writers and readers: compactions are ordinary commits that replace their
 * inputs in place, and a compaction whose inputs another commit took first plans again.
 *
 * <pre>{@code
 * java -cp flink-connector-kiln.jar:<flink jars> dev.kiln.flink.action.CompactAction \
 *     --table file:///data/customers [--max-generations 16] [--tier-factor 4] [--compact false] \
 *     [--keep-last 10] [--keep-for 1h] [--orphans-older-than 1d]
 * }</pre>
 *
 * <p>Runs rounds until no bucket needs compaction; each round is one commit by a committer id
 * unique to this run. Prints each published version. Then, if asked, it is the table's maintenance:
 * {@code --keep-last} / {@code --keep-for} expire old versions ({@link KilnTable#expireVersions}: a
 * version is kept if it is among the newest {@code keep-last}, 1 if only {@code keep-for} is given,
 * or younger than {@code keep-for}, 0 if only {@code keep-last} is given), and {@code
 * --orphans-older-than} removes the generation files no retained version names that are older than
 * that ({@link KilnTable#removeOrphans}; it must exceed the longest time between writing a
 * generation and committing it, checkpoint intervals and compaction rounds included). Both are safe
 * beside running writers and readers.
 */
@PublicEvolving
public final class CompactAction {

    private CompactAction() {}

    public static void main(String[] args) throws IOException {
        ParameterTool params = ParameterTool.fromArgs(args);
        if (!params.has("table")) {
            throw new IllegalArgumentException(
                    "usage: CompactAction --table <path> [--max-generations N] [--tier-factor T]"
                            + " [--compact true|false] [--keep-last N] [--keep-for <duration>]"
                            + " [--orphans-older-than <duration>]");
        }
        Path root = new Path(params.getRequired("table"));
        boolean expire = params.has("keep-last") || params.has("keep-for");
        int keepLast = params.getInt("keep-last", 1);
        Duration keepFor = duration(params, "keep-for", Duration.ZERO);
        Duration orphansOlderThan = duration(params, "orphans-older-than", null);
        if (keepLast < 1) {
            throw new IllegalArgumentException(
                    "--keep-last must be at least 1, but was " + keepLast);
        }
        CompactionPolicy policy =
                CompactionPolicy.builder()
                        .maxGenerations(
                                params.getInt(
                                        "max-generations",
                                        CompactionPolicy.DEFAULT_MAX_GENERATIONS))
                        .tierFactor(
                                params.getInt("tier-factor", CompactionPolicy.DEFAULT_TIER_FACTOR))
                        .build();
        if (params.getBoolean("compact", true)) {
            int rounds = compact(root, policy);
            System.out.println("compaction done after " + rounds + " commit(s)");
        }
        if (expire) {
            List<Long> expired =
                    KilnTable.open(root).expireVersions(keepLast, keepFor, Clock.systemUTC());
            System.out.println("expired " + expired.size() + " version(s) of " + root);
        }
        if (orphansOlderThan != null) {
            List<Path> removed =
                    KilnTable.open(root).removeOrphans(orphansOlderThan, Clock.systemUTC());
            System.out.println("removed " + removed.size() + " orphan file(s) of " + root);
        }
    }

    private static Duration duration(ParameterTool params, String key, Duration absent) {
        if (!params.has(key)) {
            return absent;
        }
        try {
            return TimeUtils.parseDuration(params.get(key));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "--"
                            + key
                            + " must be a duration (e.g. 30 min, 1h), but was "
                            + params.get(key),
                    e);
        }
    }

    /**
     * Compacts the table at {@code root} until the policy asks for nothing more.
     *
     * @return the number of commits made
     */
    public static int compact(Path root, CompactionPolicy policy) throws IOException {
        KilnTable table = KilnTable.open(root);
        String committerId = "compact-action-" + UUID.randomUUID();
        ExecutorService io =
                Executors.newFixedThreadPool(4, KilnThreads.factory("kiln-compact-io"));
        try (BufferAllocator allocator = new RootAllocator()) {
            Compactor compactor =
                    new Compactor(table, RangeReader.onFileSystem(io), allocator, policy);
            int commits = 0;
            for (Optional<Manifest> published = compactor.compact(committerId, 1);
                    published.isPresent();
                    published = compactor.compact(committerId, commits + 1)) {
                commits++;
                System.out.println(
                        "published version "
                                + published.get().version()
                                + " of "
                                + root
                                + ": "
                                + published.get().generations().size()
                                + " live generations");
            }
            return commits;
        } finally {
            io.shutdownNow();
        }
    }
}
