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

package dev.kiln.flink.source;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableOptions;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.InstantiationUtil;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The source's builder: what it validates, the type it produces, its boundedness. */
class KilnSourceBuilderTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()),
                                    DataTypes.FIELD("d", DataTypes.DOUBLE()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void settersRejectWhatTheyCannotUseNamingIt() {
        KilnSource.Builder builder = KilnSource.builder(path());
        assertThatThrownBy(() -> builder.stoppingAt(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stop version");
        assertThatThrownBy(() -> builder.stoppingAt(BucketSplit.NO_STOP))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder.pollInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("poll interval");
        assertThatThrownBy(() -> builder.pollInterval(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> StartingPosition.fromVersion(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> builder.rowType(ROW_TYPE).projection(new int[] {0, 3}).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 3");
    }

    @Test
    void withoutARowTypeTheTableMustExist() throws Exception {
        assertThatThrownBy(() -> KilnSource.builder(path()).build())
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("rowType(...)")
                .hasCauseInstanceOf(TableNotFoundException.class);

        KilnTable.create(
                path(),
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                List.of("id"))
                        .build());
        KilnSource source =
                KilnSource.builder(path()).projection(new int[] {2, 0}).stoppingAtLatest().build();
        assertThat(source.producedRowType())
                .as("a bounded scan keeps the table's types")
                .isEqualTo(
                        DataTypes.ROW(
                                        DataTypes.FIELD("d", DataTypes.DOUBLE()),
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()))
                                .getLogicalType());
        assertThat(
                        KilnSource.builder(path())
                                .projection(new int[] {2, 0})
                                .build()
                                .producedRowType())
                .as("a changelog's deletes leave non-key columns null: every column is nullable")
                .isEqualTo(
                        DataTypes.ROW(
                                        DataTypes.FIELD("d", DataTypes.DOUBLE()),
                                        DataTypes.FIELD("id", DataTypes.BIGINT()))
                                .getLogicalType());
    }

    @Test
    void onlyAStopMakesItBoundedAndItSerializes() throws Exception {
        KilnSource.Builder builder = KilnSource.builder(path()).rowType(ROW_TYPE);
        assertThat(builder.build().getBoundedness()).isEqualTo(Boundedness.CONTINUOUS_UNBOUNDED);
        assertThat(builder.startingFrom(StartingPosition.latest()).build().getBoundedness())
                .isEqualTo(Boundedness.CONTINUOUS_UNBOUNDED);
        assertThat(builder.stoppingAtLatest().build().getBoundedness())
                .isEqualTo(Boundedness.BOUNDED);
        KilnSource stopped = builder.stoppingAt(7).build();
        assertThat(stopped.getBoundedness()).isEqualTo(Boundedness.BOUNDED);

        KilnSource copy =
                InstantiationUtil.clone(stopped, KilnSourceBuilderTest.class.getClassLoader());
        assertThat(copy.getBoundedness()).isEqualTo(Boundedness.BOUNDED);
        assertThat(copy.producedRowType()).isEqualTo(stopped.producedRowType());
    }

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }
}
