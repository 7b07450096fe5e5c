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

package dev.kiln.flink.table;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.lookup.LookupOptions;
import dev.kiln.format.GenerationStats;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.util.MockStreamingRuntimeContext;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SqlLookup}'s answers, read straight from a table on a real file system. */
class SqlLookupTest {

    private static final RowType TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();
    private static final RowType KEY_ROW =
            (RowType)
                    DataTypes.ROW(DataTypes.FIELD("id", DataTypes.BIGINT().notNull()))
                            .getLogicalType();
    private static final List<String> KEY = List.of("id");
    private static final int KEYS = 200;

    @TempDir java.nio.file.Path dir;

    /**
     * The hit path encodes each key row into one reused array; misses wait in a batch, here until
     * all {@value #KEYS} are queued (nothing is cached), so a miss that kept that array would be
     * answered for the last key looked up. Each answer is its own key's row.
     */
    @Test
    void missesQueuedBehindLaterLookupsAreAnsweredForTheirOwnKeys() throws Exception {
        Path root = new Path(dir.resolve("t").toUri());
        TableOptions options =
                TableOptions.builder(FlinkArrowTypes.toArrowSchema(TYPE, KEY), KEY)
                        .bucketCount(1)
                        .targetPageBytes(512)
                        .build();
        KilnTable table = KilnTable.create(root, options);
        try (BufferAllocator allocator = new RootAllocator();
                RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            for (long id = 0; id < KEYS; id++) {
                memtable.add(GenericRowData.of(id, StringData.fromString("n" + id)));
            }
            String path = table.newGenerationPath(0);
            GenerationStats stats = memtable.flush(table.resolve(path));
            table.commit(
                    new Commit("test", 1, List.of(GenerationRef.of(path, 0, stats)), List.of()));
        }
        SqlLookup lookup =
                new SqlLookup(
                        new DeclarationCheck("c.d.t", root, TYPE, KEY, null),
                        KEY_ROW,
                        KEY,
                        new int[] {0, 1},
                        TYPE,
                        new int[0][],
                        0,
                        LookupOptions.builder()
                                .warmBeforeSwap(false)
                                .batchMaxSize(KEYS)
                                .batchWindow(Duration.ofMinutes(1))
                                .build());
        try {
            lookup.open(new FunctionContext(new MockStreamingRuntimeContext(1, 0)));
            List<CompletableFuture<Collection<RowData>>> answers = new ArrayList<>();
            for (long id = KEYS - 1; id >= 0; id--) {
                answers.add(lookup.lookup(GenericRowData.of(id)));
            }
            for (int i = 0; i < KEYS; i++) {
                long id = KEYS - 1 - i;
                Collection<RowData> rows = answers.get(i).get();
                assertThat(rows).as("key %s", id).hasSize(1);
                RowData row = rows.iterator().next();
                assertThat(row.getLong(0)).isEqualTo(id);
                assertThat(row.getString(1).toString()).isEqualTo("n" + id);
            }
        } finally {
            lookup.close();
        }
    }
}
