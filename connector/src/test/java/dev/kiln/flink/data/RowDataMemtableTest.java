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

package dev.kiln.flink.data;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.io.RangeReader;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.IntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Rows of every type through a memtable into a real generation file and back as RowData. */
public class RowDataMemtableTest {

    private static final RowType TYPE = FlinkArrowTypesTest.ALL_TYPES;

    /** A composite key over the key-able types: string, int, date, timestamp, decimal, bytes. */
    private static final RowType COMPOSITE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("region", DataTypes.STRING()),
                                    DataTypes.FIELD("shard", DataTypes.INT()),
                                    DataTypes.FIELD("day", DataTypes.DATE()),
                                    DataTypes.FIELD("at", DataTypes.TIMESTAMP(6)),
                                    DataTypes.FIELD("amount", DataTypes.DECIMAL(12, 2)),
                                    DataTypes.FIELD("tag", DataTypes.BYTES()),
                                    DataTypes.FIELD("payload", DataTypes.STRING()))
                            .getLogicalType();

    private static final List<String> COMPOSITE_KEY =
            List.of("region", "shard", "day", "at", "amount", "tag");

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private RangeReader io;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(2);
        io = RangeReader.onFileSystem(ioPool);
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    @Test
    void theSizeCountsTheKeyKeptForTheFlush() throws Exception {
        RowType type =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("k", DataTypes.STRING().notNull()),
                                        DataTypes.FIELD("v", DataTypes.BIGINT()))
                                .getLogicalType();
        TableOptions options = options(type, List.of("k"));
        String longKey = "k".repeat(1000);
        try (RowDataMemtable memtable = new RowDataMemtable(type, options, allocator)) {
            memtable.add(GenericRowData.of(StringData.fromString(longKey), 1L));
            // 1,000 bytes in the string vector, 1,000 more in the encoded key kept on the heap
            assertThat(memtable.sizeBytes()).isGreaterThanOrEqualTo(2000);
            long one = memtable.sizeBytes();
            RowKeyExtractor keys = new RowKeyExtractor(type, List.of("k"));
            byte[] key = keys.key(GenericRowData.of(StringData.fromString("x"), 2L));
            memtable.add(GenericRowData.of(StringData.fromString("x"), 2L), key);
            // value bytes: 1 (string) + 4 (offset) + 8 (BIGINT) + 2 (validity, kind)
            assertThat(memtable.sizeBytes() - one)
                    .isEqualTo(15 + key.length + RowDataMemtable.KEY_OVERHEAD_BYTES);
        }
    }

    @Test
    void rowsAfterAFlushGoToVectorsAllocatedOnceForAsManyRows() throws Exception {
        AtomicInteger allocations = new AtomicInteger();
        AllocationListener counting =
                new AllocationListener() {
                    @Override
                    public void onAllocation(long size) {
                        allocations.incrementAndGet();
                    }
                };
        TableOptions options = options(TYPE, List.of("id"));
        Random random = new Random(7);
        int rows = 20_000;
        List<RowData> lastRows = new ArrayList<>();
        try (BufferAllocator counted = new RootAllocator(counting, Long.MAX_VALUE);
                RowDataMemtable memtable = new RowDataMemtable(TYPE, options, counted)) {
            for (int cycle = 0; cycle < 3; cycle++) {
                lastRows.clear();
                int afterFirstRow = 0;
                for (int i = 0; i < rows; i++) {
                    GenericRowData row = allTypesRow((long) cycle * rows + i, random);
                    memtable.add(row);
                    lastRows.add(row);
                    if (i == 0) {
                        afterFirstRow = allocations.get();
                    }
                }
                if (cycle > 0) {
                    // every vector allocated at the first row for the last flush's rows: none grew
                    assertThat(allocations.get()).as("cycle %d", cycle).isEqualTo(afterFirstRow);
                }
                assertThat(memtable.flush(path("cycle-" + cycle)).rowCount()).isEqualTo(rows);
            }
        }
        RowDataReader reader = new RowDataReader(TYPE);
        Generation generation = Generation.open(io, path("cycle-2")).join();
        for (RowData row : lastRows) {
            LookupResult result =
                    generation.lookup(options.keyCodec().encode(row.getLong(0)), allocator).join();
            assertSameRow(reader.read(result.values()), row);
        }
    }

    @Test
    void everyTypeSurvivesTheTripThroughAGenerationFile() throws Exception {
        TableOptions options = options(TYPE, List.of("id"));
        Random random = new Random(42);
        Map<Long, RowData> expected = new LinkedHashMap<>();
        Path path = path("all-types.arrow");
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            for (int version = 0; version < 3; version++) {
                for (long id = 0; id < 300; id++) {
                    GenericRowData row = allTypesRow(id, random);
                    int kind = random.nextInt(10);
                    if (kind == 0) {
                        row.setRowKind(RowKind.DELETE);
                        expected.put(id, null);
                    } else if (kind == 1) {
                        row.setRowKind(RowKind.UPDATE_BEFORE);
                        assertThat(memtable.add(row)).isFalse();
                        continue;
                    } else {
                        row.setRowKind(kind == 2 ? RowKind.UPDATE_AFTER : RowKind.INSERT);
                        expected.put(id, row);
                    }
                    assertThat(memtable.add(row)).isTrue();
                }
            }
            assertThat(memtable.sizeBytes()).isPositive();
            GenerationStats stats = memtable.flush(path);
            assertThat(stats.rowCount()).isEqualTo(expected.size());
            assertThat(memtable.isEmpty()).isTrue();
            assertThat(memtable.sizeBytes()).isZero();
        }

        RowKeyExtractor keys = new RowKeyExtractor(TYPE, List.of("id"));
        RowDataReader reader = new RowDataReader(TYPE);
        Generation generation = Generation.open(io, path).join();
        for (Map.Entry<Long, RowData> e : expected.entrySet()) {
            GenericRowData probe = GenericRowData.of(e.getKey());
            LookupResult result =
                    generation.lookup(options.keyCodec().encode(e.getKey()), allocator).join();
            if (e.getValue() == null) {
                assertThat(result.status()).isEqualTo(LookupResult.Status.DELETED);
            } else {
                assertThat(result.status()).isEqualTo(LookupResult.Status.FOUND);
                assertSameRow(reader.read(result.values()), e.getValue());
                assertThat(keys.key(e.getValue())).isEqualTo(options.keyCodec().encode(e.getKey()));
            }
            assertThat(probe.getArity()).isOne();
        }
    }

    @Test
    void rowsReadStraightFromPagesEqualTheRowsOfTheirValues() throws Exception {
        TableOptions options = options(TYPE, List.of("id"));
        Random random = new Random(22);
        Path path = path("page-rows.arrow");
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            for (long id = 0; id < 500; id++) {
                GenericRowData row = allTypesRow(id, random);
                // Floating-point values that equality treats specially survive as they are.
                if (id % 7 == 0) {
                    row.setField(6, id % 2 == 0 ? Float.NaN : -0.0f);
                    row.setField(7, id % 2 == 0 ? Double.NaN : -0.0d);
                }
                memtable.add(row);
            }
            memtable.flush(path);
        }
        RowDataReader values = new RowDataReader(TYPE);
        PageRowReader all = new PageRowReader(TYPE);
        // A projection in another order, as the SQL lookup produces it.
        int[] columns = {12, 0, 8, 9, 22, 1, 27, 7};
        List<RowType.RowField> fields = new ArrayList<>();
        for (int c : columns) {
            fields.add(TYPE.getFields().get(c));
        }
        RowType projectedType = new RowType(fields);
        PageRowReader projected = new PageRowReader(projectedType, columns);
        RowDataReader projectedValues = new RowDataReader(projectedType);
        Generation generation = Generation.open(io, path).join();
        assertThat(generation.pageCount()).isGreaterThan(1);
        int rows = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            try (Page page = generation.loadPage(p, allocator).join()) {
                for (int row = 0; row < page.rowCount(); row++, rows++) {
                    List<Object> rowValues = page.values(row);
                    assertSameRow(generic(TYPE, all.read(page, row)), values.read(rowValues));
                    List<Object> picked = new ArrayList<>();
                    for (int c : columns) {
                        picked.add(rowValues.get(c));
                    }
                    assertSameRow(
                            generic(projectedType, projected.read(page, row)),
                            projectedValues.read(picked));
                }
            }
        }
        assertThat(rows).isEqualTo(500);
        assertThatThrownBy(() -> new PageRowReader(projectedType, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void compositeKeysFromRowDataMatchTheKeysTheWriterEncodes() throws Exception {
        TableOptions options = options(COMPOSITE, COMPOSITE_KEY);
        RowKeyExtractor keys = new RowKeyExtractor(COMPOSITE, COMPOSITE_KEY);
        List<RowData> rows = new ArrayList<>();
        Path path = path("composite.arrow");
        try (RowDataMemtable memtable = new RowDataMemtable(COMPOSITE, options, allocator)) {
            for (int i = 0; i < 200; i++) {
                GenericRowData row =
                        GenericRowData.of(
                                StringData.fromString(i % 3 == 0 ? "eu\u0000" : "us-" + (i % 5)),
                                i % 7 - 3,
                                19_000 + i % 11,
                                TimestampData.fromEpochMillis(
                                        -5_000L + i * 997L, (i * 1000) % 1_000_000),
                                DecimalData.fromBigDecimal(
                                        BigDecimal.valueOf(i * 13 - 700, 2), 12, 2),
                                new byte[] {(byte) i, 0, (byte) -i},
                                StringData.fromString("payload " + i));
                rows.add(row);
                memtable.add(row);
            }
            memtable.flush(path);
        }

        Generation generation = Generation.open(io, path).join();
        RowDataReader reader = new RowDataReader(COMPOSITE);
        for (RowData row : rows) {
            LookupResult result = generation.lookup(keys.key(row), allocator).join();
            assertThat(result.status()).isEqualTo(LookupResult.Status.FOUND);
            assertSameRow(reader.read(result.values()), row);
            assertThat(keys.bucket(row, 16))
                    .isEqualTo(options.bucketOf(keys.key(row)))
                    .isBetween(0, 15);
        }
    }

    /**
     * SHA-256 of the file {@link #filesAreByteForByteThoseWrittenBeforeKeysWereEncodedOnce} writes,
     * as written by main at 2cf2bc2, before the memtable kept each row's key for the writer.
     */
    private static final String FILE_SHA256_BEFORE_KEY_ONCE =
            "ea5b0f9aa4cccd80720663fae71a0996a8f8fc344569f875850d8f70bf726c7e";

    /**
     * Keys encoded once (given to the memtable, kept for the writer) or encoded by the memtable and
     * by the writer: the same rows give the same bytes, and the bytes of the writer before the
     * change (every type, duplicates, deletes, ignored UPDATE_BEFORE rows, several pages).
     */
    @Test
    void filesAreByteForByteThoseWrittenBeforeKeysWereEncodedOnce() throws Exception {
        // Uncompressed and in format version 2, as every file was when the golden digest was
        // taken: a table created before version 3 still writes the very same bytes.
        TableOptions options =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                        .bucketCount(16)
                        .targetPageBytes(4096)
                        .compression(dev.kiln.format.PageCompression.NONE)
                        .generationFormatVersion(
                                dev.kiln.format.GenerationWriter.FORMAT_VERSION_BASE64_INDEX)
                        .build();
        RowKeyExtractor keys = new RowKeyExtractor(TYPE, List.of("id"));
        List<String> digests = new ArrayList<>();
        for (boolean keyGiven : new boolean[] {false, true}) {
            Random random = new Random(7);
            Path path = path("golden-" + keyGiven + ".arrow");
            try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
                for (int version = 0; version < 3; version++) {
                    for (long id = 0; id < 300; id++) {
                        GenericRowData row = allTypesRow((id * 7919) % 300, random);
                        int kind = random.nextInt(10);
                        row.setRowKind(
                                kind == 0
                                        ? RowKind.DELETE
                                        : kind == 1 ? RowKind.UPDATE_BEFORE : RowKind.INSERT);
                        if (keyGiven) {
                            memtable.add(row, keys.key(row));
                        } else {
                            memtable.add(row);
                        }
                    }
                }
                memtable.flush(path);
            }
            byte[] bytes = java.nio.file.Files.readAllBytes(java.nio.file.Paths.get(path.toUri()));
            digests.add(
                    java.util.HexFormat.of()
                            .formatHex(
                                    java.security.MessageDigest.getInstance("SHA-256")
                                            .digest(bytes)));
        }
        assertThat(digests)
                .containsExactly(FILE_SHA256_BEFORE_KEY_ONCE, FILE_SHA256_BEFORE_KEY_ONCE);
    }

    /**
     * One-column BIGINT, INT and DATE keys (read without boxing) encode as the codec encodes the
     * value, and a null key still fails naming the column.
     */
    @Test
    void oneColumnIntegerKeysEncodeAsTheCodecDoes() {
        Random random = new Random(9);
        for (org.apache.flink.table.types.DataType keyType :
                List.of(DataTypes.BIGINT(), DataTypes.INT(), DataTypes.DATE())) {
            RowType type =
                    (RowType)
                            DataTypes.ROW(
                                            DataTypes.FIELD("k", keyType),
                                            DataTypes.FIELD("v", DataTypes.STRING()))
                                    .getLogicalType();
            RowKeyExtractor keys = new RowKeyExtractor(type, List.of("k"));
            TableOptions options = options(type, List.of("k"));
            for (int i = 0; i < 200; i++) {
                Object value =
                        keyType.getLogicalType() instanceof IntType
                                        || keyType.equals(DataTypes.DATE())
                                ? (Object) random.nextInt()
                                : (Object) random.nextLong();
                GenericRowData row = GenericRowData.of(value, StringData.fromString("x"));
                assertThat(keys.key(row)).isEqualTo(options.keyCodec().encode(value));
            }
            assertThatThrownBy(() -> keys.key(GenericRowData.of(null, null)))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'k'");
        }
    }

    /** A key that is not the row's fails the write when assertions are on (as in tests). */
    @Test
    void aKeyThatIsNotTheRowsFailsWithAssertionsOn() {
        TableOptions options = options(TYPE, List.of("id"));
        RowKeyExtractor keys = new RowKeyExtractor(TYPE, List.of("id"));
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            GenericRowData row = allTypesRow(1, new Random(1));
            GenericRowData other = allTypesRow(2, new Random(1));
            assertThatThrownBy(() -> memtable.add(row, keys.key(other)))
                    .isInstanceOf(AssertionError.class);
        }
    }

    @Test
    void badRowsFailNamingTheColumnAndLeaveTheMemtableUsable() throws Exception {
        TableOptions options = options(TYPE, List.of("id"));
        Random random = new Random(7);
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            GenericRowData nullKey = allTypesRow(1, random);
            nullKey.setField(0, null);
            assertThatThrownBy(() -> memtable.add(nullKey))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'id'")
                    .extracting(e -> ((InvalidRowException) e).column())
                    .isEqualTo("id");

            GenericRowData shortRow = GenericRowData.of(1L, true);
            assertThatThrownBy(() -> memtable.add(shortRow))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("2 fields");

            GenericRowData wrongScale = allTypesRow(2, random);
            wrongScale.setField(9, DecimalData.fromBigDecimal(new BigDecimal("123.456"), 6, 3));
            assertThatThrownBy(() -> memtable.add(wrongScale))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'small_dec'");

            GenericRowData wrongClass = allTypesRow(3, random);
            wrongClass.setField(12, 42L);
            assertThatThrownBy(() -> memtable.add(wrongClass))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'s'");

            GenericRowData farFuture = allTypesRow(4, random);
            farFuture.setField(22, TimestampData.fromEpochMillis(Long.MAX_VALUE / 2));
            assertThatThrownBy(() -> memtable.add(farFuture))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'ts9'");

            GenericRowData good = allTypesRow(5, random);
            assertThat(memtable.add(good)).isTrue();
            assertThat(memtable.rowCount()).isOne();
            Path path = path("after-errors.arrow");
            memtable.flush(path);
            Generation generation = Generation.open(io, path).join();
            LookupResult result =
                    generation.lookup(options.keyCodec().encode(5L), allocator).join();
            assertSameRow(new RowDataReader(TYPE).read(result.values()), good);
        }
    }

    @Test
    void aRowTypeThatDoesNotFitTheTableIsRejected() {
        TableOptions options = options(COMPOSITE, COMPOSITE_KEY);
        LogicalType[] types = COMPOSITE.getChildren().toArray(LogicalType[]::new);
        types[6] = new IntType();
        RowType payloadAsInt = RowType.of(types, COMPOSITE.getFieldNames().toArray(String[]::new));

        assertThatThrownBy(() -> new RowDataMemtable(payloadAsInt, options, allocator))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'payload' has type STRING in the table, but INT");
    }

    private Path path(String name) {
        return new Path(dir.resolve(name).toUri());
    }

    private static TableOptions options(RowType type, List<String> key) {
        return TableOptions.builder(FlinkArrowTypes.toArrowSchema(type, key), key)
                .bucketCount(16)
                .targetPageBytes(4096)
                .build();
    }

    /** A row of {@link FlinkArrowTypesTest#ALL_TYPES} with random values and some nulls. */
    static GenericRowData allTypesRow(long id, Random random) {
        int n = TYPE.getFieldCount();
        GenericRowData row = new GenericRowData(n);
        row.setField(0, id);
        row.setField(1, random.nextBoolean());
        row.setField(2, (byte) random.nextInt());
        row.setField(3, (short) random.nextInt());
        row.setField(4, random.nextInt());
        row.setField(5, random.nextLong());
        row.setField(6, random.nextFloat());
        row.setField(7, random.nextDouble());
        row.setField(
                8,
                DecimalData.fromBigDecimal(
                        new BigDecimal(random.nextLong()).movePointLeft(10), 38, 10));
        row.setField(
                9, DecimalData.fromBigDecimal(BigDecimal.valueOf(random.nextInt(99_999), 2), 5, 2));
        row.setField(10, StringData.fromString("c" + (id % 10)));
        row.setField(11, StringData.fromString("vé" + random.nextInt(1000)));
        row.setField(12, StringData.fromString("string \u0000 " + id));
        row.setField(13, new byte[] {1, 2, 3, (byte) id});
        row.setField(14, new byte[] {(byte) random.nextInt()});
        row.setField(15, new byte[0]);
        row.setField(16, random.nextInt(100_000) - 50_000);
        row.setField(17, random.nextInt(86_400) * 1000);
        row.setField(18, random.nextInt(86_400_000));
        long millis = random.nextLong() % 4_000_000_000_000L;
        row.setField(19, TimestampData.fromEpochMillis(Math.floorDiv(millis, 1000) * 1000));
        row.setField(20, TimestampData.fromEpochMillis(millis));
        row.setField(21, TimestampData.fromEpochMillis(millis, random.nextInt(1000) * 1000));
        row.setField(22, TimestampData.fromEpochMillis(millis, random.nextInt(1_000_000)));
        row.setField(23, TimestampData.fromEpochMillis(-millis));
        row.setField(24, TimestampData.fromEpochMillis(millis, random.nextInt(1000) * 1000));
        row.setField(25, TimestampData.fromEpochMillis(-millis, random.nextInt(1_000_000)));
        row.setField(26, random.nextInt(2000) - 1000);
        row.setField(27, random.nextLong() % 1_000_000_000_000L);
        for (int c = 1; c < n; c++) {
            if (random.nextInt(8) == 0) {
                row.setField(c, null);
            }
        }
        return row;
    }

    /** {@code row}'s fields in a {@link GenericRowData}, read with Flink's field getters. */
    static GenericRowData generic(RowType type, RowData row) {
        GenericRowData out = new GenericRowData(row.getRowKind(), type.getFieldCount());
        for (int c = 0; c < type.getFieldCount(); c++) {
            out.setField(c, RowData.createFieldGetter(type.getTypeAt(c), c).getFieldOrNull(row));
        }
        return out;
    }

    /** Compares rows field by field; binary fields by content. */
    public static void assertSameRow(RowData actual, RowData expected) {
        GenericRowData a = (GenericRowData) actual;
        GenericRowData e = (GenericRowData) expected;
        assertThat(a.getArity()).isEqualTo(e.getArity());
        for (int c = 0; c < e.getArity(); c++) {
            Object av = a.getField(c);
            Object ev = e.getField(c);
            if (ev instanceof byte[]) {
                assertThat(av).as("field %d", c).isInstanceOf(byte[].class);
                assertThat(Arrays.equals((byte[]) av, (byte[]) ev)).as("field %d", c).isTrue();
            } else {
                assertThat(av).as("field %d", c).isEqualTo(ev);
            }
        }
    }
}
