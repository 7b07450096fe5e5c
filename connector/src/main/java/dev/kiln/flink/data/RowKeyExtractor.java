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

import dev.kiln.format.KeyCodec;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Encodes the primary key of {@link RowData} rows exactly as a generation's {@link KeyCodec}
 * encodes the same row once written, and so gives the row's bucket. Used to partition rows by
 * bucket before the writer and to look keys up.
 *
 * <p>Serializable (it travels with the job graph); the codec is built lazily on first use. Not
 * thread-safe until first used; then immutable.
 */
@Internal
public final class RowKeyExtractor implements Serializable {

    private static final long serialVersionUID = 1L;

    private final RowType rowType;
    private final List<String> primaryKey;

    private transient KeyCodec codec;
    private transient int[] positions;
    private transient KeyColumn[] writers;
    private transient IntegerColumn singleInteger;

    /**
     * @throws org.apache.flink.table.api.ValidationException naming the column if the primary key
     *     is not valid for the row type
     * @throws IllegalArgumentException naming the column if a key column's type cannot be a key
     */
    public RowKeyExtractor(RowType rowType, List<String> primaryKey) {
        this.rowType = requireNonNull(rowType, "rowType");
        this.primaryKey = List.copyOf(requireNonNull(primaryKey, "primaryKey"));
        init();
    }

    /**
     * Returns the encoded primary key of {@code row}.
     *
     * @throws InvalidRowException naming the column if a key column is null or cannot be encoded
     */
    public byte[] key(RowData row) {
        return key(row, null);
    }

    /**
     * Returns a new array to encode probe keys into with {@link #key(RowData, byte[])}, or {@code
     * null} if the key's length varies (a string or bytes column), when there is nothing to reuse.
     */
    @Nullable
    public byte[] newProbe() {
        if (codec == null) {
            init();
        }
        int length = codec.fixedLength();
        return length > 0 ? new byte[length] : null;
    }

    /**
     * Like {@link #key(RowData)}, written into {@code into} when the key is fixed-length and {@code
     * into} has that length ({@link #newProbe()}), which is then returned; otherwise into a new
     * array. For a caller that encodes one probe key after another on one thread and keeps none.
     *
     * @throws InvalidRowException as {@link #key(RowData)}
     */
    public byte[] key(RowData row, @Nullable byte[] into) {
        if (codec == null) {
            init();
        }
        KeyCodec.Writer writer = singleInteger == null ? codec.writer(into) : null;
        for (int k = 0; k < positions.length; k++) {
            int pos = positions[k];
            String column = primaryKey.get(k);
            if (pos >= row.getArity()) {
                throw new InvalidRowException(
                        column,
                        "row has "
                                + row.getArity()
                                + " fields, but primary key column '"
                                + column
                                + "' is field "
                                + pos
                                + " of "
                                + rowType.asSummaryString());
            }
            if (row.isNullAt(pos)) {
                throw new InvalidRowException(
                        column,
                        "primary key column '"
                                + column
                                + "' is null in a "
                                + row.getRowKind()
                                + " row");
            }
            if (singleInteger != null) {
                // One integer-like column (the usual key): straight into the key's bytes.
                try {
                    return codec.encodeInteger(singleInteger.value(row, pos), into);
                } catch (IllegalArgumentException e) {
                    throw new InvalidRowException(null, e.getMessage(), e);
                }
            }
            try {
                writers[k].write(row, pos, writer);
            } catch (KeyValueException e) {
                throw new InvalidRowException(
                        column,
                        "primary key column '"
                                + column
                                + "' cannot hold its value: "
                                + e.getCause(),
                        e.getCause());
            } catch (IllegalArgumentException e) {
                throw new InvalidRowException(null, e.getMessage(), e);
            }
        }
        return writer.toByteArray();
    }

    /**
     * Writes one key column of a row into a key: primitives without boxing where the type has them.
     */
    @FunctionalInterface
    private interface KeyColumn {
        void write(RowData row, int pos, KeyCodec.Writer writer);
    }

    /** Reads an integer-like key column's value from a row, in the codec's unit. */
    @FunctionalInterface
    private interface IntegerColumn {
        long value(RowData row, int pos);
    }

    /** The single integer-like key column's reader, or null if the key is not one. */
    private static IntegerColumn integerColumn(LogicalType type) {
        switch (type.getTypeRoot()) {
            case TINYINT:
                return RowData::getByte;
            case SMALLINT:
                return RowData::getShort;
            case INTEGER:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
                return RowData::getInt;
            case BIGINT:
                return RowData::getLong;
            default:
                return null;
        }
    }

    /** What reading a key column's value from the row threw (not the codec's refusal of it). */
    private static final class KeyValueException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        KeyValueException(RuntimeException cause) {
            super(cause);
        }
    }

    private static KeyColumn keyColumn(LogicalType type, ColumnConverter converter) {
        switch (type.getTypeRoot()) {
            case TINYINT:
                return (row, pos, w) -> w.integer(row.getByte(pos));
            case SMALLINT:
                return (row, pos, w) -> w.integer(row.getShort(pos));
            case INTEGER:
            case DATE:
            case TIME_WITHOUT_TIME_ZONE:
                return (row, pos, w) -> w.integer(row.getInt(pos));
            case BIGINT:
                return (row, pos, w) -> w.integer(row.getLong(pos));
            default:
                return (row, pos, w) -> {
                    Object value;
                    try {
                        value = converter.keyValue(row, pos);
                    } catch (RuntimeException e) {
                        throw new KeyValueException(e);
                    }
                    w.value(value);
                };
        }
    }

    /** Returns the bucket of {@code row} in a table of {@code bucketCount} buckets. */
    public int bucket(RowData row, int bucketCount) {
        return KeyCodec.bucket(key(row), bucketCount);
    }

    /** Returns the codec the keys are encoded with. */
    public KeyCodec codec() {
        if (codec == null) {
            init();
        }
        return codec;
    }

    private void init() {
        codec = KeyCodec.of(FlinkArrowTypes.toArrowSchema(rowType, primaryKey), primaryKey);
        positions = new int[primaryKey.size()];
        writers = new KeyColumn[primaryKey.size()];
        for (int k = 0; k < primaryKey.size(); k++) {
            String column = primaryKey.get(k);
            positions[k] = rowType.getFieldIndex(column);
            LogicalType type = rowType.getTypeAt(positions[k]);
            writers[k] = keyColumn(type, ColumnConverter.of(column, type));
        }
        singleInteger =
                primaryKey.size() == 1 && codec.isSingleInteger()
                        ? integerColumn(rowType.getTypeAt(positions[0]))
                        : null;
    }
}
