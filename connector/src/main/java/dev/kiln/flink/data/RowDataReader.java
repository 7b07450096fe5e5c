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

import org.apache.flink.annotation.Internal;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.logical.RowType;

import java.io.Serializable;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Turns the values of a Kiln row, as lookups and scans return them (one object per column, as Arrow
 * vectors' {@code getObject} gives them), into Flink's internal {@link RowData}.
 *
 * <p>Serializable; converters are built lazily. Not thread-safe until first used; then immutable.
 */
@Internal
public final class RowDataReader implements Serializable {

    private static final long serialVersionUID = 1L;

    private final RowType rowType;
    private transient ColumnConverter[] converters;

    /**
     * @throws org.apache.flink.table.api.ValidationException naming the column if a type is not
     *     supported
     */
    public RowDataReader(RowType rowType) {
        this.rowType = requireNonNull(rowType, "rowType");
        init();
    }

    /**
     * Returns the row of {@code values} as an {@code INSERT} row.
     *
     * @throws IllegalArgumentException if there are not as many values as columns
     */
    public RowData read(List<Object> values) {
        if (converters == null) {
            init();
        }
        if (values.size() != converters.length) {
            throw new IllegalArgumentException(
                    values.size()
                            + " values for a row of "
                            + converters.length
                            + " columns "
                            + rowType.getFieldNames());
        }
        GenericRowData row = new GenericRowData(converters.length);
        for (int c = 0; c < converters.length; c++) {
            Object value = values.get(c);
            row.setField(c, value == null ? null : converters[c].toInternal(value));
        }
        return row;
    }

    private void init() {
        ColumnConverter[] built = new ColumnConverter[rowType.getFieldCount()];
        for (int c = 0; c < built.length; c++) {
            built[c] = ColumnConverter.of(rowType.getFieldNames().get(c), rowType.getTypeAt(c));
        }
        converters = built;
    }
}
