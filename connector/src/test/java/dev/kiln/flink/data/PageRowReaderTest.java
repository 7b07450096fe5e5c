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
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.io.RangeReader;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PageRowReader}'s copy, a {@link BinaryRowData} written from the page's vectors: field for
 * field what the view ({@link PageRowView}) and the {@code GenericRowData} of the row's values (the
 * copy lookups handed on before) hold, for every column type; byte for byte what Flink's own {@code
 * RowDataSerializer#toBinaryRow} makes of those values; and valid after its page is evicted from
 * the cache and its memory released and reused.
 */
class PageRowReaderTest {

    private static final RowType TYPE = FlinkArrowTypesTest.ALL_TYPES;

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

    /**
     * Every row of a multi-page file of every column type (NULLs in every nullable column, NaN and
     * -0.0, empty, inline (up to 7 bytes), 8-byte and long strings and bytes, multibyte strings,
     * compact and wide decimals at their extremes and 0, timestamps of every precision before and
     * after the epoch): each field of the copy, read with Flink's field getters, equals the view's,
     * today's copy's and the row written; the copy's bytes are {@code toBinaryRow}'s of today's
     * copy; Flink's serializer copies and round-trips it.
     */
    @Test
    void everyFieldOfTheCopyEqualsTheViewsAndTheValuesCopysAndItsBytesAreFlinks() throws Exception {
        Map<Long, GenericRowData> written = new HashMap<>();
        Path path = write(dir, allocator, "copy.arrow", 600, 4096, written, false);
        RowData.FieldGetter[] getters = getters(TYPE);
        PageRowReader copies = new PageRowReader(TYPE);
        PageRowView view = new PageRowView(TYPE);
        RowDataReader values = new RowDataReader(TYPE);
        RowDataSerializer serializer = new RowDataSerializer(TYPE);
        DataOutputSerializer out = new DataOutputSerializer(256);
        Generation generation = Generation.open(io, path).join();
        assertThat(generation.pageCount()).isGreaterThan(3);
        int rows = 0;
        int[] nulls = new int[getters.length];
        for (int p = 0; p < generation.pageCount(); p++) {
            try (Page page = generation.loadPage(p, allocator).join()) {
                for (int row = 0; row < page.rowCount(); row++, rows++) {
                    RowData copy = copies.read(page, row);
                    assertThat(copy).isInstanceOf(BinaryRowData.class);
                    assertThat(copy.getRowKind()).isEqualTo(RowKind.INSERT);
                    assertThat(copy.getArity()).isEqualTo(TYPE.getFieldCount());
                    RowData valuesCopy = values.read(page.values(row));
                    view.point(page, row);
                    GenericRowData original = written.get(copy.getLong(0));
                    for (int c = 0; c < getters.length; c++) {
                        Object field = getters[c].getFieldOrNull(copy);
                        assertThat(copy.isNullAt(c)).isEqualTo(view.isNullAt(c));
                        PageRowViewTest.assertSameValue(field, getters[c].getFieldOrNull(view), c);
                        PageRowViewTest.assertSameValue(
                                field, getters[c].getFieldOrNull(valuesCopy), c);
                        PageRowViewTest.assertSameValue(field, original.getField(c), c);
                        if (field == null) {
                            nulls[c]++;
                        }
                    }
                    view.detach();
                    assertThat(copy).isEqualTo(serializer.toBinaryRow(valuesCopy).copy());
                    assertThat(serializer.copy(copy)).isEqualTo(copy).isNotSameAs(copy);
                    out.clear();
                    serializer.serialize(copy, out);
                    assertThat(
                                    serializer.deserialize(
                                            new DataInputDeserializer(out.getCopyOfBuffer())))
                            .isEqualTo(copy);
                }
            }
        }
        assertThat(rows).isEqualTo(600);
        for (int c = 1; c < nulls.length; c++) {
            assertThat(nulls[c]).as("NULLs in column %d", c).isPositive();
        }
    }

    /**
     * Pages that hold NULLs in a column and pages that hold none ({@link Page#nullFree}): the
     * reader, reused across them, reads the validity bits only where a page has a NULL, and every
     * copy is still {@code toBinaryRow}'s of the row's values, NULL exactly where one was written.
     * A closed page's rows are refused, never read from released memory.
     */
    @Test
    void pagesWithAndWithoutNullsInAColumnAreReadAlike() throws Exception {
        Map<Long, GenericRowData> written = new HashMap<>();
        Path path = write(dir, allocator, "nulls.arrow", 600, 4096, written, true);
        RowData.FieldGetter[] getters = getters(TYPE);
        PageRowReader copies = new PageRowReader(TYPE);
        RowDataReader values = new RowDataReader(TYPE);
        RowDataSerializer serializer = new RowDataSerializer(TYPE);
        Generation generation = Generation.open(io, path).join();
        int[] pagesWithNulls = new int[getters.length];
        int[] pagesWithout = new int[getters.length];
        int rows = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            Page page = generation.loadPage(p, allocator).join();
            try (page) {
                for (int c = 1; c < getters.length; c++) {
                    if (page.nullFree(c)) {
                        pagesWithout[c]++;
                    } else {
                        pagesWithNulls[c]++;
                    }
                }
                for (int row = 0; row < page.rowCount(); row++, rows++) {
                    RowData copy = copies.read(page, row);
                    GenericRowData original = written.get(copy.getLong(0));
                    for (int c = 0; c < getters.length; c++) {
                        assertThat(copy.isNullAt(c)).isEqualTo(original.isNullAt(c));
                        PageRowViewTest.assertSameValue(
                                getters[c].getFieldOrNull(copy), original.getField(c), c);
                    }
                    assertThat(copy)
                            .isEqualTo(
                                    serializer.toBinaryRow(values.read(page.values(row))).copy());
                }
            }
            assertThatThrownBy(() -> copies.read(page, 0)).isInstanceOf(RuntimeException.class);
        }
        assertThat(rows).isEqualTo(600);
        for (int c = 1; c < getters.length; c++) {
            assertThat(pagesWithNulls[c]).as("pages with NULLs in column %d", c).isPositive();
            assertThat(pagesWithout[c]).as("pages without NULLs in column %d", c).isPositive();
        }
    }

    /**
     * Copies read through the cache's hit path, each in an array of its own (a kept row keeps no
     * other row's bytes), then the generation evicted, the cache closed, its memory released (the
     * allocator checks none is left) and allocated again and overwritten: the copies still hold the
     * rows written (no later read wrote over them), as Flink's serializer reads them.
     */
    @Test
    void copiesStayValidAfterTheirPagesAreEvictedClosedAndTheirMemoryReused() throws Exception {
        Map<Long, GenericRowData> written = new HashMap<>();
        Path path = write(dir, allocator, "evicted.arrow", 300, 4096, written, false);
        TableOptions options = options();
        PageRowReader copies = new PageRowReader(TYPE);
        List<RowData> kept = new ArrayList<>();
        try (BufferAllocator cacheMemory = allocator.newChildAllocator("cache", 0, Long.MAX_VALUE);
                GenerationCache cache = GenerationCache.builder(io, cacheMemory).build()) {
            for (long id = 0; id < 300; id++) {
                byte[] key = options.keyCodec().encode(id);
                assertThat(cache.lookup(path, key).join().status())
                        .isEqualTo(LookupResult.Status.FOUND);
                Object hit = cache.lookupIfCached(path.toString(), key, copies);
                assertThat(hit).as("cached hit of %d", id).isInstanceOf(BinaryRowData.class);
                kept.add((RowData) hit);
            }
            assertThat(
                            kept.stream()
                                    .map(r -> ((BinaryRowData) r).getSegments()[0])
                                    .distinct()
                                    .count())
                    .as("arrays the rows were written into: one of its own per row")
                    .isEqualTo(kept.size());
            cache.evictPaths(Set.of(path)).join();
            assertThat(cache.cachedPages()).isZero();
        }
        assertThat(allocator.getAllocatedMemory()).isZero();
        List<ArrowBuf> garbage = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            ArrowBuf buf = allocator.buffer(4096);
            buf.setOne(0, 4096);
            garbage.add(buf);
        }
        RowData.FieldGetter[] getters = getters(TYPE);
        RowDataSerializer serializer = new RowDataSerializer(TYPE);
        for (RowData copy : kept) {
            GenericRowData original = written.get(copy.getLong(0));
            RowData copied = serializer.copy(copy);
            for (int c = 0; c < getters.length; c++) {
                PageRowViewTest.assertSameValue(
                        getters[c].getFieldOrNull(copy), original.getField(c), c);
                PageRowViewTest.assertSameValue(
                        getters[c].getFieldOrNull(copied), original.getField(c), c);
            }
        }
        garbage.forEach(ArrowBuf::close);
    }

    /** A projection in another order, as the SQL lookup produces it: the view's fields. */
    @Test
    void aProjectionHoldsTheViewsFieldsInItsOrder() throws Exception {
        Path path = write(dir, allocator, "projected.arrow", 200, 4096, new HashMap<>(), false);
        int[] columns = {12, 0, 8, 9, 22, 1, 27, 7, 15, 21};
        List<RowType.RowField> fields = new ArrayList<>();
        for (int c : columns) {
            fields.add(TYPE.getFields().get(c));
        }
        RowType projectedType = new RowType(fields);
        PageRowReader projected = new PageRowReader(projectedType, columns);
        RowData.FieldGetter[] all = getters(TYPE);
        RowData.FieldGetter[] picked = getters(projectedType);
        PageRowView view = new PageRowView(TYPE);
        Generation generation = Generation.open(io, path).join();
        for (int p = 0; p < generation.pageCount(); p++) {
            try (Page page = generation.loadPage(p, allocator).join()) {
                for (int row = 0; row < page.rowCount(); row++) {
                    RowData copy = projected.read(page, row);
                    view.point(page, row);
                    for (int i = 0; i < columns.length; i++) {
                        PageRowViewTest.assertSameValue(
                                picked[i].getFieldOrNull(copy),
                                all[columns[i]].getFieldOrNull(view),
                                i);
                    }
                    view.detach();
                }
            }
        }
    }

    /**
     * Writes {@code rows} rows of every column type ({@link RowDataMemtableTest#allTypesRow} with
     * {@link PageRowViewTest#special} and {@link #edges} values) to {@code name} in {@code dir}, in
     * pages of about {@code pageBytes}, and puts each in {@code written} by id. With {@code
     * nullsInFirstHalfOnly}, the rows of the second half of the ids have every field set (a NULL
     * replaced by a value of its column from another row).
     */
    static Path write(
            java.nio.file.Path dir,
            BufferAllocator allocator,
            String name,
            int rows,
            int pageBytes,
            Map<Long, GenericRowData> written,
            boolean nullsInFirstHalfOnly)
            throws Exception {
        Path path = new Path(dir.resolve(name).toUri());
        TableOptions options =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                        .bucketCount(1)
                        .targetPageBytes(pageBytes)
                        .build();
        Random random = new Random(22);
        List<GenericRowData> generated = new ArrayList<>();
        Object[] someValue = new Object[TYPE.getFieldCount()];
        for (long id = 0; id < rows; id++) {
            GenericRowData row =
                    edges(
                            id,
                            PageRowViewTest.special(
                                    id, RowDataMemtableTest.allTypesRow(id, random)));
            generated.add(row);
            for (int c = 0; c < someValue.length; c++) {
                if (someValue[c] == null) {
                    someValue[c] = row.getField(c);
                }
            }
        }
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            for (GenericRowData row : generated) {
                if (nullsInFirstHalfOnly && row.getLong(0) >= rows / 2) {
                    for (int c = 0; c < someValue.length; c++) {
                        if (row.isNullAt(c)) {
                            row.setField(c, someValue[c]);
                        }
                    }
                }
                written.put(row.getLong(0), row);
                memtable.add(row);
            }
            memtable.flush(path);
        }
        return path;
    }

    private static TableOptions options() {
        return TableOptions.builder(
                        FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                .bucketCount(1)
                .build();
    }

    /**
     * The lengths where a binary row's layout changes (7 bytes in the field, 8 and more outside
     * it), long multibyte strings and bytes, and decimals at the edges of their byte lengths.
     */
    private static GenericRowData edges(long id, GenericRowData row) {
        switch ((int) (id % 5)) {
            case 0:
                row.setField(11, StringData.fromString("sevenB7"));
                row.setField(12, StringData.fromString("eight B8"));
                row.setField(14, new byte[] {1, 2, 3, 4, 5, 6, 7});
                row.setField(15, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
                row.setField(8, DecimalData.fromBigDecimal(BigDecimal.ZERO.setScale(10), 38, 10));
                break;
            case 1:
                row.setField(11, StringData.fromString("é"));
                row.setField(12, StringData.fromString("ünïcödé " + "字".repeat((int) id % 40)));
                row.setField(15, new byte[100 + (int) id % 17]);
                row.setField(
                        8,
                        DecimalData.fromBigDecimal(
                                new BigDecimal("9999999999999999999999999999.9999999999"), 38, 10));
                break;
            case 2:
                row.setField(
                        8, DecimalData.fromBigDecimal(new BigDecimal("-0.0000000001"), 38, 10));
                row.setField(9, DecimalData.fromBigDecimal(new BigDecimal("999.99"), 5, 2));
                break;
            case 3:
                // 2^63 and -2^63 - 1 unscaled: the first values past 8 bytes.
                row.setField(
                        8,
                        DecimalData.fromBigDecimal(
                                new BigDecimal(
                                        new java.math.BigInteger(
                                                id % 2 == 0
                                                        ? "9223372036854775808"
                                                        : "-9223372036854775809"),
                                        10),
                                38,
                                10));
                break;
            default:
                break;
        }
        return row;
    }

    static RowData.FieldGetter[] getters(RowType type) {
        RowData.FieldGetter[] getters = new RowData.FieldGetter[type.getFieldCount()];
        for (int c = 0; c < getters.length; c++) {
            getters[c] = RowData.createFieldGetter(type.getTypeAt(c), c);
        }
        return getters;
    }
}
