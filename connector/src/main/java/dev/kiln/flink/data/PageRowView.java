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

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.MapData;
import org.apache.flink.table.data.RawValueData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.TimestampType;
import org.apache.flink.types.RowKind;
import org.apache.flink.types.variant.Variant;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.types.TimeUnit;

import javax.annotation.Nullable;

import java.math.BigDecimal;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A {@link RowData} that reads one row of a page straight from the page's Arrow vectors, without
 * copying the row: the row a lookup function hands its user's result function on a cached hit when
 * Flink's object reuse is enabled. One view is pointed at row after row ({@link #point}); it is
 * valid only between {@link #point} and {@link #detach}, while the caller holds the page (a
 * reference that keeps eviction from releasing its Arrow memory). Detached, every field accessor
 * throws {@link IllegalStateException}: a view kept past its call fails loudly on the thread that
 * pointed it, never reads a released page there.
 *
 * <p>What reading allocates: nothing for {@code BOOLEAN}, the integer types, {@code FLOAT}, {@code
 * DOUBLE}, {@code DATE}, {@code TIME} and the intervals (read from the vector's data buffer). A
 * {@code STRING}/{@code CHAR}/{@code VARCHAR} field read is a {@code BinaryStringData} over a fresh
 * copy of its bytes, a {@code BYTES}/{@code BINARY}/{@code VARBINARY} field a fresh {@code byte[]},
 * a {@code DECIMAL} a {@code DecimalData}, a {@code TIMESTAMP} a {@code TimestampData}: each read
 * of such a field allocates its value, equal to the field of {@link PageRowReader}'s copy, and the
 * value is the caller's to keep: it does not refer to the page. Only the fields read are paid for.
 *
 * <p>Kiln tables hold scalar columns only: {@link #getArray}, {@link #getMap}, {@link #getRow},
 * {@link #getRawValue} and {@link #getVariant} throw {@link UnsupportedOperationException}. Like
 * Flink's own {@code ColumnarRowData}, a view has no value equality ({@link #equals} and {@link
 * #hashCode} throw): compare fields, or a copy ({@code RowDataSerializer#copy}).
 *
 * <p>Not thread-safe: one thread points it and reads it.
 */
@Internal
public final class PageRowView implements RowData {

    private static final String DETACHED =
            "the row of a Kiln lookup was read after the result function that was handed it"
                    + " returned: with object reuse enabled the row is a view of a cached page,"
                    + " valid only during that call; copy what you keep";

    private final int arity;

    /** The reader of each object-valued field, {@code null} for others. */
    private final Column[] objects;

    @Nullable private Page page;
    private int row;
    private RowKind kind = RowKind.INSERT;

    /**
     * A view of rows of {@code rowType}, which must be the page's columns in order (the table's row
     * type).
     *
     * @throws org.apache.flink.table.api.ValidationException naming the column if a type is not
     *     supported
     */
    public PageRowView(RowType rowType) {
        requireNonNull(rowType, "rowType");
        this.arity = rowType.getFieldCount();
        this.objects = new Column[arity];
        List<String> names = rowType.getFieldNames();
        for (int i = 0; i < arity; i++) {
            LogicalType type = rowType.getTypeAt(i);
            FlinkArrowTypes.arrowType(names.get(i), type);
            if (isObjectValued(type.getTypeRoot())) {
                objects[i] = column(type);
            }
        }
    }

    /**
     * Points this view at row {@code row} of {@code page} (a row that is not a tombstone), which
     * the caller holds until it calls {@link #detach}. The row kind is {@link RowKind#INSERT}.
     */
    public void point(Page page, int row) {
        this.page = requireNonNull(page, "page");
        this.row = row;
        this.kind = RowKind.INSERT;
    }

    /** Detaches this view from its page: from now on its fields cannot be read. */
    public void detach() {
        this.page = null;
    }

    private FieldVector vector(int pos) {
        Page held = page;
        if (held == null) {
            throw new IllegalStateException(DETACHED);
        }
        return held.vector(pos);
    }

    @Override
    public int getArity() {
        return arity;
    }

    @Override
    public RowKind getRowKind() {
        return kind;
    }

    @Override
    public void setRowKind(RowKind kind) {
        this.kind = requireNonNull(kind, "kind");
    }

    @Override
    public boolean isNullAt(int pos) {
        return vector(pos).isNull(row);
    }

    @Override
    public boolean getBoolean(int pos) {
        return (vector(pos).getDataBuffer().getByte(row >> 3) >> (row & 7) & 1) != 0;
    }

    @Override
    public byte getByte(int pos) {
        return vector(pos).getDataBuffer().getByte(row);
    }

    @Override
    public short getShort(int pos) {
        return vector(pos).getDataBuffer().getShort((long) row * 2);
    }

    /** {@code INT}, {@code DATE} (days), {@code TIME} (milliseconds of the day), months. */
    @Override
    public int getInt(int pos) {
        return vector(pos).getDataBuffer().getInt((long) row * 4);
    }

    /** {@code BIGINT}, and {@code INTERVAL DAY TO SECOND} in milliseconds. */
    @Override
    public long getLong(int pos) {
        FieldVector vector = vector(pos);
        if (vector instanceof DurationVector duration
                && duration.getUnit() != TimeUnit.MILLISECOND) {
            return duration.getObject(row).toMillis();
        }
        return vector.getDataBuffer().getLong((long) row * 8);
    }

    @Override
    public float getFloat(int pos) {
        return vector(pos).getDataBuffer().getFloat((long) row * 4);
    }

    @Override
    public double getDouble(int pos) {
        return vector(pos).getDataBuffer().getDouble((long) row * 8);
    }

    /** A {@code BinaryStringData} over a copy of the field's bytes; {@code null} if it is null. */
    @Override
    public StringData getString(int pos) {
        return (StringData) object(pos);
    }

    @Override
    public DecimalData getDecimal(int pos, int precision, int scale) {
        return (DecimalData) object(pos);
    }

    @Override
    public TimestampData getTimestamp(int pos, int precision) {
        return (TimestampData) object(pos);
    }

    /** A copy of the field's bytes; {@code null} if it is null. */
    @Override
    public byte[] getBinary(int pos) {
        return (byte[]) object(pos);
    }

    @Nullable
    private Object object(int pos) {
        FieldVector vector = vector(pos);
        Column reader = objects[pos];
        if (reader == null) {
            throw new IllegalArgumentException("field " + pos + " is not of an object type");
        }
        return vector.isNull(row) ? null : reader.read(vector, row);
    }

    @Override
    public <T> RawValueData<T> getRawValue(int pos) {
        throw notScalar("RAW");
    }

    @Override
    public ArrayData getArray(int pos) {
        throw notScalar("ARRAY");
    }

    @Override
    public MapData getMap(int pos) {
        throw notScalar("MAP");
    }

    @Override
    public RowData getRow(int pos, int numFields) {
        throw notScalar("ROW");
    }

    @Override
    public Variant getVariant(int pos) {
        throw notScalar("VARIANT");
    }

    private static UnsupportedOperationException notScalar(String type) {
        return new UnsupportedOperationException("a Kiln table has no " + type + " columns");
    }

    /** Throws: a view has no value equality (as Flink's {@code ColumnarRowData}). */
    @Override
    public boolean equals(Object o) {
        throw new UnsupportedOperationException(
                "a Kiln row view has no equality: compare its fields, or copy it");
    }

    /** Throws: a view has no value equality (as Flink's {@code ColumnarRowData}). */
    @Override
    public int hashCode() {
        throw new UnsupportedOperationException(
                "a Kiln row view has no hash code: hash its fields, or copy it");
    }

    @Override
    public String toString() {
        return page == null
                ? "PageRowView{detached}"
                : "PageRowView{row " + row + " of " + page + "}";
    }

    /** Reads the non-null value of one row of a vector as Flink's internal value. */
    @FunctionalInterface
    private interface Column {
        Object read(FieldVector vector, int row);
    }

    private static Column column(LogicalType type) {
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

    private static boolean isObjectValued(LogicalTypeRoot root) {
        switch (root) {
            case CHAR:
            case VARCHAR:
            case BINARY:
            case VARBINARY:
            case DECIMAL:
            case TIMESTAMP_WITHOUT_TIME_ZONE:
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return true;
            default:
                return false;
        }
    }
}
