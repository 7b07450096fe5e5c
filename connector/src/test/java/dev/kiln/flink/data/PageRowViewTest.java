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
import dev.kiln.format.Page;
import dev.kiln.io.RangeReader;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.runtime.typeutils.RowDataSerializer;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link PageRowView}, the row a result function is handed under object reuse: field for field what
 * {@link PageRowReader}'s copy holds, for every column type, and unreadable once detached.
 */
class PageRowViewTest {

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
     * Every row of a multi-page file of every column type, with NULLs in every nullable column, NaN
     * and -0.0, empty strings and bytes, compact and wide decimals, timestamps of every precision
     * before and after the epoch: each field read through the view, with Flink's own field getters
     * (the typed accessor of its type), equals the copy's and the row written.
     */
    @Test
    void everyFieldOfTheViewEqualsTheCopysAndTheRowWritten() throws Exception {
        Map<Long, GenericRowData> written = new HashMap<>();
        Path path =
                PageRowReaderTest.write(dir, allocator, "view.arrow", 600, 4096, written, false);
        RowData.FieldGetter[] getters = PageRowReaderTest.getters(TYPE);
        PageRowReader copies = new PageRowReader(TYPE);
        PageRowView view = new PageRowView(TYPE);
        RowDataSerializer serializer = new RowDataSerializer(TYPE);
        Generation generation = Generation.open(io, path).join();
        assertThat(generation.pageCount()).isGreaterThan(3);
        int rows = 0;
        int[] nulls = new int[getters.length];
        for (int p = 0; p < generation.pageCount(); p++) {
            try (Page page = generation.loadPage(p, allocator).join()) {
                for (int row = 0; row < page.rowCount(); row++, rows++) {
                    RowData copy = copies.read(page, row);
                    view.point(page, row);
                    assertThat(view.getArity()).isEqualTo(TYPE.getFieldCount());
                    assertThat(view.getRowKind()).isEqualTo(RowKind.INSERT);
                    GenericRowData original = written.get(view.getLong(0));
                    // Flink's own copy of a view (what a user keeping a row calls) as well.
                    RowData kept = serializer.copy(view);
                    for (int c = 0; c < getters.length; c++) {
                        Object fromView = getters[c].getFieldOrNull(view);
                        assertThat(view.isNullAt(c)).isEqualTo(copy.isNullAt(c));
                        assertSameValue(fromView, getters[c].getFieldOrNull(copy), c);
                        assertSameValue(fromView, original.getField(c), c);
                        assertSameValue(getters[c].getFieldOrNull(kept), fromView, c);
                        if (fromView == null) {
                            nulls[c]++;
                        }
                    }
                    view.detach();
                }
            }
        }
        assertThat(rows).isEqualTo(600);
        for (int c = 1; c < nulls.length; c++) {
            assertThat(nulls[c]).as("NULLs in column %d", c).isPositive();
        }
    }

    /** Each read of an object-valued field is a fresh value the caller may keep. */
    @Test
    void valuesReadFromTheViewAreCopiesThatOutliveThePage() throws Exception {
        Path path = new Path(dir.resolve("kept.arrow").toUri());
        TableOptions options =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                        .bucketCount(1)
                        .build();
        GenericRowData row = RowDataMemtableTest.allTypesRow(7, new Random(7));
        row.setField(12, StringData.fromString("kept after the page is closed"));
        row.setField(13, new byte[] {9, 8, 7, 6});
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            memtable.add(row);
            memtable.flush(path);
        }
        PageRowView view = new PageRowView(TYPE);
        StringData string;
        byte[] bytes;
        Generation generation = Generation.open(io, path).join();
        try (Page page = generation.loadPage(0, allocator).join()) {
            view.point(page, 0);
            string = view.getString(12);
            bytes = view.getBinary(13);
            assertThat(view.getString(12)).isNotSameAs(string).isEqualTo(string);
            assertThat(view.getBinary(13)).isNotSameAs(bytes);
            view.detach();
        }
        assertThat(string.toString()).isEqualTo("kept after the page is closed");
        assertThat(bytes).containsExactly(9, 8, 7, 6);
    }

    @Test
    void aDetachedViewRefusesEveryRead() throws Exception {
        Path path = new Path(dir.resolve("detached.arrow").toUri());
        TableOptions options =
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")), List.of("id"))
                        .bucketCount(1)
                        .build();
        try (RowDataMemtable memtable = new RowDataMemtable(TYPE, options, allocator)) {
            memtable.add(RowDataMemtableTest.allTypesRow(1, new Random(1)));
            memtable.flush(path);
        }
        PageRowView view = new PageRowView(TYPE);
        assertThatThrownBy(() -> view.getLong(0)).isInstanceOf(IllegalStateException.class);
        Generation generation = Generation.open(io, path).join();
        try (Page page = generation.loadPage(0, allocator).join()) {
            view.point(page, 0);
            assertThat(view.getLong(0)).isEqualTo(1L);
            view.setRowKind(RowKind.UPDATE_AFTER);
            assertThat(view.getRowKind()).isEqualTo(RowKind.UPDATE_AFTER);
            view.detach();
            // The page is still open here: the view refuses on its own, not through Arrow.
            assertThatThrownBy(() -> view.isNullAt(12))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("copy what you keep");
            assertThatThrownBy(() -> view.getString(12)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> view.getTimestamp(21, 6))
                    .isInstanceOf(IllegalStateException.class);
            view.point(page, 0);
            assertThat(view.getRowKind()).isEqualTo(RowKind.INSERT);
            assertThatThrownBy(() -> view.getArray(1))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> view.equals(view))
                    .isInstanceOf(UnsupportedOperationException.class);
            view.detach();
        }
        assertThat(view.getArity()).isEqualTo(TYPE.getFieldCount());
    }

    /** NaN, -0.0, empty strings and bytes, extreme decimals, on some rows. */
    static GenericRowData special(long id, GenericRowData row) {
        switch ((int) (id % 6)) {
            case 0:
                row.setField(6, Float.NaN);
                row.setField(7, Double.NaN);
                break;
            case 1:
                row.setField(6, -0.0f);
                row.setField(7, -0.0d);
                break;
            case 2:
                row.setField(10, StringData.fromString(""));
                row.setField(11, StringData.fromString(""));
                row.setField(12, StringData.fromString(""));
                row.setField(13, new byte[0]);
                row.setField(14, new byte[0]);
                break;
            case 3:
                row.setField(
                        8,
                        DecimalData.fromBigDecimal(
                                new BigDecimal("-9999999999999999999999999999.9999999999"),
                                38,
                                10));
                row.setField(9, DecimalData.fromBigDecimal(new BigDecimal("-999.99"), 5, 2));
                row.setField(5, Long.MIN_VALUE);
                row.setField(4, Integer.MIN_VALUE);
                break;
            case 4:
                row.setField(22, TimestampData.fromEpochMillis(-1L, 999_999));
                row.setField(25, TimestampData.fromEpochMillis(-1L, 1));
                row.setField(7, Double.NEGATIVE_INFINITY);
                break;
            default:
                break;
        }
        return row;
    }

    static void assertSameValue(Object actual, Object expected, int column) {
        if (expected instanceof byte[] bytes) {
            assertThat(actual).as("column %d", column).isInstanceOf(byte[].class);
            assertThat(Arrays.equals((byte[]) actual, bytes)).as("column %d", column).isTrue();
        } else {
            // Float/Double equals: NaN equals NaN, -0.0 differs from 0.0.
            assertThat(Objects.equals(actual, expected))
                    .as("column %d: %s vs %s", column, actual, expected)
                    .isTrue();
        }
    }
}
