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

import dev.kiln.flink.source.KilnSource;
import dev.kiln.flink.source.StartingPosition;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.types.logical.RowType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A changelog's {@code -D} rows set only the key's columns: the types it produces leave room for
 * that. The DataStream source makes every column nullable; SQL refuses, at planning, a changelog
 * scan that would emit a null into a NOT NULL column outside the key (Flink's row serializers read
 * such a field without a null check, so the job would fail on the first delete).
 */
class ChangelogTypesTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING().notNull()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void aChangelogSourceProducesNullableColumnsAndABoundedScanKeepsTheTypes() {
        Path path = new Path(dir.resolve("t").toUri());
        KilnSource changelog = KilnSource.builder(path).rowType(ROW_TYPE).build();
        assertThat(changelog.producedRowType().getChildren())
                .allSatisfy(type -> assertThat(type.isNullable()).isTrue());
        KilnSource fromVersion =
                KilnSource.builder(path)
                        .rowType(ROW_TYPE)
                        .startingFrom(StartingPosition.fromVersion(3))
                        .stoppingAtLatest()
                        .build();
        assertThat(fromVersion.producedRowType().getChildren())
                .allSatisfy(type -> assertThat(type.isNullable()).isTrue());
        KilnSource scan = KilnSource.builder(path).rowType(ROW_TYPE).stoppingAtLatest().build();
        assertThat(scan.producedRowType()).isEqualTo(ROW_TYPE);
    }

    @Test
    void sqlRefusesAChangelogScanOfANotNullValueColumn() {
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tables.executeSql(
                "CREATE TABLE t (id BIGINT NOT NULL, name STRING NOT NULL, note STRING,"
                        + " PRIMARY KEY (id) NOT ENFORCED) WITH ('connector' = 'kiln', 'path' = '"
                        + dir.resolve("t").toUri()
                        + "')");
        assertThat(tables.explainSql("SELECT * FROM t")).as("a snapshot scan").isNotEmpty();
        assertThat(
                        tables.explainSql(
                                "SELECT id, note FROM t /*+ OPTIONS('scan.mode' = 'latest') */"))
                .as("the NOT NULL column is not read")
                .isNotEmpty();
        assertThatThrownBy(
                        () ->
                                tables.explainSql(
                                        "SELECT * FROM t /*+ OPTIONS('scan.mode' ="
                                                + " 'latest-full') */"))
                .isInstanceOf(ValidationException.class)
                .hasMessage(
                        "Table default_catalog.default_database.t: a changelog scan ('scan.mode'"
                                + " = 'latest-full') emits deletes with only the primary key's"
                                + " columns set, so column 'name' must be nullable: declare it"
                                + " without NOT NULL");
    }
}
