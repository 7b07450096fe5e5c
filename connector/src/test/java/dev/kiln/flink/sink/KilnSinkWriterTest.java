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

package dev.kiln.flink.sink;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.InvalidRowException;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

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
                SinkFixtures.writerMetrics());
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
    void aKeyOnlyDeleteOfATableWithNotNullValuesRemovesTheKey() throws Exception {
        RowType type =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("amount", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("name", DataTypes.STRING().notNull()))
                                .getLogicalType();
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(type, List.of("id")),
                                        List.of("id"))
                                .bucketCount(2)
                                .build());
        ExecutorService io = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator();
                KilnSinkWriter<RowData> writer =
                        new KilnSinkWriter<>(
                                table,
                                table.options(),
                                type,
                                row -> row,
                                1 << 20,
                                null,
                                SinkFixtures.writerMetrics())) {
            for (long id = 1; id <= 3; id++) {
                writer.write(GenericRowData.of(id, id * 10, StringData.fromString("n" + id)), null);
            }
            commit(table, 1, writer.prepareCommit());

            // Upsert streams send deletes that carry only the key.
            writer.write(GenericRowData.ofKind(RowKind.DELETE, 1L, null, null), null);
            writer.write(GenericRowData.ofKind(RowKind.UPDATE_BEFORE, 2L, null, null), null);
            commit(table, 2, writer.prepareCommit());

            List<LookupResult> answers =
                    table.snapshot(GenerationLookup.direct(RangeReader.onFileSystem(io), allocator))
                            .lookupAll(
                                    List.of(
                                            table.options().keyCodec().encode(1L),
                                            table.options().keyCodec().encode(2L),
                                            table.options().keyCodec().encode(3L)))
                            .get(1, TimeUnit.MINUTES);
            assertThat(answers)
                    .extracting(LookupResult::status)
                    .containsExactly(
                            LookupResult.Status.ABSENT,
                            LookupResult.Status.FOUND,
                            LookupResult.Status.FOUND);
        } finally {
            io.shutdownNow();
        }
    }

    @Test
    void aNullValueInANotNullColumnOfAnUpsertStillFailsNamingTheColumn() throws Exception {
        RowType type =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("amount", DataTypes.BIGINT().notNull()))
                                .getLogicalType();
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(type, List.of("id")),
                                        List.of("id"))
                                .build());
        try (KilnSinkWriter<RowData> writer =
                new KilnSinkWriter<>(
                        table,
                        table.options(),
                        type,
                        row -> row,
                        1 << 20,
                        null,
                        SinkFixtures.writerMetrics())) {
            for (RowKind kind : List.of(RowKind.INSERT, RowKind.UPDATE_AFTER)) {
                assertThatThrownBy(() -> writer.write(GenericRowData.ofKind(kind, 1L, null), null))
                        .isInstanceOf(InvalidRowException.class)
                        .hasMessageContaining("'amount' is NOT NULL");
            }
            assertThatThrownBy(
                            () ->
                                    writer.write(
                                            GenericRowData.ofKind(RowKind.DELETE, null, 5L), null))
                    .as("a delete needs its key")
                    .isInstanceOf(InvalidRowException.class)
                    .hasMessageContaining("'id'");
        }
    }

    private static void commit(
            KilnTable table, long checkpoint, java.util.Collection<WrittenGeneration> written)
            throws java.io.IOException {
        table.commit(
                new Commit(
                        "w",
                        checkpoint,
                        written.stream().map(WrittenGeneration::generation).toList(),
                        List.of()));
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

    @Test
    void closingAfterAFailureDoesNotThrowOverItButWithoutOneReportsHeldMemory() throws Exception {
        KilnTable table = SinkFixtures.createTable(new Path(dir.resolve("t").toUri()), 2);
        // Memory still held at close, as a codec failing mid-page used to leave it inside Arrow.
        // After the task failed, close must not throw a second exception in Flink's failure
        // handler; without a failure, the same close reports the held memory. (The allocators'
        // root is left unclosed: memory held by a closed allocator cannot be released.)
        RootAllocator root = new RootAllocator();
        BufferAllocator failedMemory = root.newChildAllocator("failed", 0, Long.MAX_VALUE);
        KilnSinkWriter<RowData> failed = writer(table, failedMemory);
        failed.write(GenericRowData.of(1L, 1L, StringData.fromString("a")), null);
        failedMemory.buffer(64);
        assertThatThrownBy(
                        () ->
                                failed.write(
                                        GenericRowData.of(null, 1L, StringData.fromString("x")),
                                        null))
                .isInstanceOf(InvalidRowException.class);
        failed.close(); // logs, does not throw

        BufferAllocator healthyMemory = root.newChildAllocator("healthy", 0, Long.MAX_VALUE);
        KilnSinkWriter<RowData> healthy = writer(table, healthyMemory);
        healthyMemory.buffer(64);
        assertThatThrownBy(healthy::close)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("leak");
    }

    private KilnSinkWriter<RowData> writer(KilnTable table, BufferAllocator allocator) {
        return new KilnSinkWriter<>(
                table,
                table.options(),
                SinkTestData.ROW_TYPE,
                row -> row,
                1 << 20,
                null,
                null,
                SinkFixtures.writerMetrics(),
                allocator);
    }
}
