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

package dev.kiln.flink.source;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.util.Text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The bucket merge of the scan against a model of upserts and deletes over many generations. */
class BucketMergeTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void newestGenerationWinsAndTombstonesHideOlderRows() throws Exception {
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(1)
                                .targetPageBytes(64) // a few rows per page: merges across pages
                                .build());
        TreeMap<Long, String> model = new TreeMap<>();
        List<GenerationRef> generations = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int g = 0; g < 6; g++) {
                Map<Long, String> upserts = new LinkedHashMap<>();
                List<Long> deletes = new ArrayList<>();
                for (long id = 0; id < 60; id++) {
                    long pick = (id * 7 + g * 13) % 5;
                    if (pick == 0) {
                        deletes.add(id); // some were never written: tombstones of absent keys
                    } else if (pick <= 2 || g == 0) {
                        upserts.put(id, "g" + g + "-" + id);
                    }
                }
                try (RowDataMemtable memtable =
                        new RowDataMemtable(ROW_TYPE, table.options(), allocator)) {
                    upserts.forEach(
                            (id, name) ->
                                    memtable.add(
                                            GenericRowData.of(id, StringData.fromString(name))));
                    deletes.forEach(
                            id -> memtable.add(GenericRowData.ofKind(RowKind.DELETE, id, null)));
                    String path = table.newGenerationPath(0);
                    generations.add(GenerationRef.of(path, 0, memtable.flush(table.resolve(path))));
                }
                model.putAll(upserts);
                deletes.forEach(model::remove);
            }
            table.commit(new Commit("test", 1, generations, List.of()));

            List<List<Object>> rows = new ArrayList<>();
            try (BufferAllocator merging = allocator.newChildAllocator("merge", 0, Long.MAX_VALUE);
                    BucketMerge merge =
                            new BucketMerge(
                                    table,
                                    table.latestManifest(),
                                    0,
                                    RangeReader.onFileSystem(Runnable::run),
                                    merging,
                                    new int[] {1, 0})) {
                for (List<Object> row = merge.next(); row != null; row = merge.next()) {
                    rows.add(row);
                }
                assertThat(merge.next()).isNull();
            }
            List<List<Object>> expected = new ArrayList<>();
            model.forEach((id, name) -> expected.add(List.of(new Text(name), id)));
            assertThat(rows)
                    .as("live rows in key order, newest version of each")
                    .isEqualTo(expected);
            assertThat(expected).hasSizeBetween(10, 50);
        }
    }

    @Test
    void aBucketWithoutGenerationsIsEmpty() throws Exception {
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("empty").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                        List.of("id"))
                                .build());
        try (BufferAllocator allocator = new RootAllocator();
                BucketMerge merge =
                        new BucketMerge(
                                table,
                                table.latestManifest(),
                                0,
                                RangeReader.onFileSystem(Runnable::run),
                                allocator,
                                new int[] {0})) {
            assertThat(merge.next()).isNull();
        }
    }
}
