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

import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * String columns stored as Arrow string views (format version 4): chosen per generation and column,
 * read back as {@code Utf8} with keys in the same order and equality, refused when a view is not
 * inline.
 */
class StringViewsTest {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            Memtables.notNull("k", ArrowType.Utf8.INSTANCE),
                            Memtables.nullable("s", ArrowType.Utf8.INSTANCE),
                            Memtables.nullable("n", new ArrowType.Int(64, true))));

    @TempDir java.nio.file.Path dir;

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioPool = Executors.newFixedThreadPool(2);
    private final RangeReader io = RangeReader.onFileSystem(ioPool);

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    /** Keys of 0 to 12 bytes (multi-byte characters among them), sharing prefixes. */
    private static TreeMap<String, String> rows(int count, String longValue) {
        TreeMap<String, String> rows = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            String key = i == 0 ? "" : Integer.toString(i * 7919 % 100_000, 36) + "ü".repeat(i % 4);
            String value = i % 11 == 3 ? null : i % 7 == 0 ? "" : "v" + (i % 1000) + "€";
            rows.put(key, value);
        }
        if (longValue != null) {
            rows.put("long", longValue);
        }
        return rows;
    }

    private Path write(String name, GenerationWriter writer, Map<String, String> rows)
            throws Exception {
        Path path = new Path(dir.resolve(name).toUri());
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            int r = 0;
            for (Map.Entry<String, String> e : rows.entrySet()) {
                ((VarCharVector) root.getVector("k"))
                        .setSafe(r, e.getKey().getBytes(StandardCharsets.UTF_8));
                if (e.getValue() == null) {
                    root.getVector("s").setNull(r);
                    root.getVector("n").setNull(r);
                } else {
                    ((VarCharVector) root.getVector("s"))
                            .setSafe(r, e.getValue().getBytes(StandardCharsets.UTF_8));
                    ((BigIntVector) root.getVector("n")).setSafe(r, e.getValue().length());
                }
                r++;
            }
            root.setRowCount(r);
            writer.write(path, root, new BitSet(), allocator);
        }
        return path;
    }

    private static GenerationWriter.Builder writer() {
        return GenerationWriter.builder(SCHEMA, List.of("k")).targetPageBytes(2048);
    }

    /** The string columns' types as Arrow's own reader sees the file. */
    private Map<String, ArrowType> storedTypes(Path path) throws Exception {
        Map<String, ArrowType> types = new TreeMap<>();
        try (SeekableByteChannel channel =
                        Files.newByteChannel(java.nio.file.Path.of(path.toUri()));
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            for (Field f : reader.getVectorSchemaRoot().getSchema().getFields()) {
                types.put(f.getName(), f.getType());
            }
            while (reader.loadNextBatch()) {
                // Arrow's reader loads every page of the stored type
            }
        }
        return types;
    }

    /** Every key of {@code rows}, and keys between them, looked up and compared; every row read. */
    private void assertReads(Generation g, TreeMap<String, String> rows) {
        assertThat(g.schema().getFields()).isEqualTo(SCHEMA.getFields());
        for (Map.Entry<String, String> e : rows.entrySet()) {
            LookupResult r = g.lookup(g.keyCodec().encode(e.getKey()), allocator).join();
            assertThat(r.status()).as("key '%s'", e.getKey()).isEqualTo(LookupResult.Status.FOUND);
            List<Object> values = r.values();
            assertThat(String.valueOf(values.get(0))).isEqualTo(e.getKey());
            assertThat(values.get(1) == null ? null : values.get(1).toString())
                    .as("key '%s'", e.getKey())
                    .isEqualTo(e.getValue());
            for (String absent : List.of(e.getKey() + "\0", e.getKey() + "~")) {
                if (!rows.containsKey(absent)) {
                    assertThat(g.lookup(g.keyCodec().encode(absent), allocator).join().status())
                            .as("absent key '%s'", absent)
                            .isEqualTo(LookupResult.Status.ABSENT);
                }
            }
        }
        List<String> scanned = new ArrayList<>();
        for (int p = 0; p < g.pageCount(); p++) {
            try (Page page = g.loadPage(p, allocator).join()) {
                FieldVector keys = page.vector(0);
                assertThat(keys).isInstanceOf(VarCharVector.class);
                for (int r = 0; r < page.rowCount(); r++) {
                    scanned.add(new String(((VarCharVector) keys).get(r), StandardCharsets.UTF_8));
                    assertThat(page.key(r))
                            .isEqualTo(g.keyCodec().encode(scanned.get(scanned.size() - 1)));
                }
            }
        }
        // Stored order is the encoded keys' order, as with Utf8 strings.
        List<String> expected = new ArrayList<>(rows.keySet());
        expected.sort((a, b) -> KeyCodec.compare(g.keyCodec().encode(a), g.keyCodec().encode(b)));
        assertThat(scanned).isEqualTo(expected);
    }

    @Test
    void shortStringsAreStoredAsViewsAndReadAsUtf8WithEveryCodec() throws Exception {
        TreeMap<String, String> rows = rows(3000, null);
        for (PageCompression codec :
                List.of(PageCompression.NONE, PageCompression.LZ4_FRAME, PageCompression.ZSTD)) {
            Path views = write(codec + "-v4.arrow", writer().compression(codec).build(), rows);
            Path utf8 =
                    write(
                            codec + "-v3.arrow",
                            writer().compression(codec)
                                    .formatVersion(GenerationWriter.FORMAT_VERSION_RAW_INDEX)
                                    .build(),
                            rows);
            assertThat(storedTypes(views))
                    .containsEntry("k", ArrowType.Utf8View.INSTANCE)
                    .containsEntry("s", ArrowType.Utf8View.INSTANCE);
            assertThat(storedTypes(utf8))
                    .containsEntry("k", ArrowType.Utf8.INSTANCE)
                    .containsEntry("s", ArrowType.Utf8.INSTANCE);
            Generation v4 = Generation.open(io, views).join();
            Generation v3 = Generation.open(io, utf8).join();
            assertThat(v4.formatVersion()).isEqualTo(GenerationWriter.FORMAT_VERSION).isEqualTo(4);
            assertThat(v4.stringViewColumns()).containsExactly("k", "s");
            assertThat(v3.stringViewColumns()).isEmpty();
            assertThat(v4.pageCount()).isGreaterThan(1);
            // The same pages (cut on the rows' Arrow bytes) and index: only the strings differ.
            assertThat(v4.pageCount()).isEqualTo(v3.pageCount());
            assertThat(v4.minKey()).isEqualTo(v3.minKey());
            assertThat(v4.maxKey()).isEqualTo(v3.maxKey());
            assertReads(v4, rows);
            assertReads(v3, rows);
        }
    }

    @Test
    void aColumnWithAValueLongerThanAViewStaysUtf8() throws Exception {
        TreeMap<String, String> rows = rows(500, "thirteen byte");
        Path path = write("long.arrow", writer().compression(PageCompression.ZSTD).build(), rows);
        assertThat(storedTypes(path))
                .containsEntry("k", ArrowType.Utf8View.INSTANCE)
                .containsEntry("s", ArrowType.Utf8.INSTANCE);
        Generation g = Generation.open(io, path).join();
        assertThat(g.stringViewColumns()).containsExactly("k");
        assertReads(g, rows);
    }

    @Test
    void anAppenderStoresTheColumnsItIsToldAndRefusesAValueThatDoesNotFit() throws Exception {
        GenerationWriter writer = writer().compression(PageCompression.ZSTD).build();
        assertThatThrownBy(
                        () ->
                                writer.open(
                                        new Path(dir.resolve("x.arrow").toUri()),
                                        allocator,
                                        null,
                                        Set.of("n")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'n' is not a string column");
        assertThat(dir.resolve("x.arrow")).doesNotExist();

        Path path = new Path(dir.resolve("long.arrow").toUri());
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            ((VarCharVector) root.getVector("k")).setSafe(0, "a".getBytes(StandardCharsets.UTF_8));
            ((VarCharVector) root.getVector("s"))
                    .setSafe(0, "thirteen byte".getBytes(StandardCharsets.UTF_8));
            root.setRowCount(1);
            FieldVector[] columns = root.getFieldVectors().toArray(new FieldVector[0]);
            try (GenerationWriter.Appender out = writer.open(path, allocator, null, Set.of("s"))) {
                out.append(writer.keyCodec().encode("a"), columns, 0, false);
                assertThatThrownBy(out::finish)
                        .hasMessageContaining("'s'")
                        .hasMessageContaining("at most 12 bytes");
            }
        }
        assertThat(dir.resolve("long.arrow")).doesNotExist();

        // An older format version ignores the request.
        Path v3 = new Path(dir.resolve("v3.arrow").toUri());
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                GenerationWriter.Appender out =
                        writer().formatVersion(GenerationWriter.FORMAT_VERSION_RAW_INDEX)
                                .build()
                                .open(v3, allocator, null, Set.of("k", "s"))) {
            ((VarCharVector) root.getVector("k")).setSafe(0, "a".getBytes(StandardCharsets.UTF_8));
            root.setRowCount(1);
            out.append(
                    writer.keyCodec().encode("a"),
                    root.getFieldVectors().toArray(new FieldVector[0]),
                    0,
                    false);
            out.finish();
        }
        assertThat(Generation.open(io, v3).join().stringViewColumns()).isEmpty();
    }

    @Test
    void aViewThatIsNotInlineIsACorruptPageNamingItsColumnAndRow() throws Exception {
        TreeMap<String, String> rows = rows(200, null);
        Path path = write("views.arrow", writer().build(), rows);
        java.nio.file.Path file = java.nio.file.Path.of(path.toUri());
        byte[] crafted =
                CraftedGenerations.rewrite(
                        Files.readAllBytes(file),
                        parts -> {
                            byte[] block = parts.page(0);
                            int length =
                                    ByteBuffer.wrap(block, 4, 4)
                                            .order(ByteOrder.LITTLE_ENDIAN)
                                            .getInt();
                            RecordBatch batch =
                                    (RecordBatch)
                                            Message.getRootAsMessage(
                                                            ByteBuffer.wrap(block, 8, length)
                                                                    .slice())
                                                    .header(new RecordBatch());
                            // Buffers: k's validity and views, s's validity and views, ...
                            int views = (int) batch.buffers(3).offset();
                            int body = parts.blocks.get(0).getMetadataLength();
                            // Every view of s claims 13 bytes (in a variadic buffer).
                            for (int r = 0; r < parts.index.pageRows[0]; r++) {
                                ByteBuffer.wrap(block)
                                        .order(ByteOrder.LITTLE_ENDIAN)
                                        .putInt(body + views + r * 16, 13);
                            }
                            parts.replacePage(0, block);
                            parts.reseal();
                        });
        Files.write(file, crafted);
        Generation g = Generation.open(io, path).join();
        assertThatThrownBy(() -> g.loadPage(0, allocator).join())
                .hasRootCauseInstanceOf(IllegalArgumentException.class)
                .rootCause()
                .hasMessageContaining("column 's'")
                .hasMessageContaining("13 bytes at row");
        assertThatThrownBy(() -> g.loadPage(0, allocator).join())
                .hasCauseInstanceOf(CorruptGenerationException.class);
    }

    @Test
    void aFileOfAnOlderVersionWithStringViewsIsRefused() throws Exception {
        Path path = write("views.arrow", writer().build(), rows(50, null));
        java.nio.file.Path file = java.nio.file.Path.of(path.toUri());
        byte[] crafted =
                CraftedGenerations.rewrite(
                        Files.readAllBytes(file),
                        parts -> {
                            parts.index =
                                    new GenerationFormat.Index(
                                            GenerationFormat.FORMAT_VERSION_RAW_INDEX,
                                            parts.index.keyColumns,
                                            parts.index.footerFingerprint,
                                            parts.index.rowCount,
                                            parts.index.tombstoneCount,
                                            parts.index.pageRows,
                                            parts.index.pageCrcs,
                                            parts.index.firstKeys,
                                            parts.index.maxKey,
                                            parts.index.filter);
                            parts.metadata.put(GenerationFormat.META_VERSION, "3");
                            parts.reseal();
                        });
        Files.write(file, crafted);
        assertThatThrownBy(() -> Generation.open(io, path).join())
                .hasCauseInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining("string views in a file of format version 3");
    }
}
