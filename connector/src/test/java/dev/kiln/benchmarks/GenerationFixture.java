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
import java.nio.file.Files;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Writes the benchmark generation: ids 0..rows-1 with a ~60-byte string payload. */
final class GenerationFixture {

    static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field(
                                    "payload", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private GenerationFixture() {}

    static GenerationStats write(Path path, int rows, BufferAllocator allocator)
            throws IOException {
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(SCHEMA, allocator)) {
            BigIntVector id = (BigIntVector) memtable.getVector("id");
            VarCharVector payload = (VarCharVector) memtable.getVector("payload");
            for (int i = 0; i < rows; i++) {
                id.setSafe(i, i);
                payload.setSafe(
                        i,
                        ("payload of row " + i + ", padded to about sixty bytes of text")
                                .getBytes(StandardCharsets.UTF_8));
            }
            memtable.setRowCount(rows);
            return GenerationWriter.builder(SCHEMA, List.of("id"))
                    .build()
                    .write(path, memtable, new BitSet(), allocator);
        }
    }

    static KeyCodec codec() {
        return KeyCodec.of(SCHEMA, List.of("id"));
    }

    static void deleteRecursively(java.nio.file.Path dir) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.walk(dir)) {
            for (java.nio.file.Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
