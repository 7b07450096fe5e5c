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

import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Map;

/** Real generation files of {@link KilnTableTest#SCHEMA} ({@code id BIGINT, name STRING}). */
final class GenerationFiles {

    private GenerationFiles() {}

    /**
     * Writes the entries of {@code rows} that fall in {@code bucket} (a {@code null} value: a
     * delete) as a new generation of {@code table}, not committed; {@code null} if none fall there.
     */
    static GenerationRef write(
            KilnTable table, BufferAllocator allocator, int bucket, Map<Long, String> rows)
            throws IOException {
        return write(table, table.options().newWriter(), allocator, bucket, rows);
    }

    /** As {@link #write(KilnTable, BufferAllocator, int, Map)}, with {@code writer}. */
    static GenerationRef write(
            KilnTable table,
            GenerationWriter writer,
            BufferAllocator allocator,
            int bucket,
            Map<Long, String> rows)
            throws IOException {
        String path = table.newGenerationPath(bucket);
        try (VectorSchemaRoot root = VectorSchemaRoot.create(table.options().schema(), allocator)) {
            BigIntVector id = (BigIntVector) root.getVector("id");
            VarCharVector name = (VarCharVector) root.getVector("name");
            BitSet deletes = new BitSet();
            int row = 0;
            for (Map.Entry<Long, String> e : rows.entrySet()) {
                if (table.options().bucketOf(table.options().keyCodec().encode(e.getKey()))
                        != bucket) {
                    continue;
                }
                id.setSafe(row, e.getKey());
                if (e.getValue() == null) {
                    deletes.set(row);
                    name.setNull(row);
                } else {
                    name.setSafe(row, e.getValue().getBytes(StandardCharsets.UTF_8));
                }
                row++;
            }
            if (row == 0) {
                return null;
            }
            root.setRowCount(row);
            GenerationStats stats = writer.write(table.resolve(path), root, deletes, allocator);
            return GenerationRef.of(path, bucket, stats);
        }
    }
}
