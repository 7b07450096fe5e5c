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

import dev.kiln.table.TableOptions;

import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;

import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FlinkArrowTypesTest {

    /** Every scalar SQL type Kiln stores, with the precisions and lengths Arrow cannot express. */
    static final RowType ALL_TYPES =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("flag", DataTypes.BOOLEAN()),
                                    DataTypes.FIELD("tiny", DataTypes.TINYINT()),
                                    DataTypes.FIELD("small", DataTypes.SMALLINT()),
                                    DataTypes.FIELD("i", DataTypes.INT()),
                                    DataTypes.FIELD("big", DataTypes.BIGINT()),
                                    DataTypes.FIELD("f", DataTypes.FLOAT()),
                                    DataTypes.FIELD("d", DataTypes.DOUBLE()),
                                    DataTypes.FIELD("dec", DataTypes.DECIMAL(38, 10)),
                                    DataTypes.FIELD("small_dec", DataTypes.DECIMAL(5, 2)),
                                    DataTypes.FIELD("c", DataTypes.CHAR(3)),
                                    DataTypes.FIELD("vc", DataTypes.VARCHAR(20)),
                                    DataTypes.FIELD("s", DataTypes.STRING()),
                                    DataTypes.FIELD("bin", DataTypes.BINARY(4)),
                                    DataTypes.FIELD("vbin", DataTypes.VARBINARY(10)),
                                    DataTypes.FIELD("bytes", DataTypes.BYTES()),
                                    DataTypes.FIELD("day", DataTypes.DATE()),
                                    DataTypes.FIELD("t0", DataTypes.TIME(0)),
                                    DataTypes.FIELD("t3", DataTypes.TIME(3)),
                                    DataTypes.FIELD("ts0", DataTypes.TIMESTAMP(0)),
                                    DataTypes.FIELD("ts3", DataTypes.TIMESTAMP(3)),
                                    DataTypes.FIELD("ts6", DataTypes.TIMESTAMP(6)),
                                    DataTypes.FIELD("ts9", DataTypes.TIMESTAMP(9)),
                                    DataTypes.FIELD("ltz3", DataTypes.TIMESTAMP_LTZ(3)),
                                    DataTypes.FIELD("ltz6", DataTypes.TIMESTAMP_LTZ(6)),
                                    DataTypes.FIELD("ltz9", DataTypes.TIMESTAMP_LTZ(9)),
                                    DataTypes.FIELD(
                                            "ym",
                                            DataTypes.INTERVAL(
                                                    DataTypes.YEAR(), DataTypes.MONTH())),
                                    DataTypes.FIELD(
                                            "dt",
                                            DataTypes.INTERVAL(
                                                    DataTypes.DAY(), DataTypes.SECOND(3))))
                            .getLogicalType();

    @Test
    void everyScalarTypeRoundTripsExactly() {
        Schema schema = FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("id"));

        assertThat(FlinkArrowTypes.toRowType(schema)).isEqualTo(ALL_TYPES);
    }

    @Test
    void tableOptionsOfARowTypeNameNoArrowTypeAndRoundTrip() {
        TableOptions options =
                FlinkArrowTypes.tableOptions(ALL_TYPES, List.of("id")).bucketCount(3).build();

        assertThat(options.primaryKey()).containsExactly("id");
        assertThat(options.bucketCount()).isEqualTo(3);
        assertThat(options.schema())
                .isEqualTo(FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("id")));
        assertThat(FlinkArrowTypes.rowType(options)).isEqualTo(ALL_TYPES);
        assertThatThrownBy(() -> FlinkArrowTypes.tableOptions(ALL_TYPES, List.of("nope")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("nope");
    }

    @Test
    void primaryKeyColumnsAreNotNullable() {
        RowType nullableKey =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("k", DataTypes.STRING()),
                                        DataTypes.FIELD("v", DataTypes.INT()))
                                .getLogicalType();

        Schema schema = FlinkArrowTypes.toArrowSchema(nullableKey, List.of("k"));

        assertThat(schema.findField("k").isNullable()).isFalse();
        assertThat(schema.findField("v").isNullable()).isTrue();
        assertThat(FlinkArrowTypes.toRowType(schema).getTypeAt(0).isNullable()).isFalse();
    }

    @Test
    void withoutRecordedTypesArrowTypesMapToTheirWidestFlinkType() {
        Schema recorded = FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("id"));
        Schema plain =
                new Schema(
                        recorded.getFields().stream()
                                .filter(f -> !f.getName().equals("ym") && !f.getName().equals("dt"))
                                .map(
                                        f ->
                                                new Field(
                                                        f.getName(),
                                                        new FieldType(
                                                                f.isNullable(), f.getType(), null),
                                                        null))
                                .toList());

        RowType inferred = FlinkArrowTypes.toRowType(plain);

        assertThat(inferred.getTypeAt(inferred.getFieldIndex("c")))
                .isEqualTo(DataTypes.STRING().getLogicalType());
        assertThat(inferred.getTypeAt(inferred.getFieldIndex("ts9")))
                .isEqualTo(DataTypes.TIMESTAMP(9).getLogicalType());
        assertThat(inferred.getTypeAt(inferred.getFieldIndex("ltz6")))
                .isEqualTo(DataTypes.TIMESTAMP_LTZ(6).getLogicalType());
        assertThat(inferred.getTypeAt(inferred.getFieldIndex("id")).isNullable()).isFalse();
    }

    @Test
    void unsupportedTypesAreRejectedNamingTheColumn() {
        RowType withArray =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("id", DataTypes.INT()),
                                        DataTypes.FIELD(
                                                "tags", DataTypes.ARRAY(DataTypes.STRING())))
                                .getLogicalType();

        assertThatThrownBy(() -> FlinkArrowTypes.toArrowSchema(withArray, List.of("id")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'tags'")
                .hasMessageContaining("ARRAY");
    }

    @Test
    void primaryKeysAreValidated() {
        assertThatThrownBy(() -> FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("primary key");
        assertThatThrownBy(() -> FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("nope")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("'nope'");
        assertThatThrownBy(() -> FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("id", "id")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("twice");
    }

    @Test
    void differenceNamesTheFirstColumnThatDiffers() {
        List<Field> table = FlinkArrowTypes.toArrowSchema(ALL_TYPES, List.of("id")).getFields();

        assertThat(FlinkArrowTypes.difference(table, table)).isNull();
        assertThat(FlinkArrowTypes.difference(table, schemaOf("id", DataTypes.BIGINT().notNull())))
                .contains("'flag'")
                .contains("not declared");
        assertThat(
                        FlinkArrowTypes.difference(
                                schemaOf("id", DataTypes.BIGINT().notNull()),
                                schemaOf("id", DataTypes.INT().notNull())))
                .contains("'id'")
                .contains("BIGINT")
                .contains("INT");
        assertThat(
                        FlinkArrowTypes.difference(
                                schemaOf("s", DataTypes.VARCHAR(10)),
                                schemaOf("s", DataTypes.VARCHAR(20))))
                .as("a VARCHAR's bound is part of its type, though Arrow stores both as Utf8")
                .contains("VARCHAR(10)")
                .contains("VARCHAR(20)");
        assertThat(
                        FlinkArrowTypes.difference(
                                schemaOf("x", DataTypes.INT().notNull()),
                                schemaOf("y", DataTypes.INT().notNull())))
                .contains("'x'")
                .contains("'y'");
    }

    private static List<Field> schemaOf(String name, DataType type) {
        LogicalType logical = type.getLogicalType();
        RowType row = RowType.of(new LogicalType[] {logical}, new String[] {name});
        return FlinkArrowTypes.toArrowSchema(row, List.of(name)).getFields();
    }
}
