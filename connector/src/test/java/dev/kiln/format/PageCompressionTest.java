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

import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.flatbuf.BodyCompressionMethod;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.TimeStampMicroTZVector;
import org.apache.arrow.vector.TimeStampNanoVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowBodyCompression;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Arrow IPC buffer compression of generation pages: every codec round-trips every column type and
 * its edge values, Arrow's own reader reads the files, and damaged or crafted compressed pages fail
 * with {@link CorruptGenerationException} naming the file, allocating nothing out of proportion and
 * leaking nothing.
 */
class PageCompressionTest {

    private static final Schema EDGES =
            new Schema(
                    List.of(
                            Memtables.notNull("id", new ArrowType.Int(64, true)),
                            Memtables.nullable(
                                    "d",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE)),
                            Memtables.nullable(
                                    "f",
                                    new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)),
                            Memtables.nullable("s", ArrowType.Utf8.INSTANCE),
                            Memtables.nullable("bin", ArrowType.Binary.INSTANCE),
                            Memtables.nullable("dec", new ArrowType.Decimal(38, 10, 128)),
                            Memtables.nullable("dec256", new ArrowType.Decimal(76, 0, 256)),
                            Memtables.nullable("day", new ArrowType.Date(DateUnit.DAY)),
                            Memtables.nullable(
                                    "ns", new ArrowType.Timestamp(TimeUnit.NANOSECOND, null)),
                            Memtables.nullable(
                                    "ltz", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"))));

    private static final double[] DOUBLES = {
        Double.NaN, -0.0, 0.0, Double.NEGATIVE_INFINITY, Double.MAX_VALUE, Double.MIN_VALUE
    };
    private static final String[] STRINGS = {"", "ü€😀 ñ", "a", "\0x\0", "long-" + "z".repeat(300)};

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(2);
    private final RangeReader io = RangeReader.onFileSystem(ioExecutor);

    @TempDir java.nio.file.Path dir;

    private int files;

    @AfterEach
    void closeAndCheckForLeaks() {
        ioExecutor.shutdownNow();
        assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        allocator.close();
    }

    static PageCompression codec(String name) {
        return PageCompression.parse("compression", name, "level", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "lz4-frame", "zstd"})
    void everyColumnTypeAndEdgeValueRoundTrips(String name) throws Exception {
        int rows = 3000;
        List<List<Object>> expected = new ArrayList<>();
        Path path = path("edges-" + name + ".arrow");
        try (VectorSchemaRoot memtable = edges(rows)) {
            GenerationStats stats =
                    GenerationWriter.builder(EDGES, List.of("id"))
                            .targetPageBytes(16 * 1024)
                            .compression(codec(name))
                            .build()
                            .write(path, memtable, new BitSet(), allocator);
            assertThat(stats.pageCount()).isGreaterThan(3);
            for (int r = 0; r < rows; r++) {
                expected.add(Memtables.row(memtable, r, EDGES.getFields().size()));
            }
        }
        assertThat(scan(Generation.open(io, path).join())).isEqualTo(expected);
        assertThat(pageCodecs(path)).containsOnly(name);

        // Every row of every type, in Arrow's own reader (with the codecs registered).
        try (ArrowFileReader reader =
                new ArrowFileReader(
                        Files.newByteChannel(dir.resolve("edges-" + name + ".arrow")),
                        allocator,
                        CommonsCompressionFactory.INSTANCE)) {
            int row = 0;
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (int r = 0; r < root.getRowCount(); r++) {
                    assertThat(Memtables.row(root, r, EDGES.getFields().size()))
                            .isEqualTo(expected.get(row++));
                }
            }
            assertThat(row).isEqualTo(rows);
        }
    }

    @Test
    void theAllTypesTableRoundTripsWithEveryCodecAndCompressedFilesAreSmaller() throws Exception {
        long[] ids = LongStream.range(-2000, 2000).toArray();
        List<List<Object>> reference = null;
        long uncompressed = 0;
        for (String name : new String[] {"none", "lz4-frame", "zstd"}) {
            Path path = path("all-" + name + ".arrow");
            GenerationStats stats;
            try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, ids)) {
                stats =
                        GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                                .targetPageBytes(32 * 1024)
                                .compression(codec(name))
                                .build()
                                .write(path, memtable, new BitSet(), allocator);
            }
            Generation g = Generation.open(io, path).join();
            List<List<Object>> rows = scan(g);
            if (reference == null) {
                reference = rows;
                uncompressed = stats.fileBytes();
            } else {
                assertThat(rows).isEqualTo(reference);
                assertThat(stats.fileBytes()).isLessThan(uncompressed * 3 / 4);
            }
            // A decoded page weighs its decoded buffers, whatever the codec.
            try (Page page = g.loadPage(0, allocator).join()) {
                assertThat(page.sizeBytes()).isGreaterThanOrEqualTo(32 * 1024);
                LookupResult hit = g.lookup(g.keyCodec().encode(7L), allocator).join();
                assertThat(hit.status()).isEqualTo(LookupResult.Status.FOUND);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4-frame", "zstd"})
    void aFlippedByteInACompressedPageFailsTheChecksumNamingThePath(String name) throws Exception {
        byte[] good = write(name);
        ArrowBlock block = CraftedGenerations.parts(good).blocks.get(1);
        byte[] bad = good.clone();
        bad[(int) (block.getOffset() + block.getMetadataLength() + block.getBodyLength() / 2)] ^=
                0x10;
        Path path = store(bad);
        Generation g = Generation.open(io, path).join();
        assertThat(corruption(g.loadPage(1, allocator), path, block.getOffset()))
                .hasMessageContaining("checksum");
    }

    /**
     * A compressed page rewritten byte by byte with its checksum made to match (a writer bug or a
     * hostile file): each either decodes (the byte was padding or a value) or fails typed, naming
     * the file; never another exception, never a leak.
     */
    @ParameterizedTest
    @ValueSource(strings = {"lz4-frame", "zstd"})
    void craftedCompressedBytesFailTypedOrDecodeAndLeakNothing(String name) throws Exception {
        byte[] good = write(name);
        ArrowBlock block = CraftedGenerations.parts(good).blocks.get(0);
        int failures = 0;
        int body = (int) (block.getOffset() + block.getMetadataLength());
        for (int at = body; at < body + block.getBodyLength(); at += 3) {
            int flip = at;
            byte[] bytes =
                    CraftedGenerations.rewrite(
                            good,
                            parts -> {
                                byte[] page = parts.page(0);
                                page[flip - (int) block.getOffset()] ^= (byte) 0x5A;
                                parts.replacePage(0, page);
                                parts.reseal();
                            });
            Path path = store(bytes);
            Generation g = Generation.open(io, path).join();
            try (Page page = g.loadPage(0, allocator).join()) {
                assertThat(page.rowCount()).isPositive();
            } catch (CompletionException e) {
                assertThat(e.getCause())
                        .isInstanceOf(CorruptGenerationException.class)
                        .hasMessageContaining(path.toString());
                failures++;
            }
            assertThat(allocator.getAllocatedMemory()).as("leaked Arrow memory").isZero();
        }
        assertThat(failures).isPositive();
    }

    @Test
    void aCodecThisReaderDoesNotKnowFailsNamingThePathAndTheCodec() throws Exception {
        byte[] good = write("zstd");
        byte[] bytes =
                CraftedGenerations.rewrite(
                        good,
                        parts -> {
                            parts.replacePage(0, withCodec(parts.page(0), (byte) 7));
                            parts.reseal();
                        });
        Path path = store(bytes);
        Generation g = Generation.open(io, path).join();
        assertThat(corruption(g.loadPage(0, allocator), path, g.pageRange(0).offset()))
                .hasMessageContaining("codec 7");
    }

    @Test
    void aLyingDecompressedLengthIsTypedBeforeAnythingIsAllocated() throws Exception {
        byte[] good = write("zstd");
        for (long declared : new long[] {1L << 40, Long.MAX_VALUE, -2, 3}) {
            byte[] bytes =
                    CraftedGenerations.rewrite(
                            good,
                            parts -> {
                                parts.replacePage(0, withPrefix(parts.page(0), 1, declared));
                                parts.reseal();
                            });
            Path path = store(bytes);
            Generation g = Generation.open(io, path).join();
            long block = g.pageRange(0).length();
            try (BufferAllocator bounded = allocator.newChildAllocator("bounded", 0, 64 << 20)) {
                corruption(g.loadPage(0, bounded), path, g.pageRange(0).offset());
                assertThat(bounded.getPeakMemoryAllocation()).isLessThanOrEqualTo(block);
            }
        }
    }

    @Test
    void aStringColumnWhoseDataOutgrowsItsOffsetsIsTyped() throws Exception {
        byte[] good = write("zstd");
        // Buffers of EDGES: id (validity, data), d (2), f (2), s (validity, offsets, data) = 8.
        byte[] bytes =
                CraftedGenerations.rewrite(
                        good,
                        parts -> {
                            parts.replacePage(0, withPrefix(parts.page(0), 8, 1 << 30));
                            parts.reseal();
                        });
        Path path = store(bytes);
        Generation g = Generation.open(io, path).join();
        try (BufferAllocator bounded = allocator.newChildAllocator("bounded", 0, 64 << 20)) {
            assertThat(corruption(g.loadPage(0, bounded), path, g.pageRange(0).offset()))
                    .hasMessageContaining("offsets end at");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lz4-frame", "zstd"})
    void pagesCutAtStoredBytesHoldMoreRowsNearTheTargetOnStorageAndReadBack(String name)
            throws Exception {
        int rows = 6000;
        long target = 16 * 1024;
        List<List<Object>> expected = new ArrayList<>();
        Path decodedPath = path("decoded-" + name + ".arrow");
        Path storedPath = path("stored-" + name + ".arrow");
        try (VectorSchemaRoot memtable = edges(rows)) {
            GenerationWriter.Builder builder =
                    GenerationWriter.builder(EDGES, List.of("id")).compression(codec(name));
            builder.targetPageBytes(target)
                    .build()
                    .write(decodedPath, memtable, new BitSet(), allocator);
            GenerationWriter stored = builder.targetStoredPageBytes(target).build();
            assertThat(stored.sizesPagesByStoredBytes()).isTrue();
            assertThat(stored.targetPageBytes()).isEqualTo(target);
            stored.write(storedPath, memtable, new BitSet(), allocator);
            for (int r = 0; r < rows; r++) {
                expected.add(Memtables.row(memtable, r, EDGES.getFields().size()));
            }
        }
        Generation decoded = Generation.open(io, decodedPath).join();
        Generation g = Generation.open(io, storedPath).join();
        assertThat(g.pageCount()).isGreaterThan(3).isLessThan(decoded.pageCount() * 2 / 3);
        // The first page is cut at the target in Arrow bytes (no ratio known yet); the following
        // ones at about the target on storage (the last may be short), unless their Arrow bytes
        // reached the cap first.
        assertThat(g.pageRowCount(0)).isEqualTo(decoded.pageRowCount(0));
        long cap = GenerationWriter.MAX_DECODED_PER_STORED_PAGE_BYTES * target;
        for (int p = 1; p < g.pageCount() - 1; p++) {
            long stored = g.pageRange(p).length();
            assertThat(stored).as("stored bytes of page %d", p).isLessThan(target * 3 / 2);
            try (Page page = g.loadPage(p, allocator).join()) {
                assertThat(page.sizeBytes()).isLessThanOrEqualTo(cap * 5 / 4);
                assertThat(stored >= target / 2 || page.sizeBytes() >= cap)
                        .as("page %d: %d bytes stored, %d decoded", p, stored, page.sizeBytes())
                        .isTrue();
            }
        }
        assertThat(scan(g)).isEqualTo(expected);
        for (int r = 0; r < rows; r += 97) {
            LookupResult hit = g.lookup(g.keyCodec().encode(r * 7L - 1000), allocator).join();
            assertThat(hit.status()).isEqualTo(LookupResult.Status.FOUND);
        }
        // Arrow's own reader reads the larger pages.
        try (ArrowFileReader reader =
                new ArrowFileReader(
                        Files.newByteChannel(dir.resolve("stored-" + name + ".arrow")),
                        allocator,
                        CommonsCompressionFactory.INSTANCE)) {
            int row = 0;
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                for (int r = 0; r < root.getRowCount(); r++) {
                    assertThat(Memtables.row(root, r, EDGES.getFields().size()))
                            .isEqualTo(expected.get(row++));
                }
            }
            assertThat(row).isEqualTo(rows);
        }
    }

    @Test
    void uncompressedPagesCutAtStoredBytesAreThePagesCutAtArrowBytes() throws Exception {
        Path decodedPath = path("decoded-none.arrow");
        Path storedPath = path("stored-none.arrow");
        try (VectorSchemaRoot memtable = edges(3000)) {
            GenerationWriter.Builder builder = GenerationWriter.builder(EDGES, List.of("id"));
            builder.targetPageBytes(16 * 1024)
                    .build()
                    .write(decodedPath, memtable, new BitSet(), allocator);
            builder.targetStoredPageBytes(16 * 1024)
                    .build()
                    .write(storedPath, memtable, new BitSet(), allocator);
        }
        Generation decoded = Generation.open(io, decodedPath).join();
        Generation stored = Generation.open(io, storedPath).join();
        assertThat(stored.pageCount()).isEqualTo(decoded.pageCount()).isGreaterThan(3);
        for (int p = 0; p < stored.pageCount(); p++) {
            assertThat(stored.pageRowCount(p)).isEqualTo(decoded.pageRowCount(p));
        }
    }

    @Test
    void pagesCutAtStoredBytesOfVeryCompressibleRowsStopAtTheDecodedCap() throws Exception {
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("id", new ArrowType.Int(64, true)),
                                Memtables.nullable("s", ArrowType.Utf8.INSTANCE)));
        long target = 8 * 1024;
        int rowBytes = 1 + 8 + 4 + 200; // the writer's estimate: kind, id, offset, 200 letters
        Path path = path("cap.arrow");
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(schema, allocator)) {
            byte[] same = "a".repeat(200).getBytes(StandardCharsets.UTF_8);
            for (int r = 0; r < 3000; r++) {
                ((BigIntVector) memtable.getVector("id")).setSafe(r, r);
                ((VarCharVector) memtable.getVector("s")).setSafe(r, same);
            }
            memtable.setRowCount(3000);
            GenerationWriter.builder(schema, List.of("id"))
                    .compression(PageCompression.ZSTD)
                    .targetStoredPageBytes(target)
                    .build()
                    .write(path, memtable, new BitSet(), allocator);
        }
        Generation g = Generation.open(io, path).join();
        long cap = GenerationWriter.MAX_DECODED_PER_STORED_PAGE_BYTES * target;
        int capRows = (int) ((cap + rowBytes - 1) / rowBytes);
        assertThat(g.pageRowCount(0)).isEqualTo((int) ((target + rowBytes - 1) / rowBytes));
        for (int p = 1; p < g.pageCount() - 1; p++) {
            // Far less than the target on storage, but no more than the cap in Arrow bytes.
            assertThat(g.pageRange(p).length()).isLessThan(target / 4);
            assertThat(g.pageRowCount(p)).isEqualTo(capRows);
        }
        assertThat(g.pageCount()).isGreaterThan(3);
        assertThat(g.rowCount()).isEqualTo(3000);
    }

    @Test
    void optionErrorsNameTheOption() {
        assertThatThrownBy(() -> PageCompression.parse("write.compression", "gzip", "lvl", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("write.compression")
                .hasMessageContaining("gzip");
        assertThatThrownBy(() -> PageCompression.parse("codec", "zstd", "write.level", 23))
                .hasMessageContaining("write.level")
                .hasMessageContaining("23");
        assertThatThrownBy(() -> PageCompression.parse("codec", "lz4-frame", "write.level", 3))
                .hasMessageContaining("write.level")
                .hasMessageContaining("zstd only");
        assertThat(PageCompression.parse("c", "ZSTD", "l", 9)).isEqualTo(PageCompression.zstd(9));
        assertThat(PageCompression.parse("c", "zstd", "l", null)).isEqualTo(PageCompression.ZSTD);
        assertThat(PageCompression.parse("c", "none", "l", null)).isSameAs(PageCompression.NONE);
        GenerationWriter.Builder builder = GenerationWriter.builder(EDGES, List.of("id"));
        assertThatThrownBy(() -> builder.targetStoredPageBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("targetStoredPageBytes");
        // The last of the two page targets set wins.
        assertThat(
                        builder.targetStoredPageBytes(10)
                                .targetPageBytes(20)
                                .build()
                                .sizesPagesByStoredBytes())
                .isFalse();
    }

    // ------------------------------------------------------------------------------------------

    /** Rows of {@link #EDGES}: every edge value, nulls, in key order. */
    private VectorSchemaRoot edges(int rows) {
        VectorSchemaRoot root = VectorSchemaRoot.create(EDGES, allocator);
        for (int r = 0; r < rows; r++) {
            ((BigIntVector) root.getVector("id")).setSafe(r, r * 7L - 1000);
            boolean nulls = r % 11 == 5;
            if (nulls) {
                for (int c = 1; c < EDGES.getFields().size(); c++) {
                    root.getVector(c).setNull(r);
                }
                continue;
            }
            ((Float8Vector) root.getVector("d")).setSafe(r, DOUBLES[r % DOUBLES.length]);
            ((Float4Vector) root.getVector("f"))
                    .setSafe(r, r % 3 == 0 ? Float.NaN : r % 3 == 1 ? -0.0f : r / 3f);
            byte[] s = STRINGS[r % STRINGS.length].getBytes(StandardCharsets.UTF_8);
            ((VarCharVector) root.getVector("s")).setSafe(r, s);
            ((VarBinaryVector) root.getVector("bin"))
                    .setSafe(r, r % 4 == 0 ? new byte[0] : new byte[] {(byte) r, 0, -1});
            ((DecimalVector) root.getVector("dec"))
                    .setSafe(
                            r,
                            new BigDecimal(
                                    (r % 2 == 0 ? "-" : "")
                                            + "9999999999999999999999999999.99999999"
                                            + (r % 10)
                                            + "9"));
            ((Decimal256Vector) root.getVector("dec256"))
                    .setSafe(r, new BigDecimal("-" + "9".repeat(76)).add(BigDecimal.valueOf(r)));
            ((DateDayVector) root.getVector("day")).setSafe(r, r % 2 == 0 ? -719_162 : 2_932_896);
            ((TimeStampNanoVector) root.getVector("ns"))
                    .setSafe(r, r % 2 == 0 ? Long.MIN_VALUE + r : Long.MAX_VALUE - r);
            ((TimeStampMicroTZVector) root.getVector("ltz")).setSafe(r, -r * 1_000_003L);
        }
        root.setRowCount(rows);
        return root;
    }

    /** Writes a small generation of {@link #EDGES} with codec {@code name}; returns its bytes. */
    private byte[] write(String name) throws Exception {
        java.nio.file.Path file = dir.resolve("good-" + files++ + ".arrow");
        try (VectorSchemaRoot memtable = edges(600)) {
            GenerationWriter.builder(EDGES, List.of("id"))
                    .targetPageBytes(8 * 1024)
                    .compression(codec(name))
                    .build()
                    .write(new Path(file.toUri()), memtable, new BitSet(), allocator);
        }
        return Files.readAllBytes(file);
    }

    private List<List<Object>> scan(Generation g) {
        List<List<Object>> rows = new ArrayList<>();
        g.scan(
                        allocator,
                        RangeCoalescer.defaults(),
                        page -> {
                            for (int r = 0; r < page.rowCount(); r++) {
                                rows.add(Memtables.comparable(page.values(r)));
                            }
                        })
                .join();
        return rows;
    }

    /** The codec of every page of the file at {@code path}: none, lz4-frame or zstd. */
    private List<String> pageCodecs(Path path) throws Exception {
        byte[] file = Files.readAllBytes(java.nio.file.Path.of(path.toUri()));
        List<String> codecs = new ArrayList<>();
        for (ArrowBlock b : CraftedGenerations.parts(file).blocks) {
            RecordBatch batch = batchOf(file, (int) b.getOffset());
            codecs.add(
                    batch.compression() == null
                            ? "none"
                            : batch.compression().codec() == 0 ? "lz4-frame" : "zstd");
        }
        return codecs;
    }

    private static RecordBatch batchOf(byte[] bytes, int at) {
        int length = ByteBuffer.wrap(bytes, at + 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        Message message = Message.getRootAsMessage(ByteBuffer.wrap(bytes, at + 8, length).slice());
        return (RecordBatch) message.header(new RecordBatch());
    }

    /** Returns page block {@code page} with its buffer {@code buffer}'s length prefix rewritten. */
    private static byte[] withPrefix(byte[] page, int buffer, long declared) {
        int metadataLength =
                8 + ByteBuffer.wrap(page, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        RecordBatch batch = batchOf(page, 0);
        assertThat(batch.compression()).isNotNull();
        byte[] crafted = page.clone();
        ByteBuffer.wrap(crafted)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putLong(metadataLength + (int) batch.buffers(buffer).offset(), declared);
        return crafted;
    }

    /** Returns page block {@code page}, decoded and written again, claiming compression codec. */
    private byte[] withCodec(byte[] page, byte codec) {
        try {
            Generation g = Generation.open(io, store(write("none"))).join();
            try (Page decoded = g.loadPage(0, allocator).join();
                    ArrowRecordBatch batch = new VectorUnloader(decoded.root()).getRecordBatch();
                    ArrowRecordBatch crafted =
                            new ArrowRecordBatch(
                                    batch.getLength(),
                                    batch.getNodes(),
                                    batch.getBuffers(),
                                    new ArrowBodyCompression(
                                            codec, BodyCompressionMethod.BUFFER))) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                MessageSerializer.serialize(new WriteChannel(Channels.newChannel(out)), crafted);
                return out.toByteArray();
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private Path store(byte[] bytes) throws Exception {
        java.nio.file.Path f = dir.resolve("crafted-" + files++ + ".arrow");
        Files.write(f, bytes);
        return new Path(f.toUri());
    }

    private Path path(String name) {
        return new Path(dir.resolve(name).toUri());
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
}
