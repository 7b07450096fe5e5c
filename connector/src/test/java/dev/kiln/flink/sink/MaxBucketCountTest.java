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
import dev.kiln.flink.data.RowDataMemtableTest;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.flink.table.KilnDynamicTableFactory;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.Snapshot;
import dev.kiln.table.TableOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.metrics.groups.SinkWriterMetricGroup;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.CatalogTable;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ObjectIdentifier;
import org.apache.flink.table.catalog.ResolvedCatalogTable;
import org.apache.flink.table.catalog.ResolvedSchema;
import org.apache.flink.table.catalog.UniqueConstraint;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.factories.FactoryUtil;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A table of {@link TableOptions#MAX_BUCKET_COUNT} buckets is written, compacted and read with a
 * few rows, and nothing on the way allocates per bucket of the count: each step's heap allocation
 * (measured on the thread that runs it) stays far below one word per bucket.
 */
class MaxBucketCountTest {

    /** Well below the {@value TableOptions#MAX_BUCKET_COUNT} words one array per bucket takes. */
    private static final long SMALL_BYTES = 64 * 1024;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService io;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void tearDown() {
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void aBucketCountAboveTheMaximumIsRefusedWhereverItIsSetNamingTheOption() {
        for (int count : new int[] {TableOptions.MAX_BUCKET_COUNT + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(
                            () ->
                                    TableOptions.builder(
                                                    FlinkArrowTypes.toArrowSchema(
                                                            SinkTestData.ROW_TYPE,
                                                            SinkTestData.KEY),
                                                    SinkTestData.KEY)
                                            .bucketCount(count))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bucketCount must be at most 32768, but was " + count);
            assertThatThrownBy(
                            () ->
                                    KilnSink.forRowData(
                                                    new Path(dir.resolve("t").toUri()),
                                                    SinkTestData.ROW_TYPE,
                                                    SinkTestData.KEY)
                                            .bucketCount(count))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("bucketCount must be at most 32768, but was " + count);
            assertThatThrownBy(() -> planSqlSink(count))
                    .isInstanceOf(ValidationException.class)
                    .hasStackTraceContaining(
                            "Invalid value for option 'bucket' of the 'kiln' connector: must be at"
                                    + " most 32768, but was "
                                    + count);
        }
        assertThat(dir.resolve("t")).as("no table was created").doesNotExist();
        planSqlSink(TableOptions.MAX_BUCKET_COUNT);
        assertThat(dir.resolve("t").resolve("_kiln/table.json")).exists();
    }

    @Test
    void aTableOfTheMaximumBucketCountIsWrittenCompactedAndReadWithoutPerBucketMemory()
            throws Exception {
        KilnTable table =
                SinkFixtures.createTable(
                        new Path(dir.resolve("t").toUri()), TableOptions.MAX_BUCKET_COUNT);
        Map<Long, RowData> expected = new HashMap<>();
        for (long checkpoint = 1; checkpoint <= 3; checkpoint++) {
            List<RowData> rows = new ArrayList<>();
            for (long id = 0; id < 5; id++) {
                RowData row = SinkTestData.toRow(SinkTestData.event(id + 500 * checkpoint));
                rows.add(row);
                expected.put(id, row);
            }
            long before = allocated();
            KilnSinkWriter<RowData> writer = writer(table);
            long constructed = allocated() - before;
            try (writer) {
                for (RowData row : rows) {
                    writer.write(row, null);
                }
                List<WrittenGeneration> written = new ArrayList<>(writer.prepareCommit());
                assertThat(written).hasSize(5);
                table.commit(
                        new Commit(
                                "w",
                                checkpoint,
                                written.stream().map(WrittenGeneration::generation).toList(),
                                List.of()));
            }
            if (checkpoint > 1) { // the first pays for loading classes
                assertThat(constructed)
                        .as("bytes allocated by a new writer")
                        .isLessThan(SMALL_BYTES);
            }
        }

        Manifest base = table.latestManifest();
        Compactor compactor =
                new Compactor(
                        table,
                        RangeReader.onFileSystem(io),
                        allocator,
                        CompactionPolicy.builder().maxGenerations(1).build());
        compactor.rewrite(base, java.util.Set.of());
        long before = allocated();
        assertThat(compactor.rewrite(base, java.util.Set.of())).as("no bucket asked for").isEmpty();
        assertThat(allocated() - before)
                .as("bytes allocated by planning no compaction")
                .isLessThan(SMALL_BYTES);
        Manifest compacted =
                table.commit(
                        new Commit("c", 1, List.of(), List.of(), compactor.rewrite(base, null)));
        assertThat(compacted.generations()).hasSizeBetween(1, 5);

        GenerationLookup lookup = GenerationLookup.direct(RangeReader.onFileSystem(io), allocator);
        table.snapshot(compacted, lookup);
        before = allocated();
        Snapshot snapshot = table.snapshot(compacted, lookup);
        assertThat(allocated() - before)
                .as("bytes allocated by a snapshot")
                .isLessThan(SMALL_BYTES);
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < 6; id++) {
            keys.add(table.options().keyCodec().encode(id));
        }
        List<LookupResult> answers = snapshot.lookupAll(keys).get(1, TimeUnit.MINUTES);
        RowDataReader reader = new RowDataReader(SinkTestData.ROW_TYPE);
        for (int id = 0; id < 6; id++) {
            RowData row = expected.get((long) id);
            if (row == null || row.getRowKind() == org.apache.flink.types.RowKind.DELETE) {
                assertThat(answers.get(id).status()).isEqualTo(LookupResult.Status.ABSENT);
            } else {
                assertThat(answers.get(id).status()).isEqualTo(LookupResult.Status.FOUND);
                RowDataMemtableTest.assertSameRow(reader.read(answers.get(id).values()), row);
            }
        }
    }

    private KilnSinkWriter<RowData> writer(KilnTable table) {
        SinkWriterMetricGroup metrics = SinkFixtures.writerMetrics();
        return new KilnSinkWriter<>(
                table,
                table.options(),
                SinkTestData.ROW_TYPE,
                row -> row,
                1 << 20,
                new WriterCompaction(table, CompactionPolicy.builder().build(), 0, 1, metrics),
                metrics);
    }

    /** Plans a SQL sink of {@code (id, v, s)} keyed by id with {@code 'bucket' = count}. */
    private void planSqlSink(int count) {
        ResolvedSchema schema =
                new ResolvedSchema(
                        List.of(
                                Column.physical("id", DataTypes.BIGINT().notNull()),
                                Column.physical("v", DataTypes.BIGINT()),
                                Column.physical("s", DataTypes.STRING())),
                        List.of(),
                        UniqueConstraint.primaryKey("pk", List.of("id")));
        CatalogTable table =
                CatalogTable.newBuilder()
                        .schema(Schema.newBuilder().fromResolvedSchema(schema).build())
                        .options(
                                Map.of(
                                        "connector",
                                        KilnDynamicTableFactory.IDENTIFIER,
                                        "path",
                                        new Path(dir.resolve("t").toUri()).toString(),
                                        "bucket",
                                        Integer.toString(count)))
                        .build();
        FactoryUtil.createDynamicTableSink(
                        new KilnDynamicTableFactory(),
                        ObjectIdentifier.of("c", "d", "t"),
                        new ResolvedCatalogTable(table, schema),
                        Map.of(),
                        new Configuration(),
                        getClass().getClassLoader(),
                        false)
                .getSinkRuntimeProvider(null);
    }

    /** Heap bytes the current thread has allocated so far. */
    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
