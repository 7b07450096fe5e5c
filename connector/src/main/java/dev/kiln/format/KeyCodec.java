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
import org.apache.arrow.memory.util.MemoryUtil;
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

import javax.annotation.Nullable;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /** {@link ColumnCodec#compareRow}: the row's column encodes to bytes less than the key's. */
    private static final int ROW_LESS = -1;

    /** {@link ColumnCodec#compareRow}: greater, or the key ends inside the column's bytes. */
    private static final int ROW_GREATER = -2;

    private static final VarHandle BIG_ENDIAN_LONG =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BIG_ENDIAN_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle BIG_ENDIAN_SHORT =
            MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private final List<String> columns;
    private final int[] fieldIndexes;
    private final ColumnCodec[] codecs;

    /** The length of every encoded key if all key columns are fixed-width, else -1. */
    private final int fixedLength;

    private KeyCodec(List<String> columns, int[] fieldIndexes, ColumnCodec[] codecs) {
        this.columns = columns;
        this.fieldIndexes = fieldIndexes;
        this.codecs = codecs;
        int length = 0;
        for (ColumnCodec codec : codecs) {
            int width = codec.fixedWidth();
            length = width < 0 || length < 0 ? -1 : length + width;
        }
        this.fixedLength = length;
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
        return encodeInto(null, values);
    }

    /**
     * Like {@link #encode(Object...)}, written into {@code into} when the key is fixed-length and
     * {@code into} has that length ({@link #fixedLength()}), which is then returned; otherwise into
     * a new array. For callers that encode one probe key after another on one thread and keep none
     * of them (a lookup's hit path).
     *
     * @throws NullKeyException if a value is {@code null}
     * @throws IllegalArgumentException as {@link #encode(Object...)}
     */
    public byte[] encodeInto(@Nullable byte[] into, Object... values) {
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
        Out out = newOut(into);
        for (int k = 0; k < codecs.length; k++) {
            Object value = values[k];
            if (value == null) {
                throw new NullKeyException(columns.get(k), "in the given key");
            }
            encodeColumn(columns.get(k), codecs[k], value, out);
        }
        return out.toByteArray();
    }

    private static void encodeColumn(String column, ColumnCodec codec, Object value, Out out) {
        try {
            codec.encodeValue(value, out);
        } catch (ClassCastException | ArithmeticException e) {
            throw new IllegalArgumentException(
                    "key column '"
                            + column
                            + "' cannot hold "
                            + value.getClass().getName()
                            + " value "
                            + value
                            + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /**
     * Returns whether the key is one integer-like column (integer, date, time, timestamp,
     * duration), which {@link #encodeInteger} encodes.
     */
    public boolean isSingleInteger() {
        return codecs.length == 1 && codecs[0] instanceof IntegerCodec;
    }

    /**
     * Returns the length of every encoded key if every key column is fixed-width (integer-like,
     * floating point, boolean), else -1.
     */
    public int fixedLength() {
        return fixedLength;
    }

    /** An output over {@code into} if it is a fixed-length key's length, else a new buffer. */
    private Out newOut(@Nullable byte[] into) {
        if (into != null && fixedLength > 0 && into.length == fixedLength) {
            return new Out(into, 0);
        }
        return new Out(fixedLength > 0 ? fixedLength : 32);
    }

    /**
     * Encodes the key of a key of one integer-like column ({@link #isSingleInteger()}) from its
     * value in the column's unit: {@code writer().integer(value).toByteArray()}, writing straight
     * into the result.
     *
     * @throws IllegalArgumentException naming the column if the key is not one integer-like column
     *     or the value is out of its range
     */
    public byte[] encodeInteger(long value) {
        return encodeInteger(value, null);
    }

    /**
     * Like {@link #encodeInteger(long)}, written into {@code into} if it has the column's width
     * ({@link #fixedLength()}), which is then returned; otherwise into a new array.
     *
     * @throws IllegalArgumentException as {@link #encodeInteger(long)}
     */
    public byte[] encodeInteger(long value, @Nullable byte[] into) {
        if (!isSingleInteger()) {
            throw new IllegalArgumentException("the key " + columns + " is not one integer column");
        }
        IntegerCodec integer = (IntegerCodec) codecs[0];
        if (!integer.fits(value)) {
            throw new IllegalArgumentException(
                    "key column '" + columns.get(0) + "' cannot hold " + value + ": out of range");
        }
        byte[] key = into != null && into.length == integer.width ? into : new byte[integer.width];
        long bits = value ^ integer.signFlip;
        for (int i = integer.width - 1; i >= 0; i--, bits >>>= 8) {
            key[i] = (byte) bits;
        }
        return key;
    }

    /**
     * Returns a writer that encodes one key from its columns' values in key order, without boxing
     * them: the same bytes as {@link #encode(Object...)}. For callers that hold primitive values
     * (Kiln's Flink layer encodes {@code RowData} keys this way). Not thread-safe; one key per
     * writer.
     */
    public Writer writer() {
        return new Writer(null);
    }

    /**
     * Like {@link #writer()}, writing into {@code into} when the key is fixed-length and {@code
     * into} has that length ({@link #fixedLength()}): {@link Writer#toByteArray()} then returns
     * {@code into}.
     */
    public Writer writer(@Nullable byte[] into) {
        return new Writer(into);
    }

    /**
     * Encodes one key, column by column in key order ({@link #writer()}); {@link #toByteArray()}
     * once every column is written. A key of fixed-width columns is written straight into its
     * result array.
     */
    @Internal
    public final class Writer {
        private final Out out;
        private int column;

        private Writer(@Nullable byte[] into) {
            out = newOut(into);
        }

        /**
         * Writes the next column, an integer-like one (integer, date, time, timestamp, duration),
         * as {@code value} in the column's unit.
         *
         * @throws IllegalArgumentException naming the column if it is not integer-like, or the
         *     value is out of its range
         */
        public Writer integer(long value) {
            ColumnCodec codec = next();
            if (!(codec instanceof IntegerCodec integer)) {
                throw new IllegalArgumentException(
                        "key column '" + columns.get(column - 1) + "' is not an integer column");
            }
            if (!integer.fits(value)) {
                throw new IllegalArgumentException(
                        "key column '"
                                + columns.get(column - 1)
                                + "' cannot hold "
                                + value
                                + ": out of range");
            }
            out.writeBigEndian(value ^ integer.signFlip, integer.width);
            return this;
        }

        /**
         * Writes the next column, of any type, from a Java value as {@link #encode(Object...)}
         * takes it.
         *
         * @throws NullKeyException if {@code value} is null
         * @throws IllegalArgumentException naming the column if the value does not fit it
         */
        public Writer value(Object value) {
            ColumnCodec codec = next();
            String name = columns.get(column - 1);
            if (value == null) {
                throw new NullKeyException(name, "in the given key");
            }
            encodeColumn(name, codec, value, out);
            return this;
        }

        /**
         * Returns the encoded key.
         *
         * @throws IllegalStateException if not every key column was written
         */
        public byte[] toByteArray() {
            if (column != codecs.length) {
                throw new IllegalStateException(
                        column
                                + " of the "
                                + codecs.length
                                + " key columns "
                                + columns
                                + " written");
            }
            return out.toByteArray();
        }

        private ColumnCodec next() {
            if (column == codecs.length) {
                throw new IllegalArgumentException(
                        "more key values than the key columns " + columns);
            }
            return codecs[column++];
        }
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
        Out out = new Out(fixedLength > 0 ? fixedLength : 32);
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
     * {@code key}, as {@link #compare} would compare {@code encode(root, row)} with it, without
     * encoding the row: each key column compares its vector's bytes with the key's bytes in place
     * (no allocation, no copy). Returns a negative number, zero or a positive number as the row's
     * key is less than, equal to or greater than {@code key}.
     *
     * @throws NullKeyException if a key column is null in that row
     */
    int compareRow(FieldVector[] keyVectors, int row, byte[] key) {
        int offset = 0;
        for (int k = 0; k < codecs.length; k++) {
            FieldVector vector = keyVectors[k];
            if (vector.isNull(row)) {
                throw new NullKeyException(columns.get(k), "in row " + row);
            }
            int matched = codecs[k].compareRow(vector, row, key, offset);
            if (matched < 0) {
                return matched == ROW_LESS ? -1 : 1;
            }
            offset += matched;
        }
        // The row's encoding matched key's first bytes: equal, or a proper prefix (less).
        return offset == key.length ? 0 : -1;
    }

    /**
     * Returns the row of {@code rowCount} rows sorted by key, of the key columns {@code
     * keyVectors}, whose key is encoded {@code key}, or -1 if none: a binary search with {@link
     * #compareRow}. A key of one integer-like column (integers, dates, times, timestamps,
     * durations) whose vector holds no null ({@code keysNullFree}, which the caller counts once:
     * Arrow counts a vector's nulls on every call) is searched by value instead: the probe's bytes
     * are decoded once, and each probed row's value is compared as the number it is.
     */
    int find(FieldVector[] keyVectors, boolean keysNullFree, int rowCount, byte[] key) {
        return find(keyVectors, keysNullFree, rowCount, key, null);
    }

    /**
     * Like {@link #find(FieldVector[], boolean, int, byte[])}, starting from {@code sample} if not
     * {@code null}: the {@link #searchSample} of these rows, which narrows the search to {@value
     * #SAMPLE_STRIDE} rows before it reads the page.
     */
    int find(
            FieldVector[] keyVectors,
            boolean keysNullFree,
            int rowCount,
            byte[] key,
            @Nullable long[] sample) {
        if (keysNullFree && codecs.length == 1 && codecs[0] instanceof IntegerCodec integer) {
            return integer.find(keyVectors[0], rowCount, key, sample);
        }
        int low = 0;
        int high = rowCount - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            int c = compareRow(keyVectors, mid, key);
            if (c < 0) {
                low = mid + 1;
            } else if (c > 0) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** Rows per entry of a {@link #searchSample}: 128 bytes of 8-byte keys, two cache lines. */
    static final int SAMPLE_STRIDE = 16;

    /**
     * Returns the search sample of {@code rowCount} rows sorted by key, of the key columns {@code
     * keyVectors}, for {@link #find(FieldVector[], boolean, int, byte[], long[])}: for a key of one
     * integer-like column without nulls ({@code keysNullFree}), the value of every {@value
     * #SAMPLE_STRIDE}th row (from the first) as the search compares it, in a heap array that a page
     * builds once and whose search stays in the CPU's caches; {@code null} for other keys and for
     * pages of at most {@value #SAMPLE_STRIDE} rows.
     */
    @Nullable
    long[] searchSample(FieldVector[] keyVectors, boolean keysNullFree, int rowCount) {
        if (keysNullFree
                && rowCount > SAMPLE_STRIDE
                && codecs.length == 1
                && codecs[0] instanceof IntegerCodec integer) {
            return integer.sample(keyVectors[0], rowCount);
        }
        return null;
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

    /**
     * Compares two encoded keys as unsigned bytes: the order of the keys they encode. Only the sign
     * of the result is meaningful.
     */
    public static int compare(byte[] a, byte[] b) {
        // The first 8 bytes as one unsigned number decide most comparisons (a single integer-like
        // key is exactly 8 bytes) without the setup of a general mismatch search.
        long x = prefix(a);
        long y = prefix(b);
        if (x != y) {
            return Long.compareUnsigned(x, y);
        }
        if (a.length <= Long.BYTES && b.length <= Long.BYTES) {
            return Integer.compare(a.length, b.length);
        }
        return Arrays.compareUnsigned(a, b);
    }

    /**
     * Returns the first 8 bytes of encoded key {@code key} as a big-endian number, padded with zero
     * bytes if it is shorter. Its unsigned order agrees with {@link #compare}: if {@code
     * Long.compareUnsigned(prefix(a), prefix(b)) < 0} then {@code compare(a, b) < 0}; equal
     * prefixes leave the order to the bytes (and the lengths) that follow.
     */
    public static long prefix(byte[] key) {
        if (key.length >= Long.BYTES) {
            return (long) BIG_ENDIAN_LONG.get(key, 0);
        }
        long prefix = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            prefix = (prefix << 8) | (i < key.length ? key[i] & 0xFF : 0);
        }
        return prefix;
    }

    /** As {@link #prefix(byte[])} of the encoded key {@code keys[from, to)}, read in place. */
    public static long prefix(byte[] keys, int from, int to) {
        if (to - from >= Long.BYTES) {
            return (long) BIG_ENDIAN_LONG.get(keys, from);
        }
        long prefix = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            prefix = (prefix << 8) | (from + i < to ? keys[from + i] & 0xFF : 0);
        }
        return prefix;
    }

    /**
     * Compares the encoded keys {@code a[aFrom, aTo)} and {@code b[bFrom, bTo)} in place, as {@link
     * #compare(byte[], byte[])} compares them as arrays, given their {@link #prefix} values.
     */
    public static int compare(
            byte[] a,
            int aFrom,
            int aTo,
            long aPrefix,
            byte[] b,
            int bFrom,
            int bTo,
            long bPrefix) {
        if (aPrefix != bPrefix) {
            return Long.compareUnsigned(aPrefix, bPrefix);
        }
        if (aTo - aFrom <= Long.BYTES && bTo - bFrom <= Long.BYTES) {
            return Integer.compare(aTo - aFrom, bTo - bFrom);
        }
        return Arrays.compareUnsigned(a, aFrom, aTo, b, bFrom, bTo);
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
        long hash = hash64(encodedKey);
        if ((bucketCount & (bucketCount - 1)) == 0) {
            // A power of two: floorMod is the low bits (two's complement), without a division.
            return (int) (hash & (bucketCount - 1));
        }
        return (int) Math.floorMod(hash, (long) bucketCount);
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
                return new VariableCodec(true, false);
            case LargeUtf8:
                return new VariableCodec(true, true);
            case Binary:
                return new VariableCodec(false, false);
            case LargeBinary:
                return new VariableCodec(false, true);
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
        private byte[] bytes;
        private int size;

        Out(int capacity) {
            bytes = new byte[capacity];
        }

        /** Writes into {@code bytes} from {@code size} on. */
        Out(byte[] bytes, int size) {
            this.bytes = bytes;
            this.size = size;
        }

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

        /** How many bytes were written. */
        int size() {
            return size;
        }

        /** The buffer written into: its first {@link #size} bytes (it grows as it fills). */
        byte[] buffer() {
            return bytes;
        }

        /** The bytes written; the buffer itself if they fill it exactly (then do not write on). */
        byte[] toByteArray() {
            return size == bytes.length ? bytes : Arrays.copyOf(bytes, size);
        }
    }

    private interface ColumnCodec {
        void encodeValue(Object value, Out out);

        void encodeRow(FieldVector vector, int row, Out out);

        /**
         * Compares what {@link #encodeRow} would write for the non-null value of {@code row} with
         * {@code key}'s bytes from {@code offset}, without writing it: returns the number of bytes
         * the value encodes to if they equal the key's next bytes, otherwise {@link #ROW_LESS} or
         * {@link #ROW_GREATER} (also when the key ends first).
         */
        int compareRow(FieldVector vector, int row, byte[] key, int offset);

        /** Returns the bytes every value encodes to, or -1 if that varies. */
        default int fixedWidth() {
            return -1;
        }
    }

    /**
     * Compares row byte {@code rowByte} (0..255) with {@code key[at]}, or returns {@link
     * #ROW_GREATER} if the key has ended: 0 if equal.
     */
    private static int compareByte(int rowByte, byte[] key, int at) {
        if (at >= key.length) {
            return ROW_GREATER;
        }
        int keyByte = key[at] & 0xFF;
        return rowByte == keyByte ? 0 : rowByte < keyByte ? ROW_LESS : ROW_GREATER;
    }

    /** Integers and every type stored as one: dates, times, timestamps, durations. */
    private static final class IntegerCodec implements ColumnCodec {
        private final int width;
        private final long signFlip;
        private final long mask;
        private final ToLongFunction<Object> toLong;

        IntegerCodec(int width, boolean signed, ToLongFunction<Object> toLong) {
            this.width = width;
            this.signFlip = signed ? 1L << (width * 8 - 1) : 0;
            this.mask = width == 8 ? -1L : (1L << (width * 8)) - 1;
            this.toLong = toLong;
        }

        @Override
        public int fixedWidth() {
            return width;
        }

        /** Whether {@code value} fits the column's width (signed or not). */
        boolean fits(long value) {
            if (width == 8) {
                return true;
            }
            long min = signFlip != 0 ? -signFlip : 0;
            long max = signFlip != 0 ? signFlip - 1 : mask;
            return value >= min && value <= max;
        }

        /**
         * Binary search of {@code rowCount} rows of {@code vector} (no nulls), sorted by encoded
         * key, for the row that encodes to {@code key}: the probe decoded once, then compared with
         * each probed row's value, sign-flipped as the encoding does, as unsigned numbers.
         */
        /**
         * The value of every {@link #SAMPLE_STRIDE}th of {@code rowCount} rows of {@code vector},
         * mapped as {@link #find} compares them (see {@link KeyCodec#searchSample}).
         */
        long[] sample(FieldVector vector, int rowCount) {
            ArrowBuf data = ((BaseFixedWidthVector) vector).getDataBuffer();
            long flip = width == 8 ? signFlip ^ Long.MIN_VALUE : signFlip;
            long[] sample = new long[(rowCount + SAMPLE_STRIDE - 1) / SAMPLE_STRIDE];
            for (int s = 0; s < sample.length; s++) {
                sample[s] = (raw(data, s * SAMPLE_STRIDE) ^ flip) & mask;
            }
            return sample;
        }

        int find(FieldVector vector, int rowCount, byte[] key, @Nullable long[] sample) {
            if (key.length != width) {
                return -1; // every row of this key encodes to exactly width bytes
            }
            long probe;
            switch (width) {
                case 1:
                    probe = key[0] & 0xFFL;
                    break;
                case 2:
                    probe = (short) BIG_ENDIAN_SHORT.get(key, 0) & 0xFFFFL;
                    break;
                case 4:
                    probe = (int) BIG_ENDIAN_INT.get(key, 0) & 0xFFFFFFFFL;
                    break;
                default:
                    probe = (long) BIG_ENDIAN_LONG.get(key, 0);
            }
            ArrowBuf data = ((BaseFixedWidthVector) vector).getDataBuffer();
            if (rowCount <= 0) {
                return -1;
            }
            // Every row read below is in [0, rowCount): proven in range here, once, so each read
            // goes straight to memory without ArrowBuf's checks. The caller holds the page; a
            // closed vector's buffer is empty and fails this check. (Arrow runs on little-endian
            // platforms only, as ArrowBuf's own reads assume.)
            if ((long) rowCount * width > data.capacity()) {
                throw new IndexOutOfBoundsException(
                        rowCount
                                + " rows of "
                                + width
                                + " bytes in a buffer of "
                                + data.capacity());
            }
            long address = data.memoryAddress();
            // Rows and probe mapped so that a signed comparison orders them as their encodings'
            // unsigned bytes do: the encoding's sign flip, then (8 bytes wide) the unsigned order.
            long flip = width == 8 ? signFlip ^ Long.MIN_VALUE : signFlip;
            long target = width == 8 ? probe ^ Long.MIN_VALUE : probe;
            // The last row whose value is at most the probe's, without a branch on the data
            // (compiled to conditional moves, so the search's data-dependent branches are not
            // mispredicted): the answer stays in [base, base + n), every row read is below
            // base + n <= rowCount.
            int base = 0;
            int n = rowCount;
            if (sample != null && sample.length == (rowCount + SAMPLE_STRIDE - 1) / SAMPLE_STRIDE) {
                // The sample first (the last sampled row at most the probe), then its stride.
                int s = 0;
                int m = sample.length;
                while (m > 1) {
                    int half = m >>> 1;
                    s = sample[s + half] <= target ? s + half : s;
                    m -= half;
                }
                if (sample[s] > target) {
                    return -1; // below the first row
                }
                base = s * SAMPLE_STRIDE;
                n = Math.min(SAMPLE_STRIDE, rowCount - base);
            }
            if (width == 8) {
                while (n > 1) {
                    int half = n >>> 1;
                    long value = MemoryUtil.getLong(address + (long) (base + half) * 8) ^ flip;
                    base = value <= target ? base + half : base;
                    n -= half;
                }
            } else {
                while (n > 1) {
                    int half = n >>> 1;
                    long value = (read(address, base + half) ^ flip) & mask;
                    base = value <= target ? base + half : base;
                    n -= half;
                }
            }
            return ((read(address, base) ^ flip) & mask) == target ? base : -1;
        }

        /** The raw (sign-extended) value of row {@code row} of {@code data}, through its checks. */
        private long raw(ArrowBuf data, int row) {
            long index = (long) row * width;
            switch (width) {
                case 1:
                    return data.getByte(index);
                case 2:
                    return data.getShort(index);
                case 4:
                    return data.getInt(index);
                default:
                    return data.getLong(index);
            }
        }

        /** The raw (sign-extended) value of row {@code row} at {@code address}, unchecked. */
        private long read(long address, int row) {
            switch (width) {
                case 1:
                    return MemoryUtil.getByte(address + row);
                case 2:
                    return MemoryUtil.getShort(address + (long) row * 2);
                case 4:
                    return MemoryUtil.getInt(address + (long) row * 4);
                default:
                    return MemoryUtil.getLong(address + (long) row * 8);
            }
        }

        @Override
        public int compareRow(FieldVector vector, int row, byte[] key, int offset) {
            long raw = raw(((BaseFixedWidthVector) vector).getDataBuffer(), row);
            long keyBits;
            boolean whole = key.length - offset >= width;
            switch (width) {
                case 1:
                    keyBits = whole ? key[offset] & 0xFFL : 0;
                    break;
                case 2:
                    keyBits = whole ? (short) BIG_ENDIAN_SHORT.get(key, offset) & 0xFFFFL : 0;
                    break;
                case 4:
                    keyBits = whole ? (int) BIG_ENDIAN_INT.get(key, offset) & 0xFFFFFFFFL : 0;
                    break;
                default:
                    keyBits = whole ? (long) BIG_ENDIAN_LONG.get(key, offset) : 0;
            }
            long rowBits = (raw ^ signFlip) & mask;
            if (!whole) {
                // The key ends inside this column: compare what is left of it, byte by byte.
                for (int i = 0; offset + i < key.length; i++) {
                    int c =
                            compareByte(
                                    (int) (rowBits >>> ((width - 1 - i) * 8)) & 0xFF,
                                    key,
                                    offset + i);
                    if (c != 0) {
                        return c;
                    }
                }
                return ROW_GREATER;
            }
            int c = Long.compareUnsigned(rowBits, keyBits);
            return c == 0 ? width : c < 0 ? ROW_LESS : ROW_GREATER;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            out.writeBigEndian(toLong.applyAsLong(value) ^ signFlip, width);
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            long raw = raw(((BaseFixedWidthVector) vector).getDataBuffer(), row);
            out.writeBigEndian(raw ^ signFlip, width);
        }
    }

    private static final class BoolCodec implements ColumnCodec {
        @Override
        public int fixedWidth() {
            return 1;
        }

        @Override
        public void encodeValue(Object value, Out out) {
            out.write((Boolean) value ? 1 : 0);
        }

        @Override
        public void encodeRow(FieldVector vector, int row, Out out) {
            out.write(((BitVector) vector).get(row));
        }

        @Override
        public int compareRow(FieldVector vector, int row, byte[] key, int offset) {
            int c = compareByte(((BitVector) vector).get(row), key, offset);
            return c == 0 ? 1 : c;
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
        public int fixedWidth() {
            return width;
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

        @Override
        public int compareRow(FieldVector vector, int row, byte[] key, int offset) {
            ArrowBuf data = ((BaseFixedWidthVector) vector).getDataBuffer();
            long start = (long) row * width;
            int c = compareByte((data.getByte(start + width - 1) ^ 0x80) & 0xFF, key, offset);
            for (int i = width - 2, at = offset + 1; c == 0 && i >= 0; i--, at++) {
                c = compareByte(data.getByte(start + i) & 0xFF, key, at);
            }
            return c == 0 ? width : c;
        }
    }

    private static final class VariableCodec implements ColumnCodec {
        private final boolean utf8;
        private final boolean large;

        VariableCodec(boolean utf8, boolean large) {
            this.utf8 = utf8;
            this.large = large;
        }

        @Override
        public int compareRow(FieldVector vector, int row, byte[] key, int offset) {
            ArrowBuf offsets = vector.getOffsetBuffer();
            long start;
            long end;
            if (large) {
                start = offsets.getLong((long) row * 8);
                end = offsets.getLong((long) row * 8 + 8);
            } else {
                start = offsets.getInt((long) row * 4);
                end = offsets.getInt((long) row * 4 + 4);
            }
            ArrowBuf data = vector.getDataBuffer();
            int at = offset;
            for (long i = start; i < end; i++) {
                int b = data.getByte(i) & 0xFF;
                int c = compareByte(b, key, at++);
                if (c == 0 && b == 0) {
                    c = compareByte(ESCAPE & 0xFF, key, at++);
                }
                if (c != 0) {
                    return c;
                }
            }
            int c = compareByte(0, key, at++);
            if (c == 0) {
                c = compareByte(TERMINATOR, key, at++);
            }
            return c == 0 ? at - offset : c;
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
        public int fixedWidth() {
            return width;
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

        @Override
        public int compareRow(FieldVector vector, int row, byte[] key, int offset) {
            ArrowBuf data = ((FixedSizeBinaryVector) vector).getDataBuffer();
            long start = (long) row * width;
            for (int i = 0; i < width; i++) {
                int c = compareByte(data.getByte(start + i) & 0xFF, key, offset + i);
                if (c != 0) {
                    return c;
                }
            }
            return width;
        }
    }

    private static byte[] bytesOf(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
