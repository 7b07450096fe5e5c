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
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.table.types.logical.RowType;

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
    private transient ColumnConverter[] converters;

    /** BIGINT, INTEGER or DATE if the key is that one column (read without boxing), else null. */
    private transient LogicalTypeRoot longKey;

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
        if (codec == null) {
            init();
        }
        if (longKey != null) {
            return longKey(row);
        }
        Object[] values = new Object[positions.length];
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
            try {
                values[k] = converters[k].keyValue(row, pos);
            } catch (RuntimeException e) {
                throw new InvalidRowException(
                        column,
                        "primary key column '" + column + "' cannot hold its value: " + e,
                        e);
            }
        }
        try {
            return codec.encode(values);
        } catch (IllegalArgumentException e) {
            throw new InvalidRowException(null, e.getMessage(), e);
        }
    }

    /**
     * The key of a one-column integer key: read without boxing, encoded by {@link
     * KeyCodec#encodeLong}.
     */
    private byte[] longKey(RowData row) {
        int pos = positions[0];
        String column = primaryKey.get(0);
        if (pos >= row.getArity() || row.isNullAt(pos)) {
            throw new InvalidRowException(
                    column,
                    pos >= row.getArity()
                            ? "row has "
                                    + row.getArity()
                                    + " fields, but primary key column '"
                                    + column
                                    + "' is field "
                                    + pos
                                    + " of "
                                    + rowType.asSummaryString()
                            : "primary key column '"
                                    + column
                                    + "' is null in a "
                                    + row.getRowKind()
                                    + " row");
        }
        long value;
        try {
            value = longKey == LogicalTypeRoot.BIGINT ? row.getLong(pos) : row.getInt(pos);
        } catch (RuntimeException e) {
            throw new InvalidRowException(
                    column, "primary key column '" + column + "' cannot hold its value: " + e, e);
        }
        try {
            return codec.encodeLong(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidRowException(null, e.getMessage(), e);
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
        converters = new ColumnConverter[primaryKey.size()];
        for (int k = 0; k < primaryKey.size(); k++) {
            String column = primaryKey.get(k);
            positions[k] = rowType.getFieldIndex(column);
            converters[k] = ColumnConverter.of(column, rowType.getTypeAt(positions[k]));
        }
        LogicalTypeRoot root =
                primaryKey.size() == 1 ? rowType.getTypeAt(positions[0]).getTypeRoot() : null;
        longKey =
                codec.isSingleIntegerKey()
                                && (root == LogicalTypeRoot.BIGINT
                                        || root == LogicalTypeRoot.INTEGER
                                        || root == LogicalTypeRoot.DATE)
                        ? root
                        : null;
    }
}
