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

package dev.kiln.warm;

import dev.kiln.format.GenerationStats;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.KeyCodec;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.List;
import java.util.function.LongFunction;

/** Writes real generation files for the warm layer's tests: {@code id BIGINT, name STRING}. */
final class TestGenerations {

    static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    static final KeyCodec KEYS = KeyCodec.of(SCHEMA, List.of("id"));

    /** Small pages, so that a few thousand rows make dozens of pages. */
    static final long PAGE_BYTES = 2048;

    private TestGenerations() {}

    /**
     * Writes ids {@code [from, to)} with name {@code name(id)}; ids divisible by {@code
     * deleteEvery} (if positive) are tombstones.
     */
    static GenerationStats write(
            Path path, long from, long to, int deleteEvery, BufferAllocator allocator)
            throws IOException {
        return write(path, from, to, deleteEvery, allocator, null, TestGenerations::name);
    }

    /**
     * Like {@link #write(Path, long, long, int, BufferAllocator)}, with the names {@code names}
     * gives, telling {@code listener} (if not null) what it writes.
     */
    static GenerationStats write(
            Path path,
            long from,
            long to,
            int deleteEvery,
            BufferAllocator allocator,
            GenerationWriter.Listener listener,
            LongFunction<String> names)
            throws IOException {
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(SCHEMA, allocator)) {
            BigIntVector id = (BigIntVector) memtable.getVector("id");
            VarCharVector name = (VarCharVector) memtable.getVector("name");
            BitSet deletes = new BitSet();
            int row = 0;
            for (long k = from; k < to; k++, row++) {
                id.setSafe(row, k);
                name.setSafe(row, names.apply(k).getBytes(StandardCharsets.UTF_8));
                if (deleteEvery > 0 && k % deleteEvery == 0) {
                    deletes.set(row);
                }
            }
            memtable.setRowCount(row);
            return GenerationWriter.builder(SCHEMA, List.of("id"))
                    .targetPageBytes(PAGE_BYTES)
                    .build()
                    .write(path, memtable, deletes, allocator, listener);
        }
    }

    /** Returns the generation file at {@code path}, with its length as stored. */
    static GenerationFile fileOf(Path path) throws IOException {
        return new GenerationFile(path, path.getFileSystem().getFileStatus(path).getLen());
    }

    static String name(long id) {
        return "name of " + id;
    }

    static byte[] key(long id) {
        return KEYS.encode(id);
    }
}
