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

import org.apache.flink.annotation.Experimental;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.conversion.DataStructureConverter;
import org.apache.flink.table.data.conversion.DataStructureConverters;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.flink.types.Row;

import java.io.Serializable;

import static java.util.Objects.requireNonNull;

/**
 * Flink's external {@link Row} to and from the internal {@link RowData} Kiln reads and writes, for
 * DataStream users who would rather not build internal rows ({@code GenericRowData}, {@code
 * StringData}) themselves: the conversions of Flink's table runtime ({@link
 * DataStructureConverters}), with the {@link org.apache.flink.types.RowKind} kept. Internal {@code
 * RowData} stays the fast path.
 */
@Experimental
public final class RowConversion {

    private RowConversion() {}

    /**
     * Returns a converter of {@link Row}s of {@code rowDataType} (a {@code ROW} data type, whose
     * conversion classes say what the fields hold: {@code String}, {@code LocalDateTime}, ...) to
     * the rows a {@link dev.kiln.flink.sink.KilnSink} of {@code (RowType)
     * rowDataType.getLogicalType()} writes.
     *
     * @throws IllegalArgumentException if {@code rowDataType} is not a row type
     */
    public static RowDataConverter<Row> toRowData(DataType rowDataType) {
        return new ToRowData(checkRow(rowDataType));
    }

    /**
     * Returns a converter of the rows of a table of {@code rowType} (what a lookup hands its result
     * function) to {@link Row}s with the default conversion classes of its fields.
     */
    public static ToRow toRow(RowType rowType) {
        return new ToRow(TypeConversions.fromLogicalToDataType(requireNonNull(rowType, "rowType")));
    }

    private static DataType checkRow(DataType rowDataType) {
        requireNonNull(rowDataType, "rowDataType");
        if (rowDataType.getLogicalType().getTypeRoot() != LogicalTypeRoot.ROW) {
            throw new IllegalArgumentException("a ROW data type is needed, but was " + rowDataType);
        }
        return rowDataType;
    }

    /** Internal rows to {@link Row}s. Serializable; one instance is used by one thread. */
    @Experimental
    public static final class ToRow implements Serializable {
        private static final long serialVersionUID = 1L;
        private final Converter converter;

        private ToRow(DataType rowDataType) {
            this.converter = new Converter(rowDataType);
        }

        /** Returns {@code row} as a {@link Row}, or {@code null} for {@code null}. */
        public Row convert(RowData row) {
            return row == null ? null : (Row) converter.get().toExternal(row);
        }
    }

    private static final class ToRowData implements RowDataConverter<Row> {
        private static final long serialVersionUID = 1L;
        private final Converter converter;

        ToRowData(DataType rowDataType) {
            this.converter = new Converter(rowDataType);
        }

        @Override
        public RowData convert(Row row) {
            return (RowData) converter.get().toInternal(row);
        }
    }

    /** Flink's converter of a data type, opened on first use after deserialization. */
    private static final class Converter implements Serializable {
        private static final long serialVersionUID = 1L;
        private final DataType dataType;
        private transient DataStructureConverter<Object, Object> converter;

        Converter(DataType dataType) {
            this.dataType = dataType;
        }

        DataStructureConverter<Object, Object> get() {
            if (converter == null) {
                DataStructureConverter<Object, Object> created =
                        DataStructureConverters.getConverter(dataType);
                created.open(Thread.currentThread().getContextClassLoader());
                converter = created;
            }
            return converter;
        }
    }
}
