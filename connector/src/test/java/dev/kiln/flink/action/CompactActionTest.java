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

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;
import dev.kiln.table.VersionExpiredException;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactActionTest {

    private static final RowType TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.STRING()))
                            .getLogicalType();

    private static final RowKeyExtractor KEYS = new RowKeyExtractor(TYPE, List.of("id"));

    @TempDir java.nio.file.Path dir;

    /** A table written with compaction off: 30 commits of every key; compacted to the bound. */
    @Test
    void compactsATableWrittenWithoutCompactionToThePolicysBound() throws Exception {
        Path root = new Path(dir.resolve("t").toUri());
        KilnTable table = writeWithoutCompaction(root, 30);
        assertThat(table.latestManifest().newestFirst(0)).hasSize(30);

        int commits =
                CompactAction.compact(root, CompactionPolicy.builder().maxGenerations(3).build());

        Manifest latest = table.latestManifest();
        assertThat(commits).isPositive();
        assertThat(latest.newestFirst(0)).hasSizeLessThanOrEqualTo(3);
        assertThat(latest.newestFirst(1)).hasSizeLessThanOrEqualTo(3);
        assertEveryKeyReads(table, "v30");
        assertThat(
                        CompactAction.compact(
                                root, CompactionPolicy.builder().maxGenerations(3).build()))
                .as("nothing left to do")
                .isZero();
    }

    /** Writes keys 0..99 with value {@code v<commit>} in each of {@code commits} commits. */
    private static KilnTable writeWithoutCompaction(Path root, int commits) throws Exception {
        KilnTable table =
                KilnTable.create(
                        root,
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(2)
                                .build());
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int commit = 1; commit <= commits; commit++) {
                List<GenerationRef> added = new ArrayList<>();
                for (int bucket = 0; bucket < 2; bucket++) {
                    try (RowDataMemtable memtable =
                            new RowDataMemtable(TYPE, table.options(), allocator)) {
                        for (long id = 0; id < 100; id++) {
                            GenericRowData row =
                                    GenericRowData.of(id, StringData.fromString("v" + commit));
                            if (KEYS.bucket(row, 2) == bucket) {
                                memtable.add(row);
                            }
                        }
                        String path = table.newGenerationPath(bucket);
                        added.add(
                                GenerationRef.of(
                                        path, bucket, memtable.flush(table.resolve(path))));
                    }
                }
                table.commit(new Commit("writer", commit, added, List.of()));
            }
        }
        return table;
    }

    /** Every key 0..99 of the latest version reads {@code value}. */
    private static void assertEveryKeyReads(KilnTable table, String value) throws Exception {
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator()) {
            GenerationLookup direct =
                    GenerationLookup.direct(RangeReader.onFileSystem(io), allocator);
            for (long id = 0; id < 100; id++) {
                LookupResult result =
                        table.snapshot(direct)
                                .lookup(KEYS.key(GenericRowData.of(id, null)))
                                .get(10, TimeUnit.SECONDS);
                assertThat(result.values().get(1).toString()).isEqualTo(value);
            }
        } finally {
            io.shutdownNow();
        }
    }

    /**
     * The action as the table's maintenance, on a table written without compaction: compact, expire
     * all but the newest version, remove the orphans; storage then holds exactly the live
     * generations, and every key still reads right.
     */
    @Test
    void compactsExpiresAndRemovesOrphansFromTheCommandLine() throws Exception {
        Path root = new Path(dir.resolve("t").toUri());
        KilnTable table = writeWithoutCompaction(root, 12);
        assertThatThrownBy(
                        () ->
                                CompactAction.main(
                                        new String[] {
                                            "--table", root.toString(), "--keep-for", "soon"
                                        }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--keep-for");
        assertThatThrownBy(
                        () ->
                                CompactAction.main(
                                        new String[] {
                                            "--table", root.toString(), "--keep-last", "0"
                                        }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--keep-last");
        assertThat(table.latestManifest().version())
                .as("bad arguments change nothing")
                .isEqualTo(12);

        CompactAction.main(
                new String[] {
                    "--table", root.toString(),
                    "--max-generations", "2",
                    "--keep-last", "1",
                    "--orphans-older-than", "0 ms"
                });

        Manifest latest = table.latestManifest();
        assertThat(latest.newestFirst(0)).hasSizeLessThanOrEqualTo(2);
        assertThatThrownBy(() -> table.manifest(latest.version() - 2))
                .isInstanceOf(VersionExpiredException.class);
        java.nio.file.Path data = dir.resolve("t").resolve("data");
        Set<String> stored = new HashSet<>();
        try (Stream<java.nio.file.Path> files = Files.walk(data)) {
            files.filter(Files::isRegularFile)
                    .forEach(f -> stored.add("data/" + data.relativize(f)));
        }
        Set<String> live = new HashSet<>();
        table.latestManifest().generations().forEach(g -> live.add(g.path()));
        assertThat(stored).isEqualTo(live);
        assertEveryKeyReads(table, "v12");
    }
}
