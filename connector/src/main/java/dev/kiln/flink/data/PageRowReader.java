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
import org.apache.flink.core.memory.MemorySegment;
import org.apache.flink.core.memory.MemorySegmentFactory;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.binary.BinaryRowData;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LocalZonedTimestampType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.TimestampType;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.util.MemoryUtil;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.DurationVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.TimeUnit;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Reads a found row straight from its page's Arrow vectors into a {@link BinaryRowData}, Flink's
 * own binary row, written in one piece: the cached-lookup hit path's way to the row a lookup hands
 * on when it hands a copy (object reuse off, {@code build()}, the SQL lookup join). A row is its
 * fixed-length part (null bits, then 8 bytes per field) and its variable-length part (strings and
 * binaries longer than 7 bytes, decimals of more than 18 digits, timestamps of a precision above
 * 3), laid out as Flink's {@code BinaryRowWriter} lays them out: the row has the same bytes as
 * {@code RowDataSerializer#toBinaryRow} of the same values, and Flink's serializers copy and
 * serialize it as one memory copy. Strings and binaries are copied from the page's data buffer into
 * the row without a {@code byte[]} or a {@code StringData} of their own; floating-point numbers
 * keep their bits (NaN, -0.0). {@link RowDataReader} gives a {@code GenericRowData} of the same
 * values from a row's value list.
 *
 * <p>The row is a copy, not a view: it refers to nothing of the page, so it stays valid after the
 * page is evicted and closed (an async lookup's result is emitted later, on the task thread), and
 * nothing ever writes its bytes again. That is the contract of {@link RowReader}. Its row kind is
 * {@code INSERT}. Each row has an exactly sized array of its own, as a row Flink's serializers
 * deserialize does: a row the user keeps holds its own bytes and nothing more.
 *
 * <p>Immutable and thread-safe.
 */
@Internal
public final class PageRowReader implements RowReader<RowData> {

    /** How a field is written; one per field, read by {@link #read}'s switch. */
    private static final int BOOLEAN = 0;

    private static final int BYTE = 1;
    private static final int SHORT = 2;
    private static final int INT = 3;
    private static final int LONG = 4;
    private static final int DURATION = 5;
    private static final int COMPACT_DECIMAL = 6;
    private static final int DECIMAL = 7;
    private static final int TIMESTAMP_MICROS = 8;
    private static final int TIMESTAMP_NANOS = 9;
    private static final int BYTES = 10;

    /** Bytes of the variable-length part a wide decimal takes, as {@code BinaryRowWriter}'s. */
    private static final int DECIMAL_BYTES = 16;

    /** The most bytes a string or binary keeps in its field's 8 bytes. */
    private static final int MAX_INLINE_BYTES = 7;

    /** Where in a field's 8 bytes an inline string's length mark is, and its bytes start. */
    private static final int INLINE_MARK_AT = BinaryRowData.LITTLE_ENDIAN ? 7 : 0;

    private static final int INLINE_DATA_AT = BinaryRowData.LITTLE_ENDIAN ? 0 : 1;

    private final int[] columns;
    private final int[] kinds;
    private final int nullBitsBytes;
    private final int fixedBytes;

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
        this.kinds = new int[columns.length];
        for (int i = 0; i < columns.length; i++) {
            FlinkArrowTypes.arrowType(names.get(i), producedType.getTypeAt(i));
            kinds[i] = kind(producedType.getTypeAt(i));
        }
        this.nullBitsBytes = BinaryRowData.calculateBitSetWidthInBytes(columns.length);
        this.fixedBytes = BinaryRowData.calculateFixPartSizeInBytes(columns.length);
    }

    @Override
    public RowData read(Page page, int row) {
        int arity = kinds.length;
        int size = fixedBytes;
        for (int i = 0; i < arity; i++) {
            size += variableBytes(kinds[i], page, columns[i], row);
        }
        byte[] bytes = new byte[size];
        MemorySegment segment = MemorySegmentFactory.wrap(bytes);
        int cursor = fixedBytes;
        for (int i = 0; i < arity; i++) {
            FieldVector vector = page.vector(columns[i]);
            int at = nullBitsBytes + i * 8;
            if (isNull(page, columns[i], row)) {
                int bit = i + BinaryRowData.HEADER_SIZE_IN_BITS;
                bytes[bit >>> 3] |= (byte) (1 << (bit & 7));
                continue;
            }
            ArrowBuf data = vector.getDataBuffer();
            switch (kinds[i]) {
                case BOOLEAN:
                    bytes[at] = (byte) (getByte(data, row >> 3) >> (row & 7) & 1);
                    break;
                case BYTE:
                    bytes[at] = getByte(data, row);
                    break;
                case SHORT:
                    segment.putShort(at, getShort(data, (long) row * 2));
                    break;
                case INT:
                    segment.putInt(at, getInt(data, (long) row * 4));
                    break;
                case LONG:
                    segment.putLong(at, getLong(data, (long) row * 8));
                    break;
                case DURATION:
                    segment.putLong(at, durationMillis((DurationVector) vector, row));
                    break;
                case COMPACT_DECIMAL:
                    // Little-endian 128-bit two's complement: a value of at most 18 digits is its
                    // low 64 bits (the high ones are its sign).
                    segment.putLong(at, getLong(data, (long) row * DecimalVector.TYPE_WIDTH));
                    break;
                case DECIMAL:
                    cursor = writeDecimal(data, row, segment, at, cursor);
                    break;
                case TIMESTAMP_MICROS:
                    cursor =
                            writeTimestamp(
                                    getLong(data, (long) row * 8), 1_000L, segment, at, cursor);
                    break;
                case TIMESTAMP_NANOS:
                    cursor =
                            writeTimestamp(
                                    getLong(data, (long) row * 8), 1_000_000L, segment, at, cursor);
                    break;
                default:
                    cursor = writeBytes(vector, data, row, bytes, segment, at, cursor);
                    break;
            }
        }
        BinaryRowData out = new BinaryRowData(arity);
        out.pointTo(segment, 0, size);
        return out;
    }

    /**
     * Whether column {@code column} of {@code row} is null: its validity bit read only if the page
     * has a null in the column ({@link Page#nullFree}), as the bits are a cache line of their own.
     */
    private static boolean isNull(Page page, int column, int row) {
        return !page.nullFree(column) && page.vector(column).isNull(row);
    }

    /** Bytes field {@code kind} of {@code row} takes in the variable-length part. */
    private static int variableBytes(int kind, Page page, int column, int row) {
        switch (kind) {
            case DECIMAL:
                return isNull(page, column, row) ? 0 : DECIMAL_BYTES;
            case TIMESTAMP_MICROS:
            case TIMESTAMP_NANOS:
                return isNull(page, column, row) ? 0 : 8;
            case BYTES:
                if (isNull(page, column, row)) {
                    return 0;
                }
                ArrowBuf offsets = page.vector(column).getOffsetBuffer();
                int length =
                        getInt(offsets, (long) (row + 1) * 4) - getInt(offsets, (long) row * 4);
                return length <= MAX_INLINE_BYTES ? 0 : roundUpToWord(length);
            default:
                return 0;
        }
    }

    /**
     * A string or binary: up to 7 bytes in the field itself (its length marked in the field's last
     * byte, as {@code BinaryRowWriter} marks it), longer ones at {@code cursor} (padded to a word)
     * with their offset and length in the field.
     */
    private static int writeBytes(
            FieldVector vector,
            ArrowBuf data,
            int row,
            byte[] bytes,
            MemorySegment segment,
            int at,
            int cursor) {
        ArrowBuf offsets = vector.getOffsetBuffer();
        int start = getInt(offsets, (long) row * 4);
        int length = getInt(offsets, (long) (row + 1) * 4) - start;
        if (length <= MAX_INLINE_BYTES) {
            getBytes(data, start, bytes, at + INLINE_DATA_AT, length);
            bytes[at + INLINE_MARK_AT] = (byte) (0x80 | length);
            return cursor;
        }
        getBytes(data, start, bytes, cursor, length);
        segment.putLong(at, ((long) cursor << 32) | length);
        return cursor + roundUpToWord(length);
    }

    /**
     * A decimal of more than 18 digits: its unscaled value's minimal big-endian two's complement
     * ({@code BigInteger#toByteArray}, what {@code DecimalData#toUnscaledBytes} gives) at {@code
     * cursor}, in 16 reserved bytes, with its offset and length in the field.
     */
    private static int writeDecimal(
            ArrowBuf data, int row, MemorySegment segment, int at, int cursor) {
        long low = getLong(data, (long) row * DecimalVector.TYPE_WIDTH);
        long high = getLong(data, (long) row * DecimalVector.TYPE_WIDTH + 8);
        int bits =
                high == (low >> 63)
                        ? 64 - Long.numberOfLeadingZeros(low < 0 ? ~low : low)
                        : 128 - Long.numberOfLeadingZeros(high < 0 ? ~high : high);
        int length = bits / 8 + 1;
        for (int b = 0; b < length; b++) {
            int shift = (length - 1 - b) * 8;
            long word = shift < 64 ? low >>> shift : high >>> (shift - 64);
            segment.put(cursor + b, (byte) word);
        }
        segment.putLong(at, ((long) cursor << 32) | length);
        return cursor + DECIMAL_BYTES;
    }

    /**
     * A timestamp of a precision above 3 from its epoch count in {@code perMilli} units per
     * millisecond: its epoch milliseconds at {@code cursor}, and in the field that offset with its
     * nanoseconds of the millisecond, as {@code BinaryRowWriter#writeTimestamp}.
     */
    private static int writeTimestamp(
            long epoch, long perMilli, MemorySegment segment, int at, int cursor) {
        long nanosPerUnit = 1_000_000L / perMilli;
        segment.putLong(cursor, Math.floorDiv(epoch, perMilli));
        segment.putLong(at, ((long) cursor << 32) | Math.floorMod(epoch, perMilli) * nanosPerUnit);
        return cursor + 8;
    }

    private static long durationMillis(DurationVector vector, int row) {
        return vector.getUnit() == TimeUnit.MILLISECOND
                ? DurationVector.get(vector.getDataBuffer(), row)
                : vector.getObject(row).toMillis();
    }

    private static int kind(LogicalType type) {
        switch (type.getTypeRoot()) {
            case BOOLEAN:
                return BOOLEAN;
            case TINYINT:
                return BYTE;
            case SMALLINT:
                return SHORT;
            case INTEGER:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE: // TimeMilli: milliseconds of the day, as Flink's TIME
            case INTERVAL_YEAR_MONTH: // IntervalYear: months, as Flink's
            case FLOAT: // its bits, as BinaryRowData keeps them
                return INT;
            case BIGINT:
            case DOUBLE: // its bits
                return LONG;
            case INTERVAL_DAY_TIME:
                return DURATION;
            case DECIMAL:
                return DecimalData.isCompact(((DecimalType) type).getPrecision())
                        ? COMPACT_DECIMAL
                        : DECIMAL;
            case CHAR:
            case VARCHAR:
            case BINARY:
            case VARBINARY:
                return BYTES;
            case TIMESTAMP_WITHOUT_TIME_ZONE:
                return timestamp(((TimestampType) type).getPrecision());
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
                return timestamp(((LocalZonedTimestampType) type).getPrecision());
            default:
                throw new IllegalStateException("unmapped type " + type);
        }
    }

    /** An epoch count in the unit {@link FlinkArrowTypes#timestampUnit} gives the precision. */
    private static int timestamp(int precision) {
        switch (FlinkArrowTypes.timestampUnit(precision)) {
            case MILLISECOND: // compact: its epoch milliseconds in the field
                return LONG;
            case MICROSECOND:
                return TIMESTAMP_MICROS;
            default:
                return TIMESTAMP_NANOS;
        }
    }

    // The page's buffers read straight from memory where the read is within the buffer (a closed
    // buffer's capacity is 0), else through ArrowBuf's checks, which also read the buffer's
    // reference count: on a lookup hit, a cache line of its own.

    private static byte getByte(ArrowBuf buf, long index) {
        return index >= 0 && index + 1 <= buf.capacity()
                ? MemoryUtil.getByte(buf.memoryAddress() + index)
                : buf.getByte(index);
    }

    private static short getShort(ArrowBuf buf, long index) {
        return index >= 0 && index + 2 <= buf.capacity()
                ? MemoryUtil.getShort(buf.memoryAddress() + index)
                : buf.getShort(index);
    }

    private static int getInt(ArrowBuf buf, long index) {
        return index >= 0 && index + 4 <= buf.capacity()
                ? MemoryUtil.getInt(buf.memoryAddress() + index)
                : buf.getInt(index);
    }

    private static long getLong(ArrowBuf buf, long index) {
        return index >= 0 && index + 8 <= buf.capacity()
                ? MemoryUtil.getLong(buf.memoryAddress() + index)
                : buf.getLong(index);
    }

    private static void getBytes(ArrowBuf buf, long index, byte[] into, int at, int length) {
        if (index >= 0 && length >= 0 && index + length <= buf.capacity()) {
            MemoryUtil.copyFromMemory(buf.memoryAddress() + index, into, at, length);
        } else {
            buf.getBytes(index, into, at, length);
        }
    }

    private static int roundUpToWord(int bytes) {
        return (bytes + 7) & ~7;
    }

    private static int[] identity(int n) {
        int[] columns = new int[n];
        for (int i = 0; i < n; i++) {
            columns[i] = i;
        }
        return columns;
    }
}
