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

package dev.kiln.flink;

import dev.kiln.table.KilnTable;

import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.runtime.metrics.groups.InternalSinkWriterMetricGroup;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sink writer over a real table. */
class KilnSinkWriterTest {

    @TempDir java.nio.file.Path dir;

    private KilnSinkWriter<RowData> writer(KilnTable table, long memtableBytes) {
        return new KilnSinkWriter<>(
                table,
                table.options(),
                SinkTestData.ROW_TYPE,
                row -> row,
                memtableBytes,
                null,
                InternalSinkWriterMetricGroup.wrap(
                        UnregisteredMetricsGroup.createOperatorMetricGroup()));
    }

    @Test
    void flushesABucketPastItsSizeBoundAndEveryBucketOnPrepareCommit() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 3);
        try (KilnSinkWriter<RowData> writer = writer(table, 2_000)) {
            for (long i = 0; i < 300; i++) {
                writer.write(SinkTestData.toRow(SinkTestData.event(i)), null);
            }
            List<WrittenGeneration> written = new ArrayList<>(writer.prepareCommit());
            assertThat(written.size())
                    .as("more than one per bucket: the bound flushed")
                    .isGreaterThan(3);
            assertThat(written)
                    .extracting(WrittenGeneration::flushSequence)
                    .isSorted()
                    .doesNotHaveDuplicates();
            for (WrittenGeneration g : written) {
                assertThat(
                                table.resolve(g.generation().path())
                                        .getFileSystem()
                                        .getFileStatus(table.resolve(g.generation().path()))
                                        .getLen())
                        .isEqualTo(g.generation().sizeBytes());
            }
            assertThat(written.stream().mapToLong(g -> g.generation().rowCount()).sum())
                    .isEqualTo(300);
            assertThat(writer.prepareCommit()).as("nothing left").isEmpty();

            writer.write(SinkTestData.toRow(SinkTestData.event(1)), null);
            assertThat(writer.prepareCommit())
                    .singleElement()
                    .satisfies(
                            g ->
                                    assertThat(g.flushSequence())
                                            .isGreaterThan(
                                                    written.get(written.size() - 1)
                                                            .flushSequence()));
        }
    }

    @Test
    void aNullKeyFailsNamingTheColumn() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 2);
        try (KilnSinkWriter<RowData> writer = writer(table, 1 << 20)) {
            assertThatThrownBy(
                            () ->
                                    writer.write(
                                            GenericRowData.of(null, 1L, StringData.fromString("x")),
                                            null))
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("id");
        }
    }
}
