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

package dev.kiln.flink.table;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;
import org.apache.flink.table.types.logical.LogicalType;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** SQL's {@code =} on Flink's internal data, type by type. */
class SqlEqualityTest {

    @Test
    void floatingPointComparesAsNumbers() {
        SqlEquality doubles = equality(DataTypes.DOUBLE().getLogicalType());
        assertThat(doubles.test(-0.0d, 0.0d)).as("-0.0 = 0.0").isTrue();
        assertThat(doubles.test(Double.NaN, Double.NaN)).as("NaN = NaN").isFalse();
        assertThat(doubles.test(Double.NaN, 1.0d)).isFalse();
        assertThat(doubles.test(1.5d, 1.5d)).isTrue();
        assertThat(doubles.test(1.5d, 1.25d)).isFalse();
        assertThat(doubles.test(Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY)).isTrue();

        SqlEquality floats = equality(DataTypes.FLOAT().getLogicalType());
        assertThat(floats.test(-0.0f, 0.0f)).as("-0.0 = 0.0").isTrue();
        assertThat(floats.test(Float.NaN, Float.NaN)).as("NaN = NaN").isFalse();
        assertThat(floats.test(2.5f, 2.5f)).isTrue();
        assertThat(floats.test(2.5f, 3.5f)).isFalse();
    }

    @Test
    void nullEqualsNothing() {
        for (LogicalType type :
                new LogicalType[] {
                    DataTypes.INT().getLogicalType(),
                    DataTypes.DOUBLE().getLogicalType(),
                    DataTypes.STRING().getLogicalType(),
                    DataTypes.BYTES().getLogicalType(),
                    DataTypes.DECIMAL(10, 2).getLogicalType(),
                    DataTypes.TIMESTAMP(6).getLogicalType()
                }) {
            SqlEquality equality = equality(type);
            assertThat(equality.test(null, null)).as("NULL = NULL, %s", type).isFalse();
        }
        assertThat(equality(DataTypes.INT().getLogicalType()).test(1, null)).isFalse();
        assertThat(equality(DataTypes.INT().getLogicalType()).test(null, 1)).isFalse();
    }

    @Test
    void decimalsCompareByValueWhateverTheScaleOrRepresentation() {
        SqlEquality decimals = equality(DataTypes.DECIMAL(10, 4).getLogicalType());
        assertThat(decimals.test(decimal("1.5", 10, 1), decimal("1.5000", 10, 4))).isTrue();
        // A compact (long-backed) and a BigDecimal-backed value.
        assertThat(decimals.test(decimal("1.5", 10, 1), decimal("1.50", 30, 2))).isTrue();
        assertThat(decimals.test(decimal("-0.0", 10, 1), decimal("0", 10, 0))).isTrue();
        assertThat(decimals.test(decimal("1.5", 10, 1), decimal("1.5001", 10, 4))).isFalse();
    }

    @Test
    void stringsAndBinaryStringsCompareByContent() {
        SqlEquality strings = equality(DataTypes.STRING().getLogicalType());
        byte[] utf8 = "vé".getBytes(StandardCharsets.UTF_8);
        assertThat(strings.test(StringData.fromString("vé"), StringData.fromBytes(utf8))).isTrue();
        assertThat(strings.test(StringData.fromString(""), StringData.fromString(""))).isTrue();
        assertThat(strings.test(StringData.fromString("a"), StringData.fromString("A"))).isFalse();
        assertThat(strings.test(StringData.fromString("a"), StringData.fromString("a "))).isFalse();

        SqlEquality binary = equality(DataTypes.BYTES().getLogicalType());
        assertThat(binary.test(new byte[] {1, 2}, new byte[] {1, 2})).isTrue();
        assertThat(binary.test(new byte[0], new byte[0])).isTrue();
        assertThat(binary.test(new byte[] {1, 2}, new byte[] {1, 2, 0})).isFalse();
        assertThat(equality(DataTypes.BINARY(2).getLogicalType()).test(new byte[2], new byte[2]))
                .isTrue();
    }

    @Test
    void timestampsCompareByInstant() {
        LocalDateTime time = LocalDateTime.of(2026, 1, 1, 0, 0, 0, 123_456_789);
        SqlEquality timestamps = equality(DataTypes.TIMESTAMP(9).getLogicalType());
        assertThat(
                        timestamps.test(
                                TimestampData.fromLocalDateTime(time),
                                TimestampData.fromEpochMillis(
                                        TimestampData.fromLocalDateTime(time).getMillisecond(),
                                        456_789)))
                .isTrue();
        assertThat(
                        timestamps.test(
                                TimestampData.fromLocalDateTime(time),
                                TimestampData.fromLocalDateTime(time.plusNanos(1))))
                .isFalse();
        SqlEquality instants = equality(DataTypes.TIMESTAMP_LTZ(3).getLogicalType());
        assertThat(
                        instants.test(
                                TimestampData.fromEpochMillis(5), TimestampData.fromEpochMillis(5)))
                .isTrue();
    }

    @Test
    void otherTypesCompareByValue() {
        assertThat(equality(DataTypes.BIGINT().getLogicalType()).test(7L, 7L)).isTrue();
        assertThat(equality(DataTypes.BIGINT().getLogicalType()).test(7L, 8L)).isFalse();
        assertThat(equality(DataTypes.BOOLEAN().getLogicalType()).test(false, false)).isTrue();
        assertThat(equality(DataTypes.DATE().getLogicalType()).test(20_000, 20_000)).isTrue();
        assertThat(equality(DataTypes.TINYINT().getLogicalType()).test((byte) 1, (byte) 2))
                .isFalse();
    }

    @Test
    void aTypeAKilnTableCannotStoreIsRefused() {
        assertThatThrownBy(() -> SqlEquality.of(DataTypes.ARRAY(DataTypes.INT()).getLogicalType()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ARRAY<INT>");
    }

    private static SqlEquality equality(LogicalType type) {
        return SqlEquality.of(type);
    }

    private static DecimalData decimal(String value, int precision, int scale) {
        return DecimalData.fromBigDecimal(new BigDecimal(value), precision, scale);
    }
}
