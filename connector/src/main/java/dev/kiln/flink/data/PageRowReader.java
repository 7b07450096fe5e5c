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

import dev.kiln.format.Page;
import dev.kiln.format.RowReader;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.TimestampType;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.types.TimeUnit;

import java.math.BigDecimal;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Reads a found row straight from its page's Arrow vectors into a {@link GenericRowData} of Flink's
 * internal data, one typed accessor per column: the cached-lookup hit path's way to the row handed
 * to the user's function, without {@code getObject} per column, a list of values, or a second
 * conversion ({@link RowDataReader} converts those values; both give equal rows).
 *
 * <p>The row is a compact copy, not a view: strings and binaries are copied out of the page, so the
 * row stays valid after the page is evicted and closed (an async lookup's result is emitted later,
 * on the task thread). That is the contract of {@link RowReader}.
 *
 * <p>Immutable and thread-safe.
 */
@Internal
public final class PageRowReader implements RowReader<RowData> {

    private final int[] columns;
    private final Column[] readers;

    /**
     * Reads all columns of rows of {@code rowType}, which must be the page's columns in order (the
     * table's row type).
     *
     * @throws org.apache.flink.table.api.ValidationException naming the column if a type is not
     *     supported
     */
    public PageRowReader(RowType rowType) {
        this(rowType, identity(rowType.getFieldCount()));
    }

    /**
     * Reads the page's columns at positions {@code columns} into rows of {@code producedType}
     * (field {@code i} from column {@code columns[i]}, whose type it must be).
     *
     * @throws IllegalArgumentException if {@code columns} does not have a position per field
     */
    public PageRowReader(RowType producedType, int[] columns) {
        requireNonNull(producedType, "producedType");
        if (columns.length != producedType.getFieldCount()) {
            throw new IllegalArgumentException(
                    columns.length
                            + " columns for "
                            + producedType.getFieldCount()
                            + " fields of "
                            + producedType.asSummaryString());
        }
        this.columns = columns.clone();
        List<String> names = producedType.getFieldNames();
        this.readers = new Column[columns.length];
        for (int i = 0; i < columns.length; i++) {
            FlinkArrowTypes.arrowType(names.get(i), producedType.getTypeAt(i));
            readers[i] = column(producedType.getTypeAt(i));
        }
    }

    @Override
    public RowData read(Page page, int row) {
        GenericRowData out = new GenericRowData(readers.length);
        for (int i = 0; i < readers.length; i++) {
            FieldVector vector = page.vector(columns[i]);
            if (!vector.isNull(row)) {
                out.setField(i, readers[i].read(vector, row));
            }
        }
        return out;
    }

    /**
     * Reads the non-null value of one row of a vector as Flink's internal value. {@link
     * PageRowView} reads its object-valued fields with the same readers.
     */
    @FunctionalInterface
    interface Column {
        Object read(FieldVector vector, int row);
    }

    static Column column(LogicalType type) {
        switch (type.getTypeRoot()) {
            case BOOLEAN:
                return (v, row) -> (v.getDataBuffer().getByte(row >> 3) >> (row & 7) & 1) != 0;
            case TINYINT:
                return (v, row) -> v.getDataBuffer().getByte(row);
            case SMALLINT:
                return (v, row) -> v.getDataBuffer().getShort((long) row * 2);
            case INTEGER:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE: // TimeMilli: milliseconds of the day, as Flink's TIME
            case INTERVAL_YEAR_MONTH: // IntervalYear: months, as Flink's
                return (v, row) -> v.getDataBuffer().getInt((long) row * 4);
            case BIGINT:
                return (v, row) -> v.getDataBuffer().getLong((long) row * 8);
            case FLOAT:
                return (v, row) -> v.getDataBuffer().getFloat((long) row * 4);
            case DOUBLE:
                return (v, row) -> v.getDataBuffer().getDouble((long) row * 8);
            case INTERVAL_DAY_TIME:
                return (v, row) -> {
                    DurationVector d = (DurationVector) v;
                    return d.getUnit() == TimeUnit.MILLISECOND
                            ? DurationVector.get(d.getDataBuffer(), row)
                            : d.getObject(row).toMillis();
                };
            case DECIMAL:
                return decimal((DecimalType) type);
            case CHAR:
            case VARCHAR:
                return (v, row) -> StringData.fromBytes(((VariableWidthFieldVector) v).get(row));
            case BINARY:
            case VARBINARY:
                return (v, row) -> ((VariableWidthFieldVector) v).get(row);
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return timestamp(
                        FlinkArrowTypes.timestampUnit(((TimestampType) type).getPrecision()));
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return timestamp(
                        FlinkArrowTypes.timestampUnit(
                                ((LocalZonedTimestampType) type).getPrecision()));
            default:
                throw new IllegalStateException("unmapped type " + type);
        }
    }

    private static Column decimal(DecimalType type) {
        int precision = type.getPrecision();
        int scale = type.getScale();
        if (DecimalData.isCompact(precision)) {
            // Little-endian 128-bit two's complement: a value of at most 18 digits is its low
            // 64 bits (the high ones are its sign).
            return (v, row) ->
                    DecimalData.fromUnscaledLong(
                            v.getDataBuffer().getLong((long) row * DecimalVector.TYPE_WIDTH),
                            precision,
                            scale);
        }
        return (v, row) -> {
            BigDecimal value = ((DecimalVector) v).getObject(row);
            return DecimalData.fromBigDecimal(value, precision, scale);
        };
    }

    /** An epoch count in {@code unit}, as {@code ColumnConverter}'s timestamps read it. */
    private static Column timestamp(TimeUnit unit) {
        switch (unit) {
            case MILLISECOND:
                return (v, row) -> TimestampData.fromEpochMillis(epoch(v, row));
            case MICROSECOND:
                return (v, row) -> {
                    long epoch = epoch(v, row);
                    return TimestampData.fromEpochMillis(
                            Math.floorDiv(epoch, 1000L), (int) Math.floorMod(epoch, 1000L) * 1000);
                };
            default:
                return (v, row) -> {
                    long epoch = epoch(v, row);
                    return TimestampData.fromEpochMillis(
                            Math.floorDiv(epoch, 1_000_000L),
                            (int) Math.floorMod(epoch, 1_000_000L));
                };
        }
    }

    private static long epoch(FieldVector vector, int row) {
        ArrowBuf data = vector.getDataBuffer();
        return data.getLong((long) row * 8);
    }

    private static int[] identity(int n) {
        int[] columns = new int[n];
        for (int i = 0; i < n; i++) {
            columns[i] = i;
        }
        return columns;
    }
}
