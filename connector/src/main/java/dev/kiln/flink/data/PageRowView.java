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
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.types.variant.Variant;

import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.TimeUnit;

import javax.annotation.Nullable;

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
 * of such a field allocates its value, equal to {@link PageRowReader}'s (the same readers), and the
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

    /**
     * The reader of each object-valued field ({@link PageRowReader}'s), {@code null} for others.
     */
    private final PageRowReader.Column[] objects;

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
        this.objects = new PageRowReader.Column[arity];
        List<String> names = rowType.getFieldNames();
        for (int i = 0; i < arity; i++) {
            LogicalType type = rowType.getTypeAt(i);
            FlinkArrowTypes.arrowType(names.get(i), type);
            if (isObjectValued(type.getTypeRoot())) {
                objects[i] = PageRowReader.column(type);
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
        PageRowReader.Column reader = objects[pos];
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
