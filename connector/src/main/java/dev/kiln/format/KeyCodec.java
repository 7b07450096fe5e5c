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

import org.apache.flink.annotation.Internal;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VariableWidthFieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

// Over ~600 lines for one concept: the order-preserving key encoding. Its per-type column codecs
// are small nested classes that only make sense beside the byte layout this javadoc specifies,
// and half of the file is that specification; splitting them out would scatter one format.

/**
 * The one byte encoding of primary keys: order-preserving ("memcomparable"), so that comparing
 * encoded keys as unsigned bytes ({@link #compare}) orders them as the key columns' values, column
 * by column. Generations sort and index rows by these bytes, and the table layer uses the same
 * bytes for the bucket of a key ({@link #bucket}) and the key range of a generation.
 *
 * <p>Encoding per key column, concatenated in key-column order:
 *
 * <ul>
 *   <li>signed integers (8/16/32/64-bit), dates, times, timestamps (any unit, with or without time
 *       zone), durations: the raw integer in big-endian order with its sign bit flipped, in the
 *       type's width;
 *   <li>unsigned integers: big-endian in the type's width;
 *   <li>booleans: one byte, 0 or 1;
 *   <li>decimals (128 and 256 bits): the unscaled value at the column's scale as big-endian two's
 *       complement in 16 or 32 bytes with the sign bit flipped;
 *   <li>strings and binary (also large): the bytes (UTF-8 for strings, so strings order by code
 *       point) with each {@code 0x00} written as {@code 0x00 0xFF}, then the terminator {@code 0x00
 *       0x01}; this keeps the encoding prefix-free, so a shorter value sorts first whatever follows
 *       it;
 *   <li>fixed-size binary: the bytes as they are.
 * </ul>
 *
 * <p>Floating-point, nested and other types cannot be key columns. Keys never hold {@code null}:
 * encoding one throws {@link NullKeyException} naming the column.
 *
 * <p>Java values accepted by {@link #encode(Object...)}, by key column type: integers: {@code
 * Byte}, {@code Short}, {@code Integer}, {@code Long} (range-checked); boolean: {@code Boolean};
 * date (day): {@code Integer} epoch days or {@code LocalDate}; date (millisecond): {@code Long}
 * epoch millis, {@code LocalDate} or {@code LocalDateTime} (UTC); time: {@code Integer}/{@code
 * Long} in the column's unit or {@code LocalTime}; timestamp: {@code Long} in the column's unit,
 * {@code Instant}, or {@code LocalDateTime} (read as UTC, as Arrow stores zone-less timestamps);
 * duration: {@code Long} in the column's unit or {@code java.time.Duration}; decimal: {@code
 * BigDecimal} (rescaled exactly to the column's scale); string: {@code CharSequence}, Arrow {@code
 * Text} or {@code byte[]} UTF-8; binary: {@code byte[]} or {@code ByteBuffer}. Unsigned integers
 * take non-negative Java integers. For every other supported type the values Arrow vectors return
 * from {@code getObject} are accepted and encode as the row they came from.
 *
 * <p>Instances are immutable and thread-safe.
 */
@Internal
public final class KeyCodec {

    /** Seed of {@link #hash64}; fixed forever, because buckets are derived from it. */
    private static final long HASH_SEED = 0L;

    private static final byte ESCAPE = (byte) 0xFF;
    private static final byte TERMINATOR = 0x01;

    private final List<String> columns;
    private final int[] fieldIndexes;
    private final ColumnCodec[] codecs;

    private KeyCodec(List<String> columns, int[] fieldIndexes, ColumnCodec[] codecs) {
        this.columns = columns;
        this.fieldIndexes = fieldIndexes;
        this.codecs = codecs;
    }

    /**
     * Returns the codec of the key {@code keyColumns} of rows of {@code schema}.
     *
     * @throws IllegalArgumentException if {@code keyColumns} is empty, names a column twice, names
     *     a column that {@code schema} lacks, or names a column whose type cannot be a key (the
     *     message names the column)
     */
    public static KeyCodec of(Schema schema, List<String> keyColumns) {
        requireNonNull(schema, "schema");
        requireNonNull(keyColumns, "keyColumns");
        if (keyColumns.isEmpty()) {
            throw new IllegalArgumentException("keyColumns must name at least one column");
        }
        List<Field> fields = schema.getFields();
        Set<String> seen = new HashSet<>();
        int[] indexes = new int[keyColumns.size()];
        ColumnCodec[] codecs = new ColumnCodec[keyColumns.size()];
        for (int k = 0; k < keyColumns.size(); k++) {
            String name = requireNonNull(keyColumns.get(k), "keyColumns must not contain null");
            if (!seen.add(name)) {
                throw new IllegalArgumentException("key column '" + name + "' is named twice");
            }
            int index = -1;
            for (int f = 0; f < fields.size(); f++) {
                if (fields.get(f).getName().equals(name)) {
                    index = f;
                    break;
                }
            }
            if (index < 0) {
                throw new IllegalArgumentException(
                        "key column '" + name + "' is not a column of the schema " + schema);
            }
            indexes[k] = index;
            codecs[k] = codecFor(name, fields.get(index).getType());
        }
        return new KeyCodec(List.copyOf(keyColumns), indexes, codecs);
    }

    /** Returns the names of the key columns, in key order. */
    public List<String> keyColumns() {
        return columns;
    }

    /**
     * Encodes a key given as one Java value per key column, in key order.
     *
     * @throws NullKeyException if a value is {@code null}
     * @throws IllegalArgumentException if the number of values is not the number of key columns, or
     *     a value's class or range does not fit its column (the message names the column)
     */
    public byte[] encode(Object... values) {
        requireNonNull(values, "values");
        if (values.length != codecs.length) {
            throw new IllegalArgumentException(
                    "expected "
                            + codecs.length
                            + " key values for "
                            + columns
                            + ", but got "
                            + values.length);
        }
        Out out = new Out();
        for (int k = 0; k < codecs.length; k++) {
            Object value = values[k];
            if (value == null) {
                throw new NullKeyException(columns.get(k), "in the given key");
            }
            try {
                codecs[k].encodeValue(value, out);
            } catch (ClassCastException | ArithmeticException e) {
                throw new IllegalArgumentException(
                        "key column '"
                                + columns.get(k)
                                + "' cannot hold "
                                + value.getClass().getName()
                                + " value "
                                + value
                                + ": "
                                + e.getMessage(),
                        e);
            }
        }
        return out.toByteArray();
    }

    /**
     * Whether {@link #encodeLong} applies: the key is one column stored as an integer (integers,
     * dates, times, timestamps, durations).
     */
    public boolean isSingleIntegerKey() {
        return codecs.length == 1 && codecs[0] instanceof IntegerCodec;
    }

    /**
     * Encodes a key of one integer-stored column ({@link #isSingleIntegerKey}) given as its raw
     * value in the column's unit, without boxing: the bytes {@link #encode(Object...)} gives for
     * the same value as a {@code Long} (as an {@code Integer} for 32-bit dates and times).
     *
     * @throws IllegalStateException if the key is not a single integer-stored column
     * @throws IllegalArgumentException if {@code value} does not fit the column's width
     */
    public byte[] encodeLong(long value) {
        if (!isSingleIntegerKey()) {
            throw new IllegalStateException("key " + columns + " is not one integer column");
        }
        IntegerCodec codec = (IntegerCodec) codecs[0];
        int width = codec.width;
        if (width < 8) {
            long min = codec.signFlip != 0 ? -(1L << (width * 8 - 1)) : 0;
            long max = codec.signFlip != 0 ? (1L << (width * 8 - 1)) - 1 : (1L << (width * 8)) - 1;
            if (value < min || value > max) {
                throw new IllegalArgumentException(
                        "key column '"
                                + columns.get(0)
                                + "' cannot hold "
                                + value
                                + ": out of range ["
                                + min
                                + ", "
                                + max
                                + "]");
            }
        }
        long flipped = value ^ codec.signFlip;
        byte[] out = new byte[width];
        for (int i = 0; i < width; i++) {
            out[i] = (byte) (flipped >>> ((width - 1 - i) * 8));
        }
        return out;
    }

    /**
     * Encodes the key of row {@code row} of {@code root}, whose schema starts with the fields of
     * the schema this codec was made for (further fields may follow).
     *
     * @throws NullKeyException if a key column is null in that row
     * @throws IllegalArgumentException if {@code root} lacks a key column at its position
     * @throws IndexOutOfBoundsException if {@code row} is not a row of {@code root}
     */
    public byte[] encode(VectorSchemaRoot root, int row) {
        Out out = new Out();
        encodeInto(root, row, out);
        return out.toByteArray();
    }

    void encodeInto(VectorSchemaRoot root, int row, Out out) {
        if (row < 0 || row >= root.getRowCount()) {
            throw new IndexOutOfBoundsException(
                    "row " + row + " of a root of " + root.getRowCount() + " rows");
        }
        for (int k = 0; k < codecs.length; k++) {
            FieldVector vector = vector(root, k);
            if (vector.isNull(row)) {
                throw new NullKeyException(columns.get(k), "in row " + row);
            }
            codecs[k].encodeRow(vector, row, out);
        }
    }

    /**
     * Returns the key columns of {@code root}, resolved once for {@link #compareRow}.
     *
     * @throws IllegalArgumentException if {@code root} lacks a key column at its position
     */
    FieldVector[] keyVectors(VectorSchemaRoot root) {
        FieldVector[] vectors = new FieldVector[codecs.length];
        for (int k = 0; k < codecs.length; k++) {
            vectors[k] = vector(root, k);
        }
        return vectors;
    }

    /**
     * Compares the encoded key of {@code row} of the key columns {@code keyVectors} with encoded
     * {@code key}, as {@link #compare} would compare {@code encode(root, row)} with it, encoding
     * into {@code scratch} (reset first) instead of a new array.
     */
    int compareRow(FieldVector[] keyVectors, int row, byte[] key, Out scratch) {
        scratch.size = 0;
        for (int k = 0; k < codecs.length; k++) {
            if (keyVectors[k].isNull(row)) {
                throw new NullKeyException(columns.get(k), "in row " + row);
            }
            codecs[k].encodeRow(keyVectors[k], row, scratch);
        }
        return Arrays.compareUnsigned(scratch.bytes, 0, scratch.size, key, 0, key.length);
    }

    private FieldVector vector(VectorSchemaRoot root, int k) {
        int index = fieldIndexes[k];
        List<FieldVector> vectors = root.getFieldVectors();
        if (index >= vectors.size() || !vectors.get(index).getName().equals(columns.get(k))) {
            throw new IllegalArgumentException(
                    "root has no key column '" + columns.get(k) + "' at position " + index);
        }
        return vectors.get(index);
    }

    /** Compares two encoded keys as unsigned bytes: the order of the keys they encode. */
    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /**
     * Returns a stable 64-bit hash of an encoded key: XXH64 with seed 0. It never changes between
     * versions, as buckets are derived from it.
     */
    public static long hash64(byte[] encodedKey) {
        return XxHash64.hash(encodedKey, HASH_SEED);
    }

    /**
     * Returns the bucket of an encoded key among {@code bucketCount} buckets: {@code
     * floorMod(hash64(key), bucketCount)}.
     *
     * @throws IllegalArgumentException if {@code bucketCount} is not positive
     */
    public static int bucket(byte[] encodedKey, int bucketCount) {
        if (bucketCount <= 0) {
            throw new IllegalArgumentException(
                    "bucketCount must be positive, but was " + bucketCount);
        }
        return (int) Math.floorMod(hash64(encodedKey), (long) bucketCount);
    }

    @Override
    public String toString() {
        return "KeyCodec" + columns;
    }

    // ---------------------------------------------------------------------------------------

    private static ColumnCodec codecFor(String column, ArrowType type) {
        switch (type.getTypeID()) {
            case Int:
                {
                    ArrowType.Int t = (ArrowType.Int) type;
                    if (!GenerationFormat.isIntWidth(t.getBitWidth())) {
                        throw invalidType(column, type);
                    }
                    int width = t.getBitWidth() / 8;
                    return new IntegerCodec(width, t.getIsSigned(), v -> integer(v, width, t));
                }
            case Bool:
                return new BoolCodec();
            case Date:
                return ((ArrowType.Date) type).getUnit() == DateUnit.DAY
                        ? new IntegerCodec(4, true, KeyCodec::epochDay)
                        : new IntegerCodec(8, true, KeyCodec::epochMilliDate);
            case Time:
                {
                    ArrowType.Time t = (ArrowType.Time) type;
                    if (!GenerationFormat.isTimeWidth(t)) {
                        throw invalidType(column, type);
                    }
                    return new IntegerCodec(
                            t.getBitWidth() / 8, true, v -> timeOfDay(v, t.getUnit()));
                }
            case Timestamp:
                {
                    TimeUnit unit = ((ArrowType.Timestamp) type).getUnit();
                    return new IntegerCodec(8, true, v -> timestamp(v, unit));
                }
            case Duration:
                {
                    TimeUnit unit = ((ArrowType.Duration) type).getUnit();
                    return new IntegerCodec(8, true, v -> duration(v, unit));
                }
            case Decimal:
                {
                    ArrowType.Decimal t = (ArrowType.Decimal) type;
                    if (t.getBitWidth() != 128 && t.getBitWidth() != 256) {
                        throw invalidType(column, type);
                    }
                    return new DecimalCodec(t.getPrecision(), t.getScale(), t.getBitWidth() / 8);
                }
            case Utf8:
            case LargeUtf8:
                return new VariableCodec(true);
            case Binary:
            case LargeBinary:
                return new VariableCodec(false);
            case FixedSizeBinary:
                {
                    int width = ((ArrowType.FixedSizeBinary) type).getByteWidth();
                    if (width <= 0) {
                        throw invalidType(column, type);
                    }
                    return new FixedBinaryCodec(width);
                }
            default:
                throw new IllegalArgumentException(
                        "key column '"
                                + column
                                + "' has type "
                                + type
                                + ", which cannot be a key (supported: integers, boolean,"
                                + " date, time, timestamp, duration, decimal, string, binary)");
        }
    }

    private static IllegalArgumentException invalidType(String column, ArrowType type) {
        return new IllegalArgumentException(
                "key column '" + column + "' has type " + type + ", whose width is not valid");
    }

    private static long integer(Object v, int width, ArrowType.Int type) {
        if (!(v instanceof Byte
                || v instanceof Short
                || v instanceof Integer
                || v instanceof Long)) {
            throw new ClassCastException("expected an integral Number for " + type);
        }
        long x = ((Number) v).longValue();
        if (width < 8) {
            long min = type.getIsSigned() ? -(1L << (width * 8 - 1)) : 0;
            long max = type.getIsSigned() ? (1L << (width * 8 - 1)) - 1 : (1L << (width * 8)) - 1;
            if (x < min || x > max) {
                throw new ArithmeticException("out of range [" + min + ", " + max + "]");
            }
        }
        return x;
    }

    private static long epochDay(Object v) {
        if (v instanceof LocalDate) {
            return ((LocalDate) v).toEpochDay();
        }
        return (Integer) v;
    }

    private static long epochMilliDate(Object v) {
        if (v instanceof LocalDate) {
            return Math.multiplyExact(((LocalDate) v).toEpochDay(), 86_400_000L);
        }
        if (v instanceof LocalDateTime) {
            return ((LocalDateTime) v).toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        return (Long) v;
    }

    private static long timeOfDay(Object v, TimeUnit unit) {
        if (v instanceof LocalTime) {
            long nanos = ((LocalTime) v).toNanoOfDay();
            return nanos / nanosPer(unit);
        }
        if (v instanceof LocalDateTime) { // TimeMilliVector.getObject returns one
            long nanos = ((LocalDateTime) v).toLocalTime().toNanoOfDay();
            return nanos / nanosPer(unit);
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new ClassCastException("expected LocalTime, Integer or Long for time");
    }

    private static long timestamp(Object v, TimeUnit unit) {
        Instant instant;
        if (v instanceof Long) {
            return (Long) v;
        } else if (v instanceof Instant) {
            instant = (Instant) v;
        } else if (v instanceof LocalDateTime) {
            instant = ((LocalDateTime) v).toInstant(ZoneOffset.UTC);
        } else {
            throw new ClassCastException("expected Long, Instant or LocalDateTime for timestamp");
        }
        long perSecond = 1_000_000_000L / nanosPer(unit);
        long seconds = Math.multiplyExact(instant.getEpochSecond(), perSecond);
        return Math.addExact(seconds, instant.getNano() / nanosPer(unit));
    }

    private static long duration(Object v, TimeUnit unit) {
        if (v instanceof java.time.Duration) {
            java.time.Duration d = (java.time.Duration) v;
            long perSecond = 1_000_000_000L / nanosPer(unit);
            return Math.addExact(
                    Math.multiplyExact(d.getSeconds(), perSecond), d.getNano() / nanosPer(unit));
        }
        return (Long) v;
    }

    private static long nanosPer(TimeUnit unit) {
        switch (unit) {
            case SECOND:
                return 1_000_000_000L;
            case MILLISECOND:
                return 1_000_000L;
            case MICROSECOND:
                return 1_000L;
            default:
                return 1L;
        }
    }

    /** A growable byte buffer for one encoded key. */
    static final class Out {
        private byte[] bytes = new byte[32];
        private int size;

        void write(int b) {
            if (size == bytes.length) {
                bytes = Arrays.copyOf(bytes, size * 2);
            }
            bytes[size++] = (byte) b;
        }

        void writeBigEndian(long value, int width) {
            for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
                write((int) (value >>> shift));
            }
        }

        void writeEscaped(byte[] b, int from, int length) {
            for (int i = from; i < from + length; i++) {
                write(b[i]);
                if (b[i] == 0) {
                    write(ESCAPE);
                }
            }
            write(0);
            write(TERMINATOR);
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }

    private interface ColumnCodec {
        void encodeValue(Object value, Out out);

        void encodeRow(FieldVector vector, int row, Out out);
    }

    /** Integers and every type stored as one: dates, times, timestamps, durations. */
    private static final class IntegerCodec implements ColumnCodec {
        private final int width;
        private final long signFlip;
        private final ToLongFunction<Object> toLong;

        IntegerCodec(int width, boolean signed, ToLongFunction<Object> toLong) {
            this.width = width;
            this.signFlip = signed ? 1L << (width * 8 - 1) : 0;
            this.toLong = toLong;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            out.writeBigEndian(toLong.applyAsLong(value) ^ signFlip, width);
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            ArrowBuf data = ((BaseFixedWidthVector) vector).getDataBuffer();
            long index = (long) row * width;
            long raw;
            switch (width) {
                case 1:
                    raw = data.getByte(index);
                    break;
                case 2:
                    raw = data.getShort(index);
                    break;
                case 4:
                    raw = data.getInt(index);
                    break;
                default:
                    raw = data.getLong(index);
            }
            out.writeBigEndian(raw ^ signFlip, width);
        }
    }

    private static final class BoolCodec implements ColumnCodec {
        @Override
        public void encodeValue(Object value, Out out) {
            out.write((Boolean) value ? 1 : 0);
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            out.write(((BitVector) vector).get(row));
        }
    }

    private static final class DecimalCodec implements ColumnCodec {
        private final int precision;
        private final int scale;
        private final int width;

        DecimalCodec(int precision, int scale, int width) {
            this.precision = precision;
            this.scale = scale;
            this.width = width;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            BigDecimal d = ((BigDecimal) value).setScale(scale, RoundingMode.UNNECESSARY);
            if (d.precision() > precision) {
                throw new ArithmeticException(
                        "precision " + d.precision() + " exceeds the column's " + precision);
            }
            BigInteger unscaled = d.unscaledValue();
            byte[] minimal = unscaled.toByteArray(); // big-endian two's complement
            byte[] full = new byte[width];
            Arrays.fill(full, 0, width - minimal.length, (byte) (unscaled.signum() < 0 ? -1 : 0));
            System.arraycopy(minimal, 0, full, width - minimal.length, minimal.length);
            full[0] ^= (byte) 0x80;
            for (byte b : full) {
                out.write(b);
            }
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            ArrowBuf data = ((BaseFixedWidthVector) vector).getDataBuffer();
            long start = (long) row * width;
            // Arrow stores decimals little-endian: write the bytes from the most significant.
            out.write(data.getByte(start + width - 1) ^ 0x80);
            for (int i = width - 2; i >= 0; i--) {
                out.write(data.getByte(start + i));
            }
        }
    }

    private static final class VariableCodec implements ColumnCodec {
        private final boolean utf8;

        VariableCodec(boolean utf8) {
            this.utf8 = utf8;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            if (value instanceof byte[]) {
                byte[] b = (byte[]) value;
                out.writeEscaped(b, 0, b.length);
            } else if (utf8 && value instanceof Text) {
                Text t = (Text) value;
                out.writeEscaped(t.getBytes(), 0, (int) t.getLength());
            } else if (utf8 && value instanceof CharSequence) {
                byte[] b = value.toString().getBytes(StandardCharsets.UTF_8);
                out.writeEscaped(b, 0, b.length);
            } else if (!utf8 && value instanceof ByteBuffer) {
                byte[] b = bytesOf((ByteBuffer) value);
                out.writeEscaped(b, 0, b.length);
            } else {
                throw new ClassCastException(
                        utf8
                                ? "expected CharSequence, Text or byte[] for string"
                                : "expected byte[] or ByteBuffer for binary");
            }
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            byte[] b = ((VariableWidthFieldVector) vector).get(row);
            out.writeEscaped(b, 0, b.length);
        }
    }

    private static final class FixedBinaryCodec implements ColumnCodec {
        private final int width;

        FixedBinaryCodec(int width) {
            this.width = width;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            byte[] b = value instanceof ByteBuffer ? bytesOf((ByteBuffer) value) : (byte[]) value;
            if (b.length != width) {
                throw new ArithmeticException("expected " + width + " bytes, but got " + b.length);
            }
            for (byte x : b) {
                out.write(x);
            }
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            for (byte x : ((FixedSizeBinaryVector) vector).get(row)) {
                out.write(x);
            }
        }
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
