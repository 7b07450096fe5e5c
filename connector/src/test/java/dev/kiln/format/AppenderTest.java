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

package dev.kiln.format;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link GenerationWriter.Appender}'s pages, allocated once from the first row's size, and its key
 * order check; {@link Page#keys()}, the keys a merge appends in place.
 */
class AppenderTest {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            Memtables.notNull("tenant", ArrowType.Utf8.INSTANCE),
                            Memtables.notNull("id", new ArrowType.Int(64, true)),
                            Memtables.nullable("s", ArrowType.Utf8.INSTANCE)));

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(2);

    @TempDir java.nio.file.Path dir;

    @AfterEach
    void closeAndCheckForLeaks() {
        ioExecutor.shutdownNow();
        assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        allocator.close();
    }

    private Path path(String name) {
        return new Path(dir.resolve(name).toUri());
    }

    /**
     * Rows in key order whose string is {@code first} bytes long in row 0 and {@code rest} bytes in
     * the others: the first row's size is all the appender sizes its page's vectors by.
     */
    private VectorSchemaRoot rows(int count, int first, int rest) {
        VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
        VarCharVector tenant = (VarCharVector) root.getVector("tenant");
        BigIntVector id = (BigIntVector) root.getVector("id");
        VarCharVector s = (VarCharVector) root.getVector("s");
        for (int i = 0; i < count; i++) {
            tenant.setSafe(i, ("t" + (i / 1000)).getBytes(StandardCharsets.UTF_8));
            id.setSafe(i, i);
            if (i % 7 == 3) {
                s.setNull(i);
            } else {
                s.setSafe(i, "x".repeat(i == 0 ? first : rest).getBytes(StandardCharsets.UTF_8));
            }
        }
        root.setRowCount(count);
        return root;
    }

    @Test
    void pagesSizedFromAnUnlikeFirstRowWriteTheBytesOfEveryOtherWay() throws Exception {
        int[][] shapes = {{2_000, 1}, {1, 300}, {20, 20}, {0, 5_000}};
        for (long target : new long[] {256, 4 * 1024, 128 * 1024}) {
            for (boolean stored : new boolean[] {false, true}) {
                GenerationWriter.Builder builder =
                        GenerationWriter.builder(SCHEMA, List.of("tenant", "id"))
                                .compression(PageCompression.ZSTD);
                GenerationWriter writer =
                        stored
                                ? builder.targetStoredPageBytes(target).build()
                                : builder.targetPageBytes(target).build();
                for (int[] shape : shapes) {
                    String name = target + "-" + stored + "-" + shape[0] + "-" + shape[1];
                    try (VectorSchemaRoot rows = rows(3_000, shape[0], shape[1])) {
                        BitSet deletes = new BitSet();
                        deletes.set(10);
                        deletes.set(2_999);
                        writer.write(path(name + ".written"), rows, deletes, allocator);
                        FieldVector[] columns = rows.getFieldVectors().toArray(new FieldVector[0]);
                        KeyCodec codec = writer.keyCodec();
                        // the string columns the write stored as views, as a merge asks
                        Set<String> views = open(name + ".written").stringViewColumns();
                        try (GenerationWriter.Appender out =
                                writer.open(path(name + ".appended"), allocator, null, views)) {
                            for (int i = 0; i < rows.getRowCount(); i++) {
                                out.append(codec.encode(rows, i), columns, i, deletes.get(i));
                            }
                            out.finish();
                        }
                    }
                    byte[] written = Files.readAllBytes(dir.resolve(name + ".written"));
                    assertThat(Files.readAllBytes(dir.resolve(name + ".appended")))
                            .as(name)
                            .isEqualTo(written);
                    Generation g = open(name + ".written");
                    assertThat(g.rowCount()).as(name).isEqualTo(3_000);
                    assertThat(
                                    Memtables.comparable(
                                            g.lookup(codec(writer, "t2", 2_500), allocator)
                                                    .join()
                                                    .values()))
                            .as(name)
                            .containsExactly("t2", "2500", "x".repeat(shape[1]));
                }
            }
        }
    }

    private static byte[] codec(GenerationWriter writer, String tenant, long id) {
        return writer.keyCodec().encode(tenant, id);
    }

    @Test
    void anAppenderRefusesKeysOutOfOrderInEitherForm() throws Exception {
        GenerationWriter writer = GenerationWriter.builder(SCHEMA, List.of("tenant", "id")).build();
        try (VectorSchemaRoot rows = rows(3, 1, 1);
                GenerationWriter.Appender out = writer.open(path("order.arrow"), allocator)) {
            FieldVector[] columns = rows.getFieldVectors().toArray(new FieldVector[0]);
            KeyCodec codec = writer.keyCodec();
            byte[] a = codec.encode(rows, 0);
            byte[] b = codec.encode(rows, 1);
            byte[] block = new byte[a.length + b.length];
            System.arraycopy(b, 0, block, 0, b.length);
            System.arraycopy(a, 0, block, b.length, a.length);
            out.append(block, 0, b.length, columns, 1, false);
            assertThatThrownBy(() -> out.append(block, b.length, block.length, columns, 0, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("strictly increasing");
            assertThatThrownBy(() -> out.append(b.clone(), columns, 1, false))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("strictly increasing");
            out.append(codec.encode(rows, 2), columns, 2, false);
            assertThat(out.finish().rowCount()).isEqualTo(2);
        }
    }

    @Test
    void aPagesKeyBlockHoldsEachRowsKeyAsKeyEncodesIt() throws Exception {
        GenerationWriter writer =
                GenerationWriter.builder(SCHEMA, List.of("tenant", "id"))
                        .targetPageBytes(4 * 1024)
                        .build();
        try (VectorSchemaRoot rows = rows(2_500, 3, 9)) {
            writer.write(path("keys.arrow"), rows, new BitSet(), allocator);
        }
        Generation g = open("keys.arrow");
        assertThat(g.pageCount()).isGreaterThan(3);
        for (int p = 0; p < g.pageCount(); p++) {
            try (Page page = g.loadPage(p, allocator).join()) {
                KeyBlock keys = page.keys();
                for (int r = 0; r < page.rowCount(); r++) {
                    assertThat(keys.key(r)).isEqualTo(page.key(r));
                    assertThat(keys.to(r) - keys.from(r)).isEqualTo(page.key(r).length);
                }
            }
        }
    }

    private Generation open(String name) {
        return Generation.open(dev.kiln.io.RangeReader.onFileSystem(ioExecutor), path(name)).join();
    }
}
