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
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowDataReader;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.table.VersionExpiredException;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The source's reader: a bounded snapshot split, and a restore that continues where it was. */
class KilnSourceReaderTest {

    private static final RowType ROW_TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    @Test
    void restoredReaderSkipsTheRowsItEmitted() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        List<GenerationRef> generations = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
            generations.add(write(table, g));
        }
        long version = table.commit(new Commit("test", 1, generations, List.of())).version();
        int[] columns = {1, 0};
        RowType produced =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("name", DataTypes.STRING()),
                                        DataTypes.FIELD("id", DataTypes.BIGINT().notNull()))
                                .getLogicalType();

        Context context = new Context();
        Output output = new Output();
        List<BucketSplit> state;
        try (KilnSourceReader reader = reader(context, path, produced, columns)) {
            reader.start();
            assertThat(reader.pollNext(output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(reader.isAvailable()).isNotDone();
            reader.addSplits(List.of(snapshotSplit(version, 0, table)));
            assertThat(reader.isAvailable()).isDone();
            while (output.rows.size() < 20) {
                assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE);
            }
            state = reader.snapshotState(1);
        }
        assertThat(state).containsExactly(snapshotSplit(version, 20, table));

        Context restoredContext = new Context();
        try (KilnSourceReader reader = reader(restoredContext, path, produced, columns)) {
            reader.addSplits(state);
            reader.start();
            InputStatus status;
            do {
                status = reader.pollNext(output);
            } while (status == InputStatus.MORE_AVAILABLE);
            assertThat(status).isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(reader.snapshotState(2)).as("the bounded split is done").isEmpty();
            reader.notifyNoMoreSplits();
            assertThat(reader.pollNext(output)).isEqualTo(InputStatus.END_OF_INPUT);
        }

        RowDataReader expectedRows = new RowDataReader(produced);
        List<RowData> expected = new ArrayList<>();
        for (long id = 0; id < 50; id++) {
            // Generation 1 (newer) holds the odd ids.
            String name = (id % 2 == 1 ? "1-" : "0-") + id;
            expected.add(
                    expectedRows.read(List.of(new org.apache.arrow.vector.util.Text(name), id)));
        }
        assertThat(output.rows).containsExactlyElementsOf(expected);
    }

    /**
     * A split following the table emits, per version, the newest row of each key its added
     * generations hold: +U for values, -D with only the key for a tombstone; a version that only
     * compacts emits nothing, and the position moves past it.
     */
    @Test
    void aFollowingSplitEmitsEachVersionsChangesAndNothingForACompaction() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        GenerationRef first = write(table, 0);
        long v1 = table.commit(new Commit("test", 1, List.of(first), List.of())).version();
        GenerationRef changes =
                writeRows(
                        table,
                        GenericRowData.of(3L, StringData.fromString("three")),
                        GenericRowData.ofKind(org.apache.flink.types.RowKind.DELETE, 4L, null),
                        GenericRowData.of(60L, StringData.fromString("sixty")));
        long v2 = table.commit(new Commit("test", 2, List.of(changes), List.of())).version();
        GenerationRef merged = write(table, 2);
        long v3 =
                table.commit(
                                new Commit(
                                        "test",
                                        3,
                                        List.of(),
                                        List.of(),
                                        List.of(
                                                new dev.kiln.table.Compaction(
                                                        0,
                                                        merged,
                                                        List.of(first.path(), changes.path())))))
                        .version();
        Output output = new Output();
        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            reader.start();
            reader.addSplits(
                    List.of(
                            new BucketSplit(
                                    0, v1, false, 0, BucketSplit.NO_STOP, table.tableId())));
            assertThat(reader.pollNext(output))
                    .as("no version announced yet")
                    .isEqualTo(InputStatus.NOTHING_AVAILABLE);
            reader.handleSourceEvents(new LatestVersionEvent(v3));
            assertThat(reader.isAvailable()).isDone();
            InputStatus status;
            do {
                status = reader.pollNext(output);
            } while (status == InputStatus.MORE_AVAILABLE);
            assertThat(status).isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(reader.snapshotState(1))
                    .containsExactly(
                            new BucketSplit(0, v3, false, 0, BucketSplit.NO_STOP, table.tableId()));
        }
        assertThat(output.rows)
                .containsExactly(
                        GenericRowData.ofKind(
                                org.apache.flink.types.RowKind.UPDATE_AFTER,
                                3L,
                                StringData.fromString("three")),
                        GenericRowData.ofKind(org.apache.flink.types.RowKind.DELETE, 4L, null),
                        GenericRowData.ofKind(
                                org.apache.flink.types.RowKind.UPDATE_AFTER,
                                60L,
                                StringData.fromString("sixty")));
    }

    /**
     * A scan whose version expires and loses its files mid-scan fails with the typed error naming
     * the version; a file lost from a version still retained stays a FileNotFoundException.
     */
    @Test
    void aScanWhoseVersionExpiresMidScanFailsNamingIt() throws Exception {
        for (boolean expire : new boolean[] {true, false}) {
            Path path = new Path(dir.resolve("t-" + expire).toUri());
            KilnTable table = create(path);
            GenerationRef scanned = write(table, 0);
            long version =
                    table.commit(new Commit("test", 1, List.of(scanned), List.of())).version();
            table.commit(new Commit("test", 2, List.of(write(table, 1)), List.of()));
            int[] columns = {0, 1};
            Output output = new Output();
            try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, columns)) {
                reader.start();
                reader.addSplits(List.of(snapshotSplit(version, 0, table)));
                while (output.rows.size() < 5) {
                    assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE);
                }
                if (expire) {
                    assertThat(
                                    table.expireVersions(
                                            1,
                                            Duration.ZERO,
                                            Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                            .contains(version);
                }
                Files.delete(Paths.get(table.resolve(scanned.path()).toUri()));

                Throwable failure = catchThrowable(() -> drain(reader, output));
                if (expire) {
                    assertThat(failure)
                            .isInstanceOf(VersionExpiredException.class)
                            .hasMessageContaining("version " + version + " has expired");
                } else {
                    assertThat(failure).isInstanceOf(FileNotFoundException.class);
                }
            }
        }
    }

    private static KilnSourceReader reader(
            Context context, Path path, RowType produced, int[] columns) {
        return new KilnSourceReader(
                context,
                new SourceSettings(
                        path,
                        StartingPosition.fullThenFollow(),
                        true,
                        BucketSplit.NO_STOP,
                        KilnSource.DEFAULT_POLL_INTERVAL,
                        OnVersionExpired.FAIL,
                        options -> {},
                        true),
                produced,
                columns);
    }

    /** A split of bucket 0 reading the full snapshot of {@code version} and stopping there. */
    private static BucketSplit snapshotSplit(long version, long rowsEmitted, KilnTable table) {
        return new BucketSplit(0, version, true, rowsEmitted, version, table.tableId());
    }

    private static void drain(KilnSourceReader reader, Output output) throws Exception {
        while (reader.pollNext(output) == InputStatus.MORE_AVAILABLE) {
            // Reads on until the missing file is needed.
        }
    }

    private static KilnTable create(Path path) throws IOException {
        return KilnTable.create(
                path,
                TableOptions.builder(
                                FlinkArrowTypes.toArrowSchema(ROW_TYPE, List.of("id")),
                                List.of("id"))
                        .bucketCount(1)
                        .targetPageBytes(64)
                        .build());
    }

    /** Writes {@code rows} (a DELETE row is a tombstone) as a generation of bucket 0. */
    private static GenerationRef writeRows(KilnTable table, RowData... rows) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
                RowDataMemtable memtable =
                        new RowDataMemtable(ROW_TYPE, table.options(), allocator)) {
            for (RowData row : rows) {
                memtable.add(row);
            }
            String relative = table.newGenerationPath(0);
            return GenerationRef.of(relative, 0, memtable.flush(table.resolve(relative)));
        }
    }

    /** Writes generation {@code g}: ids {@code g, g + 1 + g, ...} below 50, named "g-id". */
    private static GenerationRef write(KilnTable table, int g) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
                RowDataMemtable memtable =
                        new RowDataMemtable(ROW_TYPE, table.options(), allocator)) {
            for (long id = g; id < 50; id += 1 + g) {
                memtable.add(GenericRowData.of(id, StringData.fromString(g + "-" + id)));
            }
            String relative = table.newGenerationPath(0);
            return GenerationRef.of(relative, 0, memtable.flush(table.resolve(relative)));
        }
    }

    private static final class Context implements SourceReaderContext {

        @Override
        public SourceReaderMetricGroup metricGroup() {
            return UnregisteredMetricsGroup.createSourceReaderMetricGroup();
        }

        @Override
        public Configuration getConfiguration() {
            return new Configuration();
        }

        @Override
        public String getLocalHostName() {
            return "localhost";
        }

        @Override
        public int getIndexOfSubtask() {
            return 0;
        }

        @Override
        public void sendSplitRequest() {}

        @Override
        public void sendSourceEventToCoordinator(SourceEvent sourceEvent) {}

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return SimpleUserCodeClassLoader.create(getClass().getClassLoader());
        }
    }

    private static final class Output implements ReaderOutput<RowData> {
        final List<RowData> rows = new ArrayList<>();

        @Override
        public void collect(RowData record) {
            rows.add(record);
        }

        @Override
        public void collect(RowData record, long timestamp) {
            rows.add(record);
        }

        @Override
        public void emitWatermark(Watermark watermark) {}

        @Override
        public void markIdle() {}

        @Override
        public void markActive() {}

        @Override
        public SourceOutput<RowData> createOutputForSplit(String splitId) {
            return this;
        }

        @Override
        public void releaseOutputForSplit(String splitId) {}
    }
}
