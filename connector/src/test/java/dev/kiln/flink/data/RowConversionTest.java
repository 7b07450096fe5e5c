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

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** External rows to the internal rows Kiln writes and back, as a shipped converter does. */
class RowConversionTest {

    private static final DataType TYPE =
            DataTypes.ROW(
                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                    DataTypes.FIELD("name", DataTypes.STRING()),
                    DataTypes.FIELD("amount", DataTypes.DECIMAL(10, 2)),
                    DataTypes.FIELD("at", DataTypes.TIMESTAMP(3)));

    @Test
    void rowsBecomeInternalRowsWithTheirKindAndBack() throws Exception {
        RowDataConverter<Row> toRowData =
                InstantiationUtil.clone(RowConversion.toRowData(TYPE), getClass().getClassLoader());
        RowConversion.ToRow toRow =
                InstantiationUtil.clone(
                        RowConversion.toRow((RowType) TYPE.getLogicalType()),
                        getClass().getClassLoader());
        LocalDateTime at = LocalDateTime.of(2026, 12, 7, 1, 2, 3, 4_000_000);
        Row upsert = Row.ofKind(RowKind.UPDATE_AFTER, 7L, "ann", new BigDecimal("12.30"), at);
        Row keyOnlyDelete = Row.ofKind(RowKind.DELETE, 8L, null, null, null);

        RowData internal = toRowData.convert(upsert);
        assertThat(internal.getRowKind()).isEqualTo(RowKind.UPDATE_AFTER);
        assertThat(internal.getLong(0)).isEqualTo(7L);
        assertThat(internal.getString(1).toString()).isEqualTo("ann");
        assertThat(internal.getDecimal(2, 10, 2))
                .isEqualTo(DecimalData.fromBigDecimal(new BigDecimal("12.30"), 10, 2));
        assertThat(internal.getTimestamp(3, 3)).isEqualTo(TimestampData.fromLocalDateTime(at));
        assertThat(toRow.convert(internal)).isEqualTo(upsert);

        RowData delete = toRowData.convert(keyOnlyDelete);
        assertThat(delete.getRowKind()).isEqualTo(RowKind.DELETE);
        assertThat(delete.isNullAt(1)).isTrue();
        assertThat(toRow.convert(delete)).isEqualTo(keyOnlyDelete);
        assertThat(toRow.convert(null)).isNull();
    }

    @Test
    void onlyARowDataTypeIsAccepted() {
        assertThatThrownBy(() -> RowConversion.toRowData(DataTypes.BIGINT()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("BIGINT");
    }
}
