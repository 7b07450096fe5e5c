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

import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every way a generation file can be damaged fails with a typed error naming path and offset. */
class CorruptionTest {

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(2);
    private final InstrumentedRangeReader io =
            InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioExecutor));

    @TempDir java.nio.file.Path dir;

    private java.nio.file.Path file;
    private byte[] good;

    @BeforeEach
    void writeAGoodGeneration() throws Exception {
        file = dir.resolve("good.arrow");
        try (VectorSchemaRoot memtable =
                Memtables.allTypes(allocator, LongStream.range(0, 2000).toArray())) {
            GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .build()
                    .write(path(file), memtable, new BitSet(), allocator);
        }
        good = Files.readAllBytes(file);
    }

    @AfterEach
    void closeAndCheckForLeaks() {
        ioExecutor.shutdownNow();
        assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        allocator.close();
    }

    private static Path path(java.nio.file.Path file) {
        return new Path(file.toUri());
    }

    private Path damaged(String name, byte[] bytes) throws Exception {
        java.nio.file.Path f = dir.resolve(name);
        Files.write(f, bytes);
        return path(f);
    }

    private long footerStart(byte[] bytes) {
        int footerLength =
                ByteBuffer.wrap(bytes, bytes.length - 10, 4)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getInt();
        return bytes.length - 10L - footerLength;
    }

    private static CorruptGenerationException corruption(
            CompletableFuture<?> future, Path path, long offset) {
        Throwable error = catchCause(future);
        assertThat(error)
                .isInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("at offset " + offset);
        CorruptGenerationException e = (CorruptGenerationException) error;
        assertThat(e.path()).isEqualTo(path.toString());
        assertThat(e.offset()).isEqualTo(offset);
        return e;
    }

    private static Throwable catchCause(CompletableFuture<?> future) {
        try {
            future.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the future to fail");
    }

    @Test
    void aPageWithAGoodChecksumButABadHeaderFailsTypedAndLeaksNothing() throws Exception {
        Path path = path(file);
        Generation generation = Generation.open(io, path).join();
        byte[] block = generation.readPage(0).join();
        for (int i = 8; i < 48; i++) {
            block[i] = (byte) 0x7F;
        }
        // A writer bug or a crafted file can carry a checksum that matches a bad block; the index
        // is private, so the test patches the CRC the way such a file would carry it.
        java.lang.reflect.Field indexField = Generation.class.getDeclaredField("index");
        indexField.setAccessible(true);
        GenerationFormat.Index index = (GenerationFormat.Index) indexField.get(generation);
        index.pageCrcs[0] = GenerationFormat.crc32c(block);

        assertThatThrownBy(() -> generation.decodePage(0, block, allocator))
                .isInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining(path.toString());
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void aTruncatedFileIsReportedAtItsEnd() throws Exception {
        byte[] half = Arrays.copyOf(good, good.length / 2);
        Path path = damaged("truncated.arrow", half);
        assertThat(corruption(Generation.open(io, path), path, half.length - 6).getMessage())
                .contains("magic");
    }

    @Test
    void aFileShorterThanItsStatedLengthIsReportedAsTruncated() throws Exception {
        Path path = path(file);
        CorruptGenerationException e =
                corruption(
                        Generation.open(io, path, good.length + 100L),
                        path,
                        Math.max(0, good.length + 100L - Generation.DEFAULT_TAIL_GUESS_BYTES));
        assertThat(e.getMessage()).contains("truncated");
    }

    @Test
    void aTinyFileIsTooShort() throws Exception {
        Path path = damaged("tiny.arrow", new byte[] {'A', 'R', 'R', 'O', 'W'});
        assertThat(corruption(Generation.open(io, path), path, 0).getMessage())
                .contains("too short");
    }

    @Test
    void wrongMagicAtEitherEnd() throws Exception {
        byte[] bytes = good.clone();
        System.arraycopy(
                "PARQ1!".getBytes(StandardCharsets.US_ASCII), 0, bytes, bytes.length - 6, 6);
        Path end = damaged("magic-end.arrow", bytes);
        corruption(Generation.open(io, end), end, bytes.length - 6);

        byte[] start = good.clone();
        start[0] = 'X';
        Path head = damaged("magic-start.arrow", start);
        // The whole file fits the tail read, so the leading magic is checked too.
        assertThat(start.length).isLessThan(Generation.DEFAULT_TAIL_GUESS_BYTES * 4);
        corruption(Generation.open(io, head, start.length, start.length), head, 0);
    }

    @Test
    void anInvalidFooterLength() throws Exception {
        byte[] bytes = good.clone();
        ByteBuffer.wrap(bytes, bytes.length - 10, 4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(Integer.MAX_VALUE);
        Path path = damaged("footer-length.arrow", bytes);
        assertThat(corruption(Generation.open(io, path), path, bytes.length - 10).getMessage())
                .contains("footer length");
    }

    @Test
    void aGarbageFooter() throws Exception {
        byte[] bytes = good.clone();
        int start = (int) footerStart(bytes);
        Arrays.fill(bytes, start, bytes.length - 10, (byte) 0x7F);
        Path path = damaged("garbage-footer.arrow", bytes);
        corruption(Generation.open(io, path), path, start);
    }

    @Test
    void aFlippedByteInTheKeyIndexFailsItsChecksum() throws Exception {
        Map<String, String> meta = metadata(file);
        int offset = Integer.parseInt(meta.get("kiln.index.offset"));
        int length = Integer.parseInt(meta.get("kiln.index.length"));
        for (int at : new int[] {offset, offset + length / 2, offset + length - 1}) {
            byte[] bytes = good.clone();
            bytes[at] ^= 0x01;
            Path path = damaged("index-" + at + ".arrow", bytes);
            assertThat(corruption(Generation.open(io, path), path, offset).getMessage())
                    .contains("checksum");
        }
    }

    @Test
    void aKeyIndexOutsideTheBodyOrNotLocatedIsCorrupt() throws Exception {
        Map<String, String> meta = metadata(file);
        long offset = Long.parseLong(meta.get("kiln.index.offset"));
        long length = Long.parseLong(meta.get("kiln.index.length"));
        long footer = footerStart(good);
        String[][] ranges = {
            {"0", Long.toString(length)}, // over the file's header
            {Long.toString(offset), Long.toString(footer - offset + 1)}, // into the footer
            {Long.toString(footer + 1), "1"}, // after the footer's start
            {Long.toString(offset), "0"},
            {Long.toString(offset), "-1"},
            {Long.toString(Long.MAX_VALUE), Long.toString(Long.MAX_VALUE)},
            {"x", "1"},
            {null, Long.toString(length)},
            {Long.toString(offset), null},
        };
        for (String[] range : ranges) {
            Map<String, String> changed = new java.util.HashMap<>(meta);
            changed.remove("kiln.index.offset");
            changed.remove("kiln.index.length");
            if (range[0] != null) {
                changed.put("kiln.index.offset", range[0]);
            }
            if (range[1] != null) {
                changed.put("kiln.index.length", range[1]);
            }
            byte[] bytes = withFooterMetadata(good, changed);
            Path path = damaged("range-" + Arrays.toString(range).hashCode() + ".arrow", bytes);
            Throwable e = catchCause(Generation.open(io, path));
            assertThat(e)
                    .as(Arrays.toString(range))
                    .isInstanceOf(CorruptGenerationException.class)
                    .isNotInstanceOf(UnsupportedFormatVersionException.class)
                    .hasMessageContaining("key index");
        }
    }

    @Test
    void aTailThatBeginsAfterTheKeyIndexDoesNotOpen() throws Exception {
        Map<String, String> meta = metadata(file);
        int offset = Integer.parseInt(meta.get("kiln.index.offset"));
        byte[] tail = Arrays.copyOfRange(good, offset + 1, good.length);
        assertThatThrownBy(() -> Generation.ofTail(io, path(file), good.length, tail))
                .isInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining("the key index begins before the tail");
        // From the index on, it opens.
        byte[] whole = Arrays.copyOfRange(good, offset, good.length);
        assertThat(Generation.ofTail(io, path(file), good.length, whole).pageCount())
                .isEqualTo(Generation.open(io, path(file)).join().pageCount());
    }

    private Map<String, String> metadata(java.nio.file.Path f) throws Exception {
        try (SeekableByteChannel channel = Files.newByteChannel(f);
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            reader.getRecordBlocks(); // reads the footer
            return new java.util.HashMap<>(reader.getMetaData());
        }
    }

    /** {@code file} with its Arrow footer's metadata replaced (schema and blocks as they were). */
    private byte[] withFooterMetadata(byte[] file, Map<String, String> metadata) throws Exception {
        int start = (int) footerStart(file);
        org.apache.arrow.vector.ipc.message.ArrowFooter footer =
                new org.apache.arrow.vector.ipc.message.ArrowFooter(
                        org.apache.arrow.flatbuf.Footer.getRootAsFooter(
                                java.nio.ByteBuffer.wrap(file, start, file.length - 10 - start)
                                        .slice()));
        com.google.flatbuffers.FlatBufferBuilder builder =
                new com.google.flatbuffers.FlatBufferBuilder();
        builder.finish(
                new org.apache.arrow.vector.ipc.message.ArrowFooter(
                                footer.getSchema(),
                                footer.getDictionaries(),
                                footer.getRecordBatches(),
                                metadata)
                        .writeTo(builder));
        java.nio.ByteBuffer bytes = builder.dataBuffer();
        byte[] footerBytes = new byte[bytes.remaining()];
        bytes.get(footerBytes);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(file, 0, start);
        out.write(footerBytes);
        out.write(
                java.nio.ByteBuffer.allocate(4)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putInt(footerBytes.length)
                        .array());
        out.write(GenerationFormat.MAGIC);
        return out.toByteArray();
    }

    @Test
    void aFlippedByteInAPageFailsThatPageOnlyNamingItsOffset() throws Exception {
        Generation healthy = Generation.open(io, path(file)).join();
        int victim = 2;
        long offset = healthy.pageRange(victim).offset();
        byte[] bytes = good.clone();
        int at = (int) (offset + healthy.pageRange(victim).length() - 20);
        bytes[at] ^= 0x01;
        Path path = damaged("page.arrow", bytes);

        Generation g = Generation.open(io, path).join();
        assertThat(corruption(g.loadPage(victim, allocator), path, offset).getMessage())
                .contains("checksum");
        // decodePage (pure CPU on bytes) reports the same, synchronously.
        byte[] pageBytes = g.readPage(victim).join();
        assertThatThrownBy(() -> g.decodePage(victim, pageBytes, allocator))
                .isInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining("at offset " + offset);
        // Other pages are unaffected.
        try (Page neighbour = g.loadPage(victim + 1, allocator).join()) {
            assertThat(neighbour.rowCount()).isEqualTo(g.pageRowCount(victim + 1));
        }
    }

    @Test
    void anUnknownFormatVersionIsItsOwnType() throws Exception {
        Path path = plainArrowFile("v5.arrow", Map.of("kiln.format.version", "5"));
        Throwable e = catchCause(Generation.open(io, path));
        assertThat(e)
                .isInstanceOf(UnsupportedFormatVersionException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("at offset ")
                .hasMessageContaining("format version 5");
        assertThat(((UnsupportedFormatVersionException) e).version()).isEqualTo("5");
    }

    @Test
    void formatVersion1IsNoLongerRead() throws Exception {
        // Version 1 bound no checksum to the footer's schema; it had no users, so it is not read.
        Path path = plainArrowFile("v1.arrow", Map.of("kiln.format.version", "1"));
        assertThat(catchCause(Generation.open(io, path)))
                .isInstanceOf(UnsupportedFormatVersionException.class)
                .hasMessageContaining(
                        "format version 1 is not supported (this reader supports 2 to 4)");
    }

    @Test
    void anArrowFileThatIsNoGeneration() throws Exception {
        Path path = plainArrowFile("plain.arrow", Map.of());
        Throwable e = catchCause(Generation.open(io, path));
        assertThat(e)
                .isInstanceOf(CorruptGenerationException.class)
                .isNotInstanceOf(UnsupportedFormatVersionException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("not a Kiln generation");
    }

    @Test
    void aShortReadFromStorageIsReportedAtTheRangeItRead() throws Exception {
        Path path = path(file);
        Generation g = Generation.open(io, path).join();
        io.truncateNextReads(1);
        long offset = g.pageRange(1).offset();
        assertThat(corruption(g.loadPage(1, allocator), path, offset).getMessage())
                .contains("short read");
        io.truncateNextReads(1);
        // Pages 1 and 2 are read as one merged range; the store returned half of it.
        long merged = g.pageRange(2).end() - offset;
        assertThat(
                        corruption(
                                        g.loadPages(
                                                new int[] {1, 2},
                                                dev.kiln.io.RangeCoalescer.defaults(),
                                                allocator),
                                        path,
                                        offset + merged / 2)
                                .getMessage())
                .contains("short read");
        io.truncateNextReads(1);
        corruption(
                Generation.open(io, path),
                path,
                Math.max(0, good.length - Generation.DEFAULT_TAIL_GUESS_BYTES));
    }

    @Test
    void aFullAllocatorIsNotCorruption() throws Exception {
        Generation g = Generation.open(io, path(file)).join();
        try (BufferAllocator small = allocator.newChildAllocator("small", 0, 1024)) {
            assertThat(catchCause(g.loadPage(0, small)))
                    .isInstanceOf(org.apache.arrow.memory.OutOfMemoryException.class);
            assertThat(small.getAllocatedMemory()).isZero();
        }
    }

    @Test
    void aStorageFailureIsPassedOnAsIs() throws Exception {
        Path path = path(file);
        Generation g = Generation.open(io, path).join();
        io.failNextReads(1);
        assertThat(catchCause(g.loadPage(0, allocator)))
                .isInstanceOf(java.io.IOException.class)
                .isNotInstanceOf(CorruptGenerationException.class)
                .hasMessageContaining("injected failure");
    }

    private Path plainArrowFile(String name, Map<String, String> metadata) throws Exception {
        java.nio.file.Path f = dir.resolve(name);
        try (VectorSchemaRoot root = Memtables.allTypes(allocator, 1L, 2L);
                FileChannel channel =
                        FileChannel.open(
                                f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArrowFileWriter writer = new ArrowFileWriter(root, null, channel, metadata)) {
            writer.start();
            writer.writeBatch();
            writer.end();
        }
        return path(f);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
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
