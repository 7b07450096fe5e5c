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

import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class CompactActionTest {

    private static final RowType TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("v", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    /** A table written with compaction off: 30 commits of every key; compacted to the bound. */
    @Test
    void compactsATableWrittenWithoutCompactionToThePolicysBound() throws Exception {
        Path root = new Path(dir.resolve("t").toUri());
        KilnTable table =
                KilnTable.create(
                        root,
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(2)
                                .build());
        RowKeyExtractor keys = new RowKeyExtractor(TYPE, List.of("id"));
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int commit = 1; commit <= 30; commit++) {
                List<GenerationRef> added = new ArrayList<>();
                for (int bucket = 0; bucket < 2; bucket++) {
                    try (RowDataMemtable memtable =
                            new RowDataMemtable(TYPE, table.options(), allocator)) {
                        for (long id = 0; id < 100; id++) {
                            GenericRowData row =
                                    GenericRowData.of(id, StringData.fromString("v" + commit));
                            if (keys.bucket(row, 2) == bucket) {
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
            assertThat(table.latestManifest().newestFirst(0)).hasSize(30);

            int commits =
                    CompactAction.compact(
                            root, CompactionPolicy.builder().maxGenerations(3).build());

            Manifest latest = table.latestManifest();
            assertThat(commits).isPositive();
            assertThat(latest.newestFirst(0)).hasSizeLessThanOrEqualTo(3);
            assertThat(latest.newestFirst(1)).hasSizeLessThanOrEqualTo(3);
            ExecutorService io = Executors.newFixedThreadPool(2);
            try {
                GenerationLookup direct =
                        GenerationLookup.direct(RangeReader.onFileSystem(io), allocator);
                for (long id = 0; id < 100; id++) {
                    LookupResult result =
                            table.snapshot(direct)
                                    .lookup(keys.key(GenericRowData.of(id, null)))
                                    .get(10, TimeUnit.SECONDS);
                    assertThat(result.values().get(1).toString()).isEqualTo("v30");
                }
            } finally {
                io.shutdownNow();
            }
            assertThat(
                            CompactAction.compact(
                                    root, CompactionPolicy.builder().maxGenerations(3).build()))
                    .as("nothing left to do")
                    .isZero();
        }
    }
}
