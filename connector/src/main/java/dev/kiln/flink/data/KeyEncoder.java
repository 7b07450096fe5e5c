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
import dev.kiln.table.TableOptions;

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import javax.annotation.Nullable;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Encodes what a {@link dev.kiln.flink.lookup.KilnLookup.KeyFunction} returns as a table key: a
 * {@link RowData} of the primary key columns (internal data, in key order), an {@code Object[]} of
 * their values, or the value of a single-column key (Java values as {@link KeyCodec#encode} takes
 * them: {@code Long}, {@code String}, {@code LocalDate}, …).
 *
 * <p>Serializable; built lazily. Not thread-safe until first used; then immutable.
 */
@Internal
public final class KeyEncoder implements Serializable {

    private static final long serialVersionUID = 1L;

    private final TableOptions options;
    private transient KeyCodec codec;
    private transient RowKeyExtractor rows;

    public KeyEncoder(TableOptions options) {
        this.options = requireNonNull(options, "options");
    }

    /**
     * Returns the encoded key.
     *
     * @throws InvalidRowException naming the column if a {@code RowData} key is null in a column
     * @throws IllegalArgumentException if a value does not fit its key column, or there are not as
     *     many values as key columns
     * @throws NullPointerException if {@code key} is null
     */
    public byte[] encode(Object key) {
        return encode(key, null);
    }

    /**
     * Like {@link #encode(Object)}, written into {@code into} when the table's key is fixed-length
     * and {@code into} has that length ({@link #newProbe()}), which is then returned; otherwise
     * into a new array. For a caller that encodes one probe key after another on one thread and
     * keeps none of them past the next (a lookup's hit path): it copies the key if it must keep it.
     *
     * @throws InvalidRowException as {@link #encode(Object)}
     * @throws IllegalArgumentException as {@link #encode(Object)}
     * @throws NullPointerException if {@code key} is null
     */
    public byte[] encode(Object key, @Nullable byte[] into) {
        requireNonNull(key, "the key function returned null");
        if (key instanceof RowData row) {
            return rows().key(row, into);
        }
        KeyCodec keyCodec = codec();
        return key instanceof Object[] values
                ? keyCodec.encodeInto(into, values)
                : keyCodec.encodeInto(into, key);
    }

    /**
     * Returns a new array to encode probe keys into with {@link #encode(Object, byte[])}, or {@code
     * null} if the table's key length varies (a string or bytes column).
     */
    @Nullable
    public byte[] newProbe() {
        int length = codec().fixedLength();
        return length > 0 ? new byte[length] : null;
    }

    /** Returns the bucket of an encoded key. */
    public int bucketOf(byte[] key) {
        return options.bucketOf(key);
    }

    TableOptions options() {
        return options;
    }

    private KeyCodec codec() {
        if (codec == null) {
            codec = options.keyCodec();
        }
        return codec;
    }

    private RowKeyExtractor rows() {
        if (rows == null) {
            RowType full = FlinkArrowTypes.toRowType(options.schema());
            List<RowType.RowField> fields = new ArrayList<>();
            for (String column : options.primaryKey()) {
                fields.add(full.getFields().get(full.getFieldIndex(column)));
            }
            rows = new RowKeyExtractor(new RowType(false, fields), options.primaryKey());
        }
        return rows;
    }
}
