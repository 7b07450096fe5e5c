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

package dev.kiln.benchmarks;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarCharType;

import org.apache.arrow.memory.BufferAllocator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The lookup benchmarks' table: {@code (id BIGINT, payload STRING, v BIGINT)} keyed by id, {@code
 * buckets} buckets; {@link #rewrite} writes every key again as one generation per bucket and
 * retires the previous ones (a full rewrite per commit, so the table stays one generation per
 * bucket and every key's newest row is in a generation no reader has seen).
 */
final class LookupTable {

    static final RowType TYPE =
            RowType.of(
                    new LogicalType[] {
                        new BigIntType(false),
                        new VarCharType(VarCharType.MAX_LENGTH),
                        new BigIntType()
                    },
                    new String[] {"id", "payload", "v"});

    final KilnTable table;
    private final int keys;
    private final BufferAllocator allocator;
    private long checkpoint;

    LookupTable(java.nio.file.Path dir, int buckets, int keys, BufferAllocator allocator)
            throws IOException {
        TableOptions options =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                        .bucketCount(buckets)
                        .targetPageBytes(16 << 10)
                        .build();
        this.table = KilnTable.create(new Path(dir.toUri()), options);
        this.keys = keys;
        this.allocator = allocator;
    }

    /** Writes every key with value {@code v}, retiring what was live. */
    Manifest rewrite(long v) throws IOException {
        Manifest base = table.latestManifest();
        int buckets = table.options().bucketCount();
        List<RowDataMemtable> memtables = new ArrayList<>();
        try {
            for (int b = 0; b < buckets; b++) {
                memtables.add(new RowDataMemtable(TYPE, table.options(), allocator));
            }
            for (long id = 0; id < keys; id++) {
                memtables
                        .get(table.options().bucketOf(key(id)))
                        .add(
                                GenericRowData.of(
                                        id,
                                        StringData.fromString(
                                                "payload of "
                                                        + id
                                                        + " about sixty bytes long ...."),
                                        v));
            }
            List<GenerationRef> added = new ArrayList<>();
            for (int b = 0; b < buckets; b++) {
                if (!memtables.get(b).isEmpty()) {
                    String path = table.newGenerationPath(b);
                    added.add(
                            GenerationRef.of(path, b, memtables.get(b).flush(table.resolve(path))));
                }
            }
            List<String> retired = base.generations().stream().map(GenerationRef::path).toList();
            return table.commit(new Commit("bench", ++checkpoint, added, retired));
        } finally {
            memtables.forEach(RowDataMemtable::close);
        }
    }

    byte[] key(long id) {
        return table.options().keyCodec().encode(id);
    }
}
