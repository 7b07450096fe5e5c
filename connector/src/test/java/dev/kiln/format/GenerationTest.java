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

import dev.kiln.io.ByteRange;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationTest {

    private final BufferAllocator allocator = new RootAllocator();
    private final ExecutorService ioExecutor = Executors.newFixedThreadPool(4);
    private final InstrumentedRangeReader io =
            InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioExecutor));

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

    private static GenerationWriter allTypesWriter() {
        return GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id")).build();
    }

    private List<List<Object>> scanRows(Generation g) {
        List<List<Object>> rows = new ArrayList<>();
        g.scan(
                        allocator,
                        RangeCoalescer.defaults(),
                        page -> {
                            for (int r = 0; r < page.rowCount(); r++) {
                                List<Object> values = new ArrayList<>(page.values(r));
                                values.add(page.kind(r));
                                rows.add(values);
                            }
                        })
                .join();
        return rows;
    }

    /**
     * Arrow 19's full validation rejects a decimal whose precision equals its column's; a page of
     * such values must still decode (it did not once decoding validated with Arrow's check).
     */
    @Test
    void decimalsOfTheColumnsFullPrecisionDecode() throws Exception {
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("id", new ArrowType.Int(64, true)),
                                Memtables.nullable("amount", new ArrowType.Decimal(5, 2, 128))));
        Path path = path("decimals.arrow");
        BigDecimal[] values = {
            new BigDecimal("999.99"), new BigDecimal("-999.99"), new BigDecimal("0.01"), null
        };
        try (VectorSchemaRoot rows = VectorSchemaRoot.create(schema, allocator)) {
            for (int i = 0; i < values.length; i++) {
                ((BigIntVector) rows.getVector("id")).setSafe(i, i);
                DecimalVector amount = (DecimalVector) rows.getVector("amount");
                if (values[i] == null) {
                    amount.setNull(i);
                } else {
                    amount.setSafe(i, values[i]);
                }
            }
            rows.setRowCount(values.length);
            GenerationWriter.builder(schema, List.of("id"))
                    .build()
                    .write(path, rows, new BitSet(), allocator);
        }
        Generation g = Generation.open(io, path).join();
        KeyCodec codec = g.keyCodec();
        for (int i = 0; i < values.length; i++) {
            LookupResult result = g.lookup(codec.encode((long) i), allocator).join();
            assertThat(result.values().get(1)).isEqualTo(values[i]);
        }
    }

    /**
     * Files of format version 2 (the index Base64-encoded in the footer's metadata), as Kiln wrote
     * them before version 3, still open (read and from their tail) and answer alike, tombstones and
     * absent keys included; version 3 stores the same index in fewer bytes.
     */
    @Test
    void filesOfFormatVersion2StillOpenAndAnswerAlike() throws Exception {
        long[] ids = LongStream.range(0, 3000).map(i -> i * 3).toArray();
        Map<Integer, Generation> opened = new HashMap<>();
        Map<Integer, Long> sizes = new HashMap<>();
        for (int version : new int[] {2, 3}) {
            Path path = path("v" + version + ".arrow");
            byte[][] tail = new byte[1][];
            try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, ids)) {
                BitSet deletes = new BitSet();
                deletes.set(7);
                GenerationStats stats =
                        GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                                .targetPageBytes(16 * 1024)
                                .formatVersion(version)
                                .build()
                                .write(
                                        path,
                                        memtable,
                                        deletes,
                                        allocator,
                                        new GenerationWriter.Listener() {
                                            @Override
                                            public void pageWritten(
                                                    int page,
                                                    VectorSchemaRoot rows,
                                                    dev.kiln.io.ByteRange block) {}

                                            @Override
                                            public void written(long fileLength, byte[] bytes) {
                                                tail[0] = bytes;
                                            }

                                            @Override
                                            public void failed() {}
                                        });
                sizes.put(version, stats.fileBytes());
                Generation g = Generation.open(io, path, stats.fileBytes()).join();
                assertThat(g.formatVersion()).isEqualTo(version);
                assertThat(Generation.ofTail(io, path, stats.fileBytes(), tail[0]).formatVersion())
                        .isEqualTo(version);
                opened.put(version, g);
            }
        }
        Generation v2 = opened.get(2);
        Generation v3 = opened.get(3);
        assertThat(v2.pageCount()).isEqualTo(v3.pageCount()).isGreaterThan(1);
        assertThat(v2.rowCount()).isEqualTo(v3.rowCount());
        for (long key = -1; key <= ids[ids.length - 1] + 1; key++) {
            LookupResult a = v2.lookup(v2.keyCodec().encode(key), allocator).join();
            LookupResult b = v3.lookup(v3.keyCodec().encode(key), allocator).join();
            assertThat(a.status()).as("key %d", key).isEqualTo(b.status());
            // deepToString: binary values are arrays
            assertThat(Arrays.deepToString(a.values().toArray()))
                    .as("key %d", key)
                    .isEqualTo(Arrays.deepToString(b.values().toArray()));
            assertThat(a.status())
                    .isEqualTo(
                            key == 21
                                    ? LookupResult.Status.DELETED
                                    : key >= 0 && key % 3 == 0
                                            ? LookupResult.Status.FOUND
                                            : LookupResult.Status.ABSENT);
        }
        // Raw bytes instead of Base64: the index takes about a quarter fewer bytes.
        assertThat(sizes.get(3)).isLessThan(sizes.get(2));
    }

    @Test
    void roundTripsEveryTypeInKeyOrderWithNullValues() throws Exception {
        long[] ids = LongStream.range(-500, 500).toArray();
        List<Long> shuffled = new ArrayList<>();
        for (long id : ids) {
            shuffled.add(id);
        }
        Collections.shuffle(shuffled, new Random(1));
        Path path = path("all-types.arrow");
        GenerationStats stats;
        try (VectorSchemaRoot memtable =
                        Memtables.allTypes(
                                allocator, shuffled.stream().mapToLong(Long::longValue).toArray());
                VectorSchemaRoot expected = Memtables.allTypes(allocator, ids)) {
            stats =
                    GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                            .targetPageBytes(8 * 1024)
                            .build()
                            .write(path, memtable, new BitSet(), allocator);
            assertThat(stats.rowCount()).isEqualTo(1000);
            assertThat(stats.tombstoneCount()).isZero();
            assertThat(stats.pageCount()).isGreaterThan(5);
            assertThat(stats.fileBytes()).isEqualTo(Files.size(dir.resolve("all-types.arrow")));
            KeyCodec codec = KeyCodec.of(Memtables.ALL_TYPES, List.of("id"));
            assertThat(stats.minKey()).isEqualTo(codec.encode(-500L));
            assertThat(stats.maxKey()).isEqualTo(codec.encode(499L));

            Generation g = Generation.open(io, path, stats.fileBytes()).join();
            assertThat(g.schema()).isEqualTo(Memtables.ALL_TYPES);
            assertThat(g.rowCount()).isEqualTo(1000);
            assertThat(g.pageCount()).isEqualTo(stats.pageCount());

            List<List<Object>> rows = scanRows(g);
            assertThat(rows).hasSize(1000);
            int columns = Memtables.ALL_TYPES.getFields().size();
            int nullRows = 0;
            for (int i = 0; i < ids.length; i++) {
                List<Object> row = rows.get(i);
                assertThat(row.get(columns)).isEqualTo(RowKind.UPSERT);
                assertThat(Memtables.comparable(row.subList(0, columns)))
                        .isEqualTo(Memtables.row(expected, i, columns));
                if (row.get(1) == null) {
                    nullRows++;
                }
            }
            assertThat(nullRows).isGreaterThan(50);

            for (int i = 0; i < ids.length; i += 37) {
                LookupResult result = g.lookup(codec.encode(ids[i]), allocator).join();
                assertThat(result.status()).isEqualTo(LookupResult.Status.FOUND);
                assertThat(Memtables.comparable(result.values()))
                        .isEqualTo(Memtables.row(expected, i, columns));
            }
            assertThat(g.lookup(codec.encode(500L), allocator).join().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
            assertThat(g.lookup(codec.encode(Long.MIN_VALUE), allocator).join().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
        }
    }

    /**
     * The write-through seam: the listener sees every page as its block in the file, and the tail
     * it is given opens the very generation a read of the file opens, with a checksum of the file's
     * last bytes; a damaged tail or rows that are not the page are refused.
     */
    @Test
    void aWriteListenerSeesEveryPageAndATailThatOpensTheGeneration() throws Exception {
        long[] ids = LongStream.range(0, 1000).toArray();
        Path path = path("listened.arrow");
        List<ByteRange> blocks = new ArrayList<>();
        List<Integer> rows = new ArrayList<>();
        byte[][] tail = new byte[1][];
        long[] length = new long[1];
        GenerationStats stats;
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, ids)) {
            stats =
                    GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                            .targetPageBytes(8 * 1024)
                            .build()
                            .write(
                                    path,
                                    memtable,
                                    new BitSet(),
                                    allocator,
                                    new GenerationWriter.Listener() {
                                        @Override
                                        public void pageWritten(
                                                int page, VectorSchemaRoot root, ByteRange block) {
                                            assertThat(page).isEqualTo(blocks.size());
                                            blocks.add(block);
                                            rows.add(root.getRowCount());
                                        }

                                        @Override
                                        public void written(long fileLength, byte[] bytes) {
                                            length[0] = fileLength;
                                            tail[0] = bytes;
                                        }

                                        @Override
                                        public void failed() {
                                            throw new AssertionError("the write did not fail");
                                        }
                                    });
        }
        Generation read = Generation.open(io, path, stats.fileBytes()).join();
        Generation fromTail = Generation.ofTail(io, path, length[0], tail[0]);
        assertThat(length[0]).isEqualTo(stats.fileBytes());
        assertThat(blocks).hasSize(read.pageCount());
        assertThat(fromTail.pageCount()).isEqualTo(read.pageCount());
        for (int p = 0; p < read.pageCount(); p++) {
            assertThat(blocks.get(p)).isEqualTo(read.pageRange(p));
            assertThat(fromTail.pageRange(p)).isEqualTo(read.pageRange(p));
            assertThat(rows.get(p)).isEqualTo(read.pageRowCount(p));
        }
        byte[] file = Files.readAllBytes(dir.resolve("listened.arrow"));
        assertThat(tail[0])
                .isEqualTo(Arrays.copyOfRange(file, file.length - tail[0].length, file.length));
        assertThat(Generation.tailChecksum(length[0], tail[0]))
                .isNotEqualTo(Generation.tailChecksum(length[0] + 1, tail[0]));

        byte[] damaged = tail[0].clone();
        damaged[damaged.length / 2] ^= 0x10;
        assertThatThrownBy(() -> Generation.ofTail(io, path, length[0], damaged))
                .isInstanceOf(CorruptGenerationException.class);
        assertThatThrownBy(() -> Generation.ofTail(io, path, length[0], new byte[4]))
                .isInstanceOf(CorruptGenerationException.class);
        List<Field> fields = new ArrayList<>(Memtables.ALL_TYPES.getFields());
        fields.add(GenerationFormat.kindField());
        try (VectorSchemaRoot empty = VectorSchemaRoot.create(new Schema(fields), allocator)) {
            assertThatThrownBy(() -> fromTail.writtenPage(0, empty))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("rows are not page 0");
        }
    }

    @Test
    void plainArrowFileReaderReadsTheSchemaAndEveryPage() throws Exception {
        Path path = path("plain.arrow");
        long[] ids = LongStream.range(0, 3000).toArray();
        GenerationStats stats;
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, ids)) {
            BitSet deletes = new BitSet();
            deletes.set(10);
            stats =
                    GenerationWriter.builder(Memtables.ALL_TYPES, List.of("id"))
                            .targetPageBytes(16 * 1024)
                            .build()
                            .write(path, memtable, deletes, allocator);
        }
        Generation g = Generation.open(io, path, stats.fileBytes()).join();
        try (SeekableByteChannel channel = Files.newByteChannel(dir.resolve("plain.arrow"));
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertThat(root.getSchema().getFields())
                    .hasSize(Memtables.ALL_TYPES.getFields().size() + 1);
            // Its strings (over 12 bytes) stay Utf8 in format version 4 (StringViewsTest).
            assertThat(
                            root.getSchema()
                                    .getFields()
                                    .subList(0, Memtables.ALL_TYPES.getFields().size()))
                    .isEqualTo(Memtables.ALL_TYPES.getFields());
            assertThat(
                            root.getSchema()
                                    .getFields()
                                    .get(Memtables.ALL_TYPES.getFields().size())
                                    .getName())
                    .isEqualTo("_kiln_kind");
            assertThat(reader.getMetaData()).containsEntry("kiln.format.version", "4");
            // The index is raw bytes in the body, not Base64 in the footer's metadata.
            assertThat(reader.getMetaData()).doesNotContainKey("kiln.index");
            List<ArrowBlock> blocks = reader.getRecordBlocks();
            ArrowBlock last = blocks.get(blocks.size() - 1);
            long pagesEnd = last.getOffset() + last.getMetadataLength() + last.getBodyLength();
            // After the last page: the IPC end-of-stream marker, then the index.
            byte[] file = Files.readAllBytes(dir.resolve("plain.arrow"));
            assertThat(Arrays.copyOfRange(file, (int) pagesEnd, (int) pagesEnd + 8))
                    .containsExactly(-1, -1, -1, -1, 0, 0, 0, 0);
            assertThat(reader.getMetaData())
                    .containsEntry("kiln.index.offset", Long.toString(pagesEnd + 8));
            assertThat(blocks).hasSize(g.pageCount());
            long rows = 0;
            for (int p = 0; p < blocks.size(); p++) {
                assertThat(reader.loadRecordBatch(blocks.get(p))).isTrue();
                assertThat(
                                ByteRange.of(
                                        blocks.get(p).getOffset(),
                                        blocks.get(p).getMetadataLength()
                                                + blocks.get(p).getBodyLength()))
                        .isEqualTo(g.pageRange(p));
                try (Page page = g.loadPage(p, allocator).join()) {
                    assertThat(page.rowCount()).isEqualTo(root.getRowCount());
                    int columns = root.getFieldVectors().size();
                    for (int r = 0; r < root.getRowCount(); r++) {
                        assertThat(Memtables.row(page.root(), r, columns))
                                .isEqualTo(Memtables.row(root, r, columns));
                    }
                }
                rows += root.getRowCount();
            }
            assertThat(rows).isEqualTo(3000);
        }
    }

    /**
     * {@link Generation#pageOf} searches the page index on the first 8 bytes of the keys as numbers
     * and reads the bytes only where they tie: it must pick the page a search of the encoded bytes
     * picks, for keys shorter and longer than 8 bytes, with zero and 0xFF bytes, prefixes of one
     * another, and probes outside the key range.
     */
    @Test
    void thePageOfAKeyIsThePageTheEncodedBytesOrderPicks() throws Exception {
        Random random = new Random(2022);
        byte[] alphabet = {0, 0, 1, 'a', 'b', (byte) 0x7F, (byte) 0x80, (byte) 0xFF};
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("k", ArrowType.Binary.INSTANCE),
                                Memtables.nullable("v", new ArrowType.Int(64, true))));
        GenerationWriter writer =
                GenerationWriter.builder(schema, List.of("k")).targetPageBytes(256).build();
        KeyCodec codec = writer.keyCodec();
        Path path = path("prefixes.arrow");
        List<byte[]> values = new ArrayList<>();
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(schema, allocator)) {
            org.apache.arrow.vector.VarBinaryVector k =
                    (org.apache.arrow.vector.VarBinaryVector) memtable.getVector("k");
            BigIntVector v = (BigIntVector) memtable.getVector("v");
            for (int i = 0; i < 2000; i++) {
                byte[] value = new byte[random.nextInt(14)];
                for (int b = 0; b < value.length; b++) {
                    value[b] = alphabet[random.nextInt(alphabet.length)];
                }
                values.add(value);
                k.setSafe(i, value);
                v.setSafe(i, i);
            }
            memtable.setRowCount(values.size());
            writer.write(path, memtable, new BitSet(), allocator);
        }
        Generation g = Generation.open(io, path).join();
        assertThat(g.pageCount()).isGreaterThan(20);
        List<byte[]> firstKeys = new ArrayList<>();
        for (int p = 0; p < g.pageCount(); p++) {
            try (Page page = g.loadPage(p, allocator).join()) {
                firstKeys.add(page.key(0));
            }
        }
        List<byte[]> probes = new ArrayList<>();
        probes.add(new byte[0]);
        probes.add(g.maxKey());
        for (byte[] value : values) {
            byte[] key = codec.encode(value);
            probes.add(key);
            probes.add(Arrays.copyOf(key, random.nextInt(key.length + 1)));
            probes.add(Arrays.copyOf(key, key.length + 1 + random.nextInt(9)));
            byte[] changed = key.clone();
            changed[random.nextInt(key.length)] += random.nextBoolean() ? 1 : -1;
            probes.add(changed);
        }
        for (int i = 0; i < 500; i++) {
            byte[] noise = new byte[random.nextInt(20)];
            for (int b = 0; b < noise.length; b++) {
                noise[b] = alphabet[random.nextInt(alphabet.length)];
            }
            probes.add(noise);
        }
        for (byte[] probe : probes) {
            int expected = -1;
            if (Arrays.compareUnsigned(probe, g.maxKey()) <= 0) {
                for (int p = 0; p < firstKeys.size(); p++) {
                    if (Arrays.compareUnsigned(firstKeys.get(p), probe) <= 0) {
                        expected = p;
                    }
                }
            }
            assertThat(g.pageOf(probe)).as("probe %s", Arrays.toString(probe)).isEqualTo(expected);
        }
    }

    /**
     * The page index searched on the first keys' prefixes without branches: for integer keys (8
     * bytes, so no prefix ties) with the extremes among them, in generations of many pages and of
     * one, the page of every key, of every page's first key and its neighbours, and of keys below
     * and above the range is the one the encoded bytes' order picks.
     */
    @Test
    void thePageOfAnIntegerKeyIsThePageTheEncodedBytesOrderPicks() throws Exception {
        Random random = new Random(22);
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("k", new ArrowType.Int(64, true)),
                                Memtables.nullable("v", new ArrowType.Int(64, true))));
        for (int rows : new int[] {1, 2, 5, 3000}) {
            GenerationWriter writer =
                    GenerationWriter.builder(schema, List.of("k")).targetPageBytes(256).build();
            KeyCodec codec = writer.keyCodec();
            Path path = path("integers-" + rows + ".arrow");
            java.util.Set<Long> values = new java.util.LinkedHashSet<>();
            if (rows > 5) {
                values.addAll(List.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L, 1L));
            }
            while (values.size() < rows) {
                values.add(random.nextBoolean() ? random.nextLong() : random.nextInt(5000) - 2500L);
            }
            try (VectorSchemaRoot memtable = VectorSchemaRoot.create(schema, allocator)) {
                BigIntVector k = (BigIntVector) memtable.getVector("k");
                BigIntVector v = (BigIntVector) memtable.getVector("v");
                int i = 0;
                for (long value : values) {
                    k.setSafe(i, value);
                    v.setSafe(i, i);
                    i++;
                }
                memtable.setRowCount(values.size());
                writer.write(path, memtable, new BitSet(), allocator);
            }
            Generation g = Generation.open(io, path).join();
            if (rows == 3000) {
                assertThat(g.pageCount()).isGreaterThan(20);
            }
            List<byte[]> firstKeys = new ArrayList<>();
            for (int p = 0; p < g.pageCount(); p++) {
                try (Page page = g.loadPage(p, allocator).join()) {
                    firstKeys.add(page.key(0));
                }
            }
            List<Long> probes = new ArrayList<>(values);
            probes.addAll(List.of(Long.MIN_VALUE, Long.MAX_VALUE, -1L, 0L, 1L));
            for (long value : values) {
                probes.add(value + 1);
                probes.add(value - 1);
            }
            for (int i = 0; i < 500; i++) {
                probes.add(random.nextLong());
            }
            for (long value : probes) {
                byte[] probe = codec.encode(value);
                int expected = -1;
                if (Arrays.compareUnsigned(probe, g.maxKey()) <= 0) {
                    for (int p = 0; p < firstKeys.size(); p++) {
                        if (Arrays.compareUnsigned(firstKeys.get(p), probe) <= 0) {
                            expected = p;
                        }
                    }
                }
                assertThat(g.pageOf(probe))
                        .as("%d rows, probe %d", rows, value)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void compositeKeysKeepTheLastWritePerKeyIncludingTombstones() throws Exception {
        keepsTheLastWritePerKeyIncludingTombstones(
                List.of("", "a", "a\0", "ab", "b"), ArrowType.Utf8.INSTANCE);
    }

    /**
     * The writer sorts on 8-byte key prefixes taken after the bytes every key of the batch shares:
     * keys alike in their first 8 or 16 bytes after those, keys that are prefixes of others, and
     * keys ending in zero bytes still sort by their whole bytes, and of each key the last write
     * stays.
     */
    @Test
    void keysAlikeBeyondTheirSortPrefixesKeepTheLastWritePerKey() throws Exception {
        String shared = "tenant/long-shared-part/";
        keepsTheLastWritePerKeyIncludingTombstones(
                List.of(
                        shared,
                        shared + "\0",
                        shared + "\0\0",
                        shared + "12345678",
                        shared + "12345678\0",
                        shared + "123456789",
                        shared + "1234567812345678a",
                        shared + "1234567812345678b",
                        shared + "12345677\u00ff"),
                ArrowType.Utf8.INSTANCE);
    }

    /**
     * Keys of one length (a BIGINT and an INT): where all keys share their first 4 bytes, the 8
     * bytes after them are the whole key and equal prefixes are equal keys; where they share less,
     * rows whose 8-byte prefixes are equal still differ in their last bytes.
     */
    @Test
    void fixedLengthKeysKeepTheLastWritePerKeyWhetherOrNotTheirPrefixesHoldThem() throws Exception {
        ArrowType bigint = new ArrowType.Int(64, true);
        keepsTheLastWritePerKeyIncludingTombstones(List.of(0L, 1L, 255L, 256L, 65_536L), bigint);
        keepsTheLastWritePerKeyIncludingTombstones(
                List.of(0L, 1L << 40, (1L << 40) + 1, -1L, Long.MAX_VALUE), bigint);
    }

    private void keepsTheLastWritePerKeyIncludingTombstones(List<?> tenants, ArrowType tenantType)
            throws Exception {
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("tenant", tenantType),
                                Memtables.notNull("seq", new ArrowType.Int(32, true)),
                                Memtables.nullable("v", ArrowType.Utf8.INSTANCE)));
        GenerationWriter writer =
                GenerationWriter.builder(schema, List.of("tenant", "seq"))
                        .targetPageBytes(2048)
                        .build();
        KeyCodec codec = writer.keyCodec();
        Random random = new Random(99);
        int writes = 5000;
        BitSet deletes = new BitSet();
        // key -> {kind, value} of the last write, in encoded-key order
        TreeMap<byte[], Object[]> model = new TreeMap<>(KeyCodec::compare);
        Path path = path("composite-" + tenants.hashCode() + ".arrow");
        GenerationStats stats;
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(schema, allocator)) {
            FieldVector tenant = memtable.getVector("tenant");
            IntVector seq = (IntVector) memtable.getVector("seq");
            VarCharVector v = (VarCharVector) memtable.getVector("v");
            for (int i = 0; i < writes; i++) {
                Object t = tenants.get(random.nextInt(tenants.size()));
                int s = random.nextInt(400) - 200;
                if (tenant instanceof BigIntVector longs) {
                    longs.setSafe(i, (Long) t);
                } else {
                    ((VarCharVector) tenant)
                            .setSafe(i, ((String) t).getBytes(StandardCharsets.UTF_8));
                }
                seq.setSafe(i, s);
                String value = "w" + i;
                v.setSafe(i, value.getBytes(StandardCharsets.UTF_8));
                boolean delete = random.nextInt(5) == 0;
                if (delete) {
                    deletes.set(i);
                }
                model.put(
                        codec.encode(t, s),
                        new Object[] {delete ? RowKind.DELETE : RowKind.UPSERT, value, t, s});
            }
            memtable.setRowCount(writes);
            stats = writer.write(path, memtable, deletes, allocator);
        }
        long tombstones = model.values().stream().filter(x -> x[0] == RowKind.DELETE).count();
        assertThat(stats.rowCount()).isEqualTo(model.size());
        assertThat(stats.tombstoneCount()).isEqualTo(tombstones);
        assertThat(tombstones).isPositive();

        Generation g = Generation.open(io, path).join();
        assertThat(g.tombstoneCount()).isEqualTo(tombstones);
        List<List<Object>> rows = scanRows(g);
        List<List<Object>> expected = new ArrayList<>();
        for (Object[] last : model.values()) {
            expected.add(List.of(last[2], last[3], last[1], last[0]));
        }
        assertThat(
                        Memtables.comparable(
                                new ArrayList<>(rows.stream().map(Object::toString).toList())))
                .isEqualTo(
                        Memtables.comparable(
                                new ArrayList<>(expected.stream().map(Object::toString).toList())));

        for (Map.Entry<byte[], Object[]> e : model.entrySet()) {
            LookupResult result = g.lookup(e.getKey(), allocator).join();
            if (e.getValue()[0] == RowKind.DELETE) {
                assertThat(result.status()).isEqualTo(LookupResult.Status.DELETED);
            } else {
                assertThat(result.status()).isEqualTo(LookupResult.Status.FOUND);
                assertThat(result.values().get(2).toString()).isEqualTo(e.getValue()[1]);
            }
        }
    }

    @Test
    void anEmptyGenerationOpensAndAnswersAbsent() throws Exception {
        Path path = path("empty.arrow");
        GenerationStats stats;
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator)) {
            stats = allTypesWriter().write(path, memtable, new BitSet(), allocator);
        }
        assertThat(stats.rowCount()).isZero();
        assertThat(stats.pageCount()).isZero();
        assertThat(stats.minKey()).isNull();
        assertThat(stats.maxKey()).isNull();

        Generation g = Generation.open(io, path, stats.fileBytes()).join();
        assertThat(g.pageCount()).isZero();
        assertThat(g.minKey()).isNull();
        io.resetCounters();
        byte[] key = g.keyCodec().encode(1L);
        assertThat(g.pageOf(key)).isEqualTo(-1);
        assertThat(g.mightContain(key)).isFalse();
        assertThat(g.lookup(key, allocator).join().status()).isEqualTo(LookupResult.Status.ABSENT);
        assertThat(scanRows(g)).isEmpty();
        assertThat(io.requests(path)).isZero();

        try (SeekableByteChannel channel = Files.newByteChannel(dir.resolve("empty.arrow"));
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            assertThat(reader.getVectorSchemaRoot().getSchema().getFields()).hasSize(16);
            assertThat(reader.getRecordBlocks()).isEmpty();
        }
    }

    @Test
    void aSingleRowGenerationRoundTrips() throws Exception {
        Path path = path("one.arrow");
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, 7L)) {
            GenerationStats stats = allTypesWriter().write(path, memtable, new BitSet(), allocator);
            assertThat(stats.rowCount()).isEqualTo(1);
            assertThat(stats.pageCount()).isEqualTo(1);
            assertThat(stats.minKey()).isEqualTo(stats.maxKey());
            Generation g = Generation.open(io, path, stats.fileBytes()).join();
            LookupResult found = g.lookup(g.keyCodec().encode(7L), allocator).join();
            assertThat(Memtables.comparable(found.values()))
                    .isEqualTo(Memtables.row(memtable, 0, 15));
            assertThat(g.lookup(g.keyCodec().encode(8L), allocator).join().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
            assertThat(g.lookup(g.keyCodec().encode(6L), allocator).join().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
        }
    }

    @Test
    void aMultiMiBGenerationIsOpenedLookedUpAndBatchReadWithExactRequestCounts() throws Exception {
        int rows = 120_000;
        Path path = path("big.arrow");
        Schema schema =
                new Schema(
                        List.of(
                                Memtables.notNull("id", new ArrowType.Int(64, true)),
                                Memtables.nullable("payload", ArrowType.Utf8.INSTANCE)));
        GenerationWriter writer =
                GenerationWriter.builder(schema, List.of("id")).targetPageBytes(64 * 1024).build();
        GenerationStats stats;
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(schema, allocator)) {
            org.apache.arrow.vector.BigIntVector id =
                    (org.apache.arrow.vector.BigIntVector) memtable.getVector("id");
            VarCharVector payload = (VarCharVector) memtable.getVector("payload");
            for (int i = 0; i < rows; i++) {
                id.setSafe(i, rows - 1 - i);
                payload.setSafe(
                        i,
                        ("payload of row " + i + " padded to some length")
                                .getBytes(StandardCharsets.UTF_8));
            }
            memtable.setRowCount(rows);
            stats = writer.write(path, memtable, new BitSet(), allocator);
        }
        assertThat(stats.fileBytes()).isGreaterThan(5L << 20);
        assertThat(stats.pageCount()).isGreaterThan(80);

        // Open with the length known from the writer: the index (page keys and filter) before the
        // footer is larger than the 64 KiB tail guess, so exactly one more read.
        Generation g = Generation.open(io, path, stats.fileBytes()).join();
        assertThat(io.requests(path)).isEqualTo(2);
        assertThat(io.lengthRequests(path)).isZero();
        assertThat(g.pageCount()).isEqualTo(stats.pageCount());

        // Open without a length: one length request, still two reads.
        io.resetCounters();
        Generation.open(io, path).join();
        assertThat(io.lengthRequests(path)).isEqualTo(1);
        assertThat(io.requests(path)).isEqualTo(2);

        // A tail guess that holds the index and the footer: one read.
        io.resetCounters();
        Generation.open(io, path, stats.fileBytes(), 1 << 20).join();
        assertThat(io.requests(path)).isEqualTo(1);

        // A tail guess shorter than the footer: the rest of the footer, then the index.
        io.resetCounters();
        Generation small = Generation.open(io, path, stats.fileBytes(), 16).join();
        assertThat(io.requests(path)).isEqualTo(3);
        assertThat(small.pageCount()).isEqualTo(stats.pageCount());

        // A point lookup in the open generation: one read, of exactly the key's page.
        KeyCodec codec = g.keyCodec();
        for (long key : new long[] {0, 1, 60_000, rows - 1}) {
            io.resetCounters();
            LookupResult result = g.lookup(codec.encode(key), allocator).join();
            assertThat(result.status()).isEqualTo(LookupResult.Status.FOUND);
            assertThat(result.values().get(1).toString())
                    .isEqualTo("payload of row " + (rows - 1 - key) + " padded to some length");
            assertThat(io.requests(path)).isEqualTo(1);
            assertThat(io.ranges(path)).containsExactly(g.pageRange(g.pageOf(codec.encode(key))));
        }
        // Outside the key range: no read at all.
        io.resetCounters();
        assertThat(g.lookup(codec.encode(-1L), allocator).join().status())
                .isEqualTo(LookupResult.Status.ABSENT);
        assertThat(io.requests(path)).isZero();

        // A batch of missing pages: pages are contiguous, so with no hole allowed the runs
        // {3,4,5}, {20,21}, {50} and {80} are read with exactly 4 requests.
        int[] pages = {21, 4, 50, 3, 80, 5, 20};
        io.resetCounters();
        List<Page> loaded = g.loadPages(pages, RangeCoalescer.of(0, 32L << 20), allocator).join();
        try {
            assertThat(io.requests(path)).isEqualTo(4);
            for (int i = 0; i < pages.length; i++) {
                Page page = loaded.get(i);
                assertThat(page.index()).isEqualTo(pages[i]);
                assertThat(page.rowCount()).isEqualTo(g.pageRowCount(pages[i]));
                assertThat(g.pageOf(page.key(0))).isEqualTo(pages[i]);
                assertThat(g.pageOf(page.key(page.rowCount() - 1))).isEqualTo(pages[i]);
            }
        } finally {
            loaded.forEach(Page::close);
        }
        // The same batch with the default (1 MiB hole) coalescer: as many requests as merged
        // ranges, and at least the three runs that are more than 1 MiB apart stay apart.
        List<ByteRange> ranges = new ArrayList<>();
        for (int p : pages) {
            ranges.add(g.pageRange(p));
        }
        int merged = RangeCoalescer.defaults().plan(ranges).merged().size();
        io.resetCounters();
        g.readPages(pages, RangeCoalescer.defaults()).join();
        assertThat(io.requests(path)).isEqualTo(merged);
        assertThat(merged).isBetween(2, 4);
        // Without coalescing: one request per page.
        io.resetCounters();
        for (int p : pages) {
            g.readPage(p).join();
        }
        assertThat(io.requests(path)).isEqualTo(pages.length);

        // A scan reads everything, in key order, in ranges of up to the range size limit.
        io.resetCounters();
        long[] previous = {-1};
        long[] count = {0};
        g.scan(
                        allocator,
                        RangeCoalescer.of(0, 1 << 20),
                        page -> {
                            for (int r = 0; r < page.rowCount(); r++) {
                                long id = (Long) page.values(r).get(0);
                                assertThat(id).isEqualTo(previous[0] + 1);
                                previous[0] = id;
                                count[0]++;
                            }
                        })
                .join();
        assertThat(count[0]).isEqualTo(rows);
        assertThat(io.requests(path)).isBetween(5L, (long) stats.pageCount() / 2);
    }

    @Test
    void theWriterRejectsBadInputAndNeverOverwrites() throws Exception {
        GenerationWriter writer = allTypesWriter();
        Path path = path("g.arrow");
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, 1L, 2L)) {
            writer.write(path, memtable, new BitSet(), allocator);
            assertThatThrownBy(() -> writer.write(path, memtable, new BitSet(), allocator))
                    .isInstanceOf(IOException.class);
            // The first file is intact.
            assertThat(Generation.open(io, path).join().rowCount()).isEqualTo(2);

            memtable.getVector("id").setNull(1);
            Path nullKey = path("null-key.arrow");
            assertThatThrownBy(() -> writer.write(nullKey, memtable, new BitSet(), allocator))
                    .isInstanceOf(NullKeyException.class)
                    .hasMessageContaining("'id'");
            assertThat(dir.resolve("null-key.arrow")).doesNotExist();
        }
        Schema other = new Schema(List.of(Memtables.notNull("id", new ArrowType.Int(64, true))));
        try (VectorSchemaRoot memtable = VectorSchemaRoot.create(other, allocator)) {
            assertThatThrownBy(
                            () ->
                                    writer.write(
                                            path("other.arrow"), memtable, new BitSet(), allocator))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("schema");
        }
        Schema reserved =
                new Schema(
                        List.of(
                                Memtables.notNull("id", new ArrowType.Int(64, true)),
                                Memtables.notNull("_kiln_kind", new ArrowType.Int(8, true))));
        assertThatThrownBy(() -> GenerationWriter.builder(reserved, List.of("id")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("_kiln_kind");
        assertThatThrownBy(() -> GenerationWriter.builder(other, List.of("id")).targetPageBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("targetPageBytes");
        assertThatThrownBy(
                        () ->
                                GenerationWriter.builder(other, List.of("id"))
                                        .filterFalsePositiveRate(1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("filterFalsePositiveRate");
        assertThatThrownBy(() -> GenerationWriter.builder(other, List.of("nope")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'nope'");
    }

    @Test
    void theKeyFilterRulesOutMostAbsentKeysWithoutARead() throws Exception {
        Path path = path("filter.arrow");
        long[] ids = LongStream.range(0, 20_000).map(i -> i * 2).toArray();
        GenerationStats stats;
        try (VectorSchemaRoot memtable = Memtables.allTypes(allocator, ids)) {
            stats = allTypesWriter().write(path, memtable, new BitSet(), allocator);
        }
        Generation g = Generation.open(io, path, stats.fileBytes()).join();
        io.resetCounters();
        int maybe = 0;
        for (long odd = 1; odd < 39_998; odd += 2) {
            byte[] key = g.keyCodec().encode(odd);
            assertThat(g.pageOf(key)).isNotNegative();
            if (g.mightContain(key)) {
                maybe++;
            }
            assertThat(g.lookup(key, allocator).join().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
        }
        // 19,999 absent keys inside the key range at a 1% filter: about 200 reads, not 20,000.
        assertThat(maybe).isBetween(50, 400);
        assertThat(io.requests(path)).isEqualTo(maybe);
    }

    @Test
    void theWriterRefusesSchemasTheReaderWouldRefuseNamingTheColumn() {
        Field id = Memtables.notNull("id", new ArrowType.Int(64, true));
        List<List<Field>> refused =
                List.of(
                        List.of(id, Memtables.nullable("id", ArrowType.Utf8.INSTANCE)),
                        List.of(
                                id,
                                new Field(
                                        "tags",
                                        FieldType.nullable(ArrowType.List.INSTANCE),
                                        List.of(
                                                Memtables.nullable(
                                                        "item", ArrowType.Utf8.INSTANCE)))),
                        List.of(id, Memtables.nullable("n", new ArrowType.Int(65, true))),
                        List.of(
                                id,
                                Memtables.nullable(
                                        "t", new ArrowType.Time(TimeUnit.MICROSECOND, 32))),
                        List.of(id, Memtables.nullable("z", ArrowType.Null.INSTANCE)));
        for (List<Field> fields : refused) {
            String column = fields.get(1).getName();
            assertThatThrownBy(() -> GenerationWriter.builder(new Schema(fields), List.of("id")))
                    .as("schema %s", fields)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + column + "'");
        }
        // A key column of an invalid width is refused by KeyCodec itself, naming the column.
        Schema wide = new Schema(List.of(Memtables.notNull("k", new ArrowType.Int(65, true))));
        assertThatThrownBy(() -> KeyCodec.of(wide, List.of("k")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'k'");
    }
}
