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
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Files that a writer bug or a hostile writer could produce: every checksum matches, and still the
 * reader answers with a typed error, allocates nothing out of proportion to the file, and leaks
 * nothing. Also: a footer whose schema changed after writing (a flip the footer has no checksum of)
 * fails to open.
 */
class CraftedGenerationTest {

    private static final int ROWS = 2000;

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(2);
    private final RangeReader io = RangeReader.onFileSystem(ioExecutor);

    @TempDir java.nio.file.Path dir;

    private byte[] good;
    private int files;

    @BeforeEach
    void writeAGoodGeneration() throws Exception {
        java.nio.file.Path file = dir.resolve("good.arrow");
        try (VectorSchemaRoot memtable =
                Memtables.allTypes(allocator, LongStream.range(0, ROWS).toArray())) {
            GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .build()
                    .write(new Path(file.toUri()), memtable, new BitSet(), allocator);
        }
        good = Files.readAllBytes(file);
    }

    @AfterEach
    void closeAndCheckForLeaks() {
        ioExecutor.shutdownNow();
        assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        allocator.close();
    }

    @Test
    void aResealedFileWithoutChangesOpensAndAnswers() throws Exception {
        Path path = store(CraftedGenerations.rewrite(good, CraftedGenerations.Parts::reseal));
        Generation g = Generation.open(io, path).join();
        for (long id : new long[] {0, 1, ROWS / 2, ROWS - 1}) {
            assertThat(g.lookup(g.keyCodec().encode(id), allocator).join().status())
                    .isEqualTo(LookupResult.Status.FOUND);
        }
    }

    @Test
    void aSchemaChangedInTheFooterFailsToOpen() throws Exception {
        List<UnaryOperator<Field>> edits = new ArrayList<>();
        // The key column turned unsigned: every present key would answer ABSENT.
        edits.add(f -> retyped(f, "id", new ArrowType.Int(64, false)));
        // A string column turned binary: values would change type.
        edits.add(f -> retyped(f, "s", ArrowType.Binary.INSTANCE));
        edits.add(f -> f.getName().equals("tiny") ? renamed(f, "tinY") : f);
        edits.add(
                f ->
                        f.getName().equals("small")
                                ? new Field("small", FieldType.notNullable(f.getType()), null)
                                : f);
        edits.add(
                f ->
                        retyped(
                                f,
                                "ts",
                                new ArrowType.Timestamp(TimeUnit.MICROSECOND, "Europe/Paris")));
        for (UnaryOperator<Field> edit : edits) {
            // The index is left as written: only the footer's schema differs, as after a flip.
            byte[] bytes = CraftedGenerations.rewrite(good, parts -> editFields(parts, edit));
            Path path = store(bytes);
            assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                    .hasMessageContaining("schema");
        }
    }

    @Test
    void aPageTableChangedInTheFooterFailsToOpen() throws Exception {
        byte[] bytes =
                CraftedGenerations.rewrite(
                        good,
                        parts -> {
                            ArrowBlock b = parts.blocks.get(1);
                            parts.blocks.set(
                                    1,
                                    new ArrowBlock(
                                            b.getOffset(),
                                            b.getMetadataLength(),
                                            b.getBodyLength() - 8));
                        });
        Path path = store(bytes);
        assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                .hasMessageContaining("record batch");
    }

    @Test
    void anUnsupportedColumnTypeFailsToOpenNamingTheColumn() throws Exception {
        assertUnsupported(f -> retyped(f, "int", new ArrowType.Int(65, true)), "'int'");
        assertUnsupported(f -> retyped(f, "id", new ArrowType.Int(65, true)), "'id'");
        assertUnsupported(f -> retyped(f, "tiny", new ArrowType.Int(0, true)), "'tiny'");
        assertUnsupported(
                f -> retyped(f, "time", new ArrowType.Time(TimeUnit.MILLISECOND, 64)), "'time'");
        assertUnsupported(f -> retyped(f, "dec", new ArrowType.Decimal(39, 3, 128)), "'dec'");
        assertUnsupported(
                f -> retyped(f, "id", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                "'id'");
        assertUnsupported(
                f ->
                        f.getName().equals("big")
                                ? new Field(
                                        "big",
                                        FieldType.nullable(ArrowType.List.INSTANCE),
                                        List.of(
                                                new Field(
                                                        "item",
                                                        FieldType.nullable(f.getType()),
                                                        null)))
                                : f,
                "'big'");
        assertUnsupported(f -> f.getName().equals("tiny") ? renamed(f, "small") : f, "'small'");
    }

    private void assertUnsupported(UnaryOperator<Field> edit, String column) throws Exception {
        byte[] bytes =
                CraftedGenerations.rewrite(
                        good,
                        parts -> {
                            editFields(parts, edit);
                            parts.reseal();
                        });
        Path path = store(bytes);
        assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                .hasMessageContaining(column);
    }

    @Test
    void blockOffsetsAndLengthsPastTheFooterFailToOpen() throws Exception {
        long[][] blocks = {
            {Long.MAX_VALUE - 16, -1, -1},
            {Long.MAX_VALUE, -1, -1},
            {-1, Integer.MAX_VALUE, -1},
            {-1, -1, Long.MAX_VALUE},
            {-1, -1, Long.MAX_VALUE - 200},
            {-1, -1, -8},
            {-1, -16, -1},
        };
        for (long[] spec : blocks) {
            byte[] bytes =
                    CraftedGenerations.rewrite(
                            good,
                            parts -> {
                                ArrowBlock b = parts.blocks.get(1);
                                parts.blocks.set(
                                        1,
                                        new ArrowBlock(
                                                spec[0] == -1 ? b.getOffset() : spec[0],
                                                spec[1] == -1
                                                        ? b.getMetadataLength()
                                                        : (int) spec[1],
                                                spec[2] == -1 ? b.getBodyLength() : spec[2]));
                                parts.reseal();
                            });
            Path path = store(bytes);
            assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                    .hasMessageContaining("record batch block 1");
        }
    }

    @Test
    void aLastBlockReachingIntoTheKeyIndexFailsToOpen() throws Exception {
        // Every checksum matches: only the check of the blocks against the index's offset stops
        // a page from being read out of the index's bytes.
        byte[] bytes =
                CraftedGenerations.rewrite(
                        good,
                        parts -> {
                            int last = parts.blocks.size() - 1;
                            ArrowBlock b = parts.blocks.get(last);
                            // The index starts after the end-of-stream marker, 8 bytes after the
                            // block; 16 more reach 8 bytes into it.
                            parts.blocks.set(
                                    last,
                                    new ArrowBlock(
                                            b.getOffset(),
                                            b.getMetadataLength(),
                                            b.getBodyLength() + 16));
                            parts.reseal();
                        });
        Path path = store(bytes);
        int last = Generation.open(io, store(good)).join().pageCount() - 1;
        assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                .hasMessageContaining("record batch block " + last)
                .hasMessageContaining("and the key index");
    }

    @Test
    void aMetadataLengthPrefixLargerThanItsBlockIsTypedWithoutAllocating() throws Exception {
        for (int prefix : new int[] {Integer.MAX_VALUE - 8, 1 << 30, -5, 0}) {
            Path path =
                    store(
                            crafted(
                                    parts -> {
                                        byte[] page = parts.page(0);
                                        ByteBuffer.wrap(page)
                                                .order(ByteOrder.LITTLE_ENDIAN)
                                                .putInt(4, prefix);
                                        parts.replacePage(0, page);
                                    }));
            Generation g = Generation.open(io, path).join();
            assertThat(corruption(g.loadPage(0, allocator), path, g.pageRange(0).offset()))
                    .hasMessageContaining("metadata");
        }
    }

    @Test
    void aRecordBatchLengthBeyondItsPageIsTypedBeforeArrowAllocates() throws Exception {
        Path path = store(crafted(parts -> parts.replacePage(0, withBatchLength(parts.page(0)))));
        Generation g = Generation.open(io, path).join();
        long block = g.pageRange(0).length();
        try (BufferAllocator bounded = allocator.newChildAllocator("bounded", 0, 64 << 20)) {
            Throwable error = corruption(g.loadPage(0, bounded), path, g.pageRange(0).offset());
            for (Throwable t = error; t != null; t = t.getCause()) {
                assertThat(t).isNotInstanceOf(OutOfMemoryException.class);
            }
            assertThat(bounded.getPeakMemoryAllocation()).isLessThanOrEqualTo(block);
        }
    }

    @Test
    void anIndexClaimingMoreRowsThanAPageCanHoldFailsToOpen() throws Exception {
        byte[] bytes =
                crafted(
                        parts -> {
                            parts.replacePage(0, withBatchLength(parts.page(0)));
                            int[] rows = parts.index.pageRows;
                            long total = parts.index.rowCount - rows[0] + Integer.MAX_VALUE;
                            rows[0] = Integer.MAX_VALUE;
                            setRowCount(parts, total);
                        });
        Path path = store(bytes);
        assertThat(corruption(Generation.open(io, path), path, footerStart(bytes)))
                .hasMessageContaining("rows");
    }

    @Test
    void aNegativeBufferLengthIsTypedAndLeaksNothing() throws Exception {
        for (long length : new long[] {-8, -1, Long.MIN_VALUE, 1L << 40}) {
            Path path =
                    store(
                            crafted(
                                    parts ->
                                            parts.replacePage(
                                                    0, withBuffer2Length(parts.page(0), length))));
            Generation g = Generation.open(io, path).join();
            corruption(g.loadPage(0, allocator), path, g.pageRange(0).offset());
            assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        }
    }

    // ------------------------------------------------------------------------------------------

    /** Returns page block {@code page} with the record batch's row count set to 2^31 - 1. */
    private byte[] withBatchLength(byte[] page) {
        try {
            Generation g = Generation.open(io, store(good)).join();
            try (Page decoded = g.loadPage(0, allocator).join();
                    ArrowRecordBatch batch = new VectorUnloader(decoded.root()).getRecordBatch();
                    ArrowRecordBatch crafted =
                            new ArrowRecordBatch(
                                    Integer.MAX_VALUE, batch.getNodes(), batch.getBuffers())) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), crafted);
                return out.toByteArray();
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Returns page block {@code page} with its third buffer's length set to {@code length}. */
    private static byte[] withBuffer2Length(byte[] page, long length) {
        int metadataLength = ByteBuffer.wrap(page, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        Message message =
                Message.getRootAsMessage(ByteBuffer.wrap(page, 8, metadataLength).slice());
        RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
        org.apache.arrow.flatbuf.Buffer buffer = batch.buffers(2);
        assertThat(buffer.length()).isPositive();
        ByteBuffer pattern =
                ByteBuffer.allocate(16)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(buffer.offset())
                        .putLong(buffer.length());
        int at = indexOf(page, pattern.array(), 8 + metadataLength);
        assertThat(at).as("the buffer's bytes in the metadata").isPositive();
        byte[] crafted = page.clone();
        ByteBuffer.wrap(crafted).order(ByteOrder.LITTLE_ENDIAN).putLong(at + 8, length);
        return crafted;
    }

    private static void setRowCount(CraftedGenerations.Parts parts, long rows) {
        try {
            java.lang.reflect.Field f = GenerationFormat.Index.class.getDeclaredField("rowCount");
            f.setAccessible(true);
            f.setLong(parts.index, rows);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private byte[] crafted(Consumer<CraftedGenerations.Parts> edit) throws Exception {
        return CraftedGenerations.rewrite(
                good,
                parts -> {
                    edit.accept(parts);
                    parts.reseal();
                });
    }

    private static void editFields(CraftedGenerations.Parts parts, UnaryOperator<Field> edit) {
        List<Field> fields = new ArrayList<>();
        for (Field f : parts.schema.getFields()) {
            fields.add(edit.apply(f));
        }
        parts.schema = new Schema(fields, parts.schema.getCustomMetadata());
    }

    private static Field retyped(Field f, String name, ArrowType type) {
        return f.getName().equals(name)
                ? new Field(name, new FieldType(f.isNullable(), type, null), null)
                : f;
    }

    private static Field renamed(Field f, String name) {
        return new Field(name, f.getFieldType(), f.getChildren());
    }

    private Path store(byte[] bytes) throws Exception {
        java.nio.file.Path f = dir.resolve("crafted-" + files++ + ".arrow");
        Files.write(f, bytes);
        return new Path(f.toUri());
    }

    private static long footerStart(byte[] bytes) {
        int footerLength =
                ByteBuffer.wrap(bytes, bytes.length - 10, 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt();
        return bytes.length - 10L - footerLength;
    }

    private static CorruptGenerationException corruption(
            CompletableFuture<?> future, Path path, long offset) {
        Throwable error;
        try {
            future.join();
            throw new AssertionError("expected the future to fail");
        } catch (CompletionException e) {
            error = e.getCause();
        }
        assertThat(error)
                .isInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("at offset " + offset);
        return (CorruptGenerationException) error;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int limit) {
        outer:
        for (int i = 0; i + needle.length <= limit; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
