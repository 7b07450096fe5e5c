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
import dev.kiln.table.Compaction;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;
import dev.kiln.table.TableReplacedException;
import dev.kiln.table.UnknownChangesException;
import dev.kiln.table.VersionExpiredException;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceOutput;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.OperatorIOMetricGroup;
import org.apache.flink.metrics.groups.OperatorMetricGroup;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.apache.flink.metrics.testutils.MetricListener;
import org.apache.flink.runtime.metrics.groups.InternalSourceReaderMetricGroup;
import org.apache.flink.runtime.metrics.groups.ProxyMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.SimpleUserCodeClassLoader;
import org.apache.flink.util.UserCodeClassLoader;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.annotation.Nullable;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The source's reader, on real tables: snapshots and changes, restores in the middle of a unit,
 * bounded splits, several splits, expiry, a replaced table, strange rows and projections, metrics.
 */
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

    /**
     * A follower whose next version expired: with FAIL it fails naming that version; with
     * REREAD_LATEST it emits the latest version's full snapshot as +I, counts the re-read in {@code
     * expiredRereads}, and follows on from there.
     */
    @Test
    void aFollowerBehindExpiryFailsNamingTheVersionOrRereadsTheLatest() throws Exception {
        for (OnVersionExpired onExpired : OnVersionExpired.values()) {
            Path path = new Path(dir.resolve("t-" + onExpired).toUri());
            KilnTable table = create(path);
            long v1 =
                    table.commit(new Commit("test", 1, List.of(write(table, 0)), List.of()))
                            .version();
            long v2 = commit(table, 2, writeRows(table, row(3, "three"), row(4, "four")));
            MetricListener metrics = new MetricListener();
            OperatorIOMetricGroup io = io();
            Output output = new Output();
            try (KilnSourceReader reader =
                    reader(new Context(metrics, io), path, ROW_TYPE, new int[] {0, 1}, onExpired)) {
                reader.start();
                reader.addSplits(List.of(following(v1, table)));
                reader.handleSourceEvents(new LatestVersionEvent(v2));
                assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
                assertThat(output.rows).containsExactly(upsert(3, "three"), upsert(4, "four"));

                long v3 = commit(table, 3, writeRows(table, row(5, "five")));
                long v4 = commit(table, 4, writeRows(table, delete(3)));
                assertThat(
                                table.expireVersions(
                                        1,
                                        Duration.ZERO,
                                        Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                        .contains(v3);
                reader.handleSourceEvents(new LatestVersionEvent(v4));
                output.rows.clear();

                if (onExpired == OnVersionExpired.FAIL) {
                    Throwable failure = catchThrowable(() -> drainAll(reader, output));
                    assertThat(failure)
                            .isInstanceOf(VersionExpiredException.class)
                            .hasMessageContaining("version " + v3 + " has expired");
                    assertThat(((VersionExpiredException) failure).version()).isEqualTo(v3);
                    assertThat(output.rows).isEmpty();
                    assertThat(metrics.getCounter("kiln", "expiredRereads").get().getCount())
                            .isZero();
                    continue;
                }
                assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
                List<RowData> snapshot = new ArrayList<>();
                for (long id = 0; id < 50; id++) {
                    if (id == 3) {
                        continue;
                    }
                    String name = id == 4 ? "four" : id == 5 ? "five" : "0-" + id;
                    snapshot.add(GenericRowData.of(id, StringData.fromString(name)));
                }
                assertThat(output.rows).as("the latest version's snapshot").isEqualTo(snapshot);
                assertThat(metrics.getCounter("kiln", "expiredRereads").get().getCount())
                        .isEqualTo(1);
                assertThat(reader.snapshotState(1))
                        .containsExactly(
                                new BucketSplit(
                                        0, v4, false, 0, BucketSplit.NO_STOP, table.tableId()));
                assertThat(metrics.<Long>getGauge("kiln", "currentVersion").get().getValue())
                        .isEqualTo(v4);
                assertThat(metrics.<Long>getGauge("kiln", "versionLag").get().getValue()).isZero();

                output.rows.clear();
                long v5 = commit(table, 5, writeRows(table, row(60, "sixty")));
                reader.handleSourceEvents(new LatestVersionEvent(v5));
                assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
                assertThat(output.rows).containsExactly(upsert(60, "sixty"));
                assertThat(io.getNumRecordsInCounter().getCount()).isEqualTo(2 + 49 + 1);
                assertThat(metrics.getCounter("kiln", "expiredRereads").get().getCount())
                        .isEqualTo(1);
            }
        }
    }

    /**
     * A follower in the middle of a version's changes when that version expires and an orphan
     * cleanup removes its files: with FAIL it fails naming the version; with REREAD_LATEST it
     * re-reads the latest snapshot, as it does when the expiry is found between versions.
     */
    @Test
    void aFollowerWhoseVersionExpiresMidUnitFailsNamingItOrRereadsTheLatest() throws Exception {
        for (OnVersionExpired onExpired : OnVersionExpired.values()) {
            Path path = new Path(dir.resolve("t-" + onExpired).toUri());
            KilnTable table = create(path);
            GenerationRef first = write(table, 0);
            long v1 = commit(table, 1, first);
            List<RowData> changed = new ArrayList<>();
            for (long id = 0; id < 50; id++) {
                changed.add(row(id, "c-" + id));
            }
            GenerationRef changes = writeRows(table, changed.toArray(new RowData[0]));
            long v2 = commit(table, 2, changes);
            MetricListener metrics = new MetricListener();
            Output output = new Output();
            try (KilnSourceReader reader =
                    reader(
                            new Context(metrics, io()),
                            path,
                            ROW_TYPE,
                            new int[] {0, 1},
                            onExpired)) {
                reader.addSplits(List.of(following(v1, table)));
                reader.handleSourceEvents(new LatestVersionEvent(v2));
                while (output.rows.size() < 5) {
                    assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE);
                }

                // A compaction replaces both generations; v2 expires; a cleanup removes them.
                GenerationRef merged = writeRows(table, changed.toArray(new RowData[0]));
                table.commit(
                        new Commit(
                                "test",
                                3,
                                List.of(),
                                List.of(),
                                List.of(
                                        new Compaction(
                                                0,
                                                merged,
                                                List.of(first.path(), changes.path())))));
                long v4 = commit(table, 4, writeRows(table, row(60, "sixty")));
                assertThat(
                                table.expireVersions(
                                        1,
                                        Duration.ZERO,
                                        Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                        .contains(v2);
                for (GenerationRef gone : List.of(first, changes)) {
                    Files.setLastModifiedTime(
                            Paths.get(table.resolve(gone.path()).toUri()),
                            FileTime.fromMillis(1_000));
                }
                assertThat(table.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC()))
                        .hasSize(2);
                long latest = table.latestVersion();
                assertThat(latest).as("the cleanup's claim").isEqualTo(v4 + 1);
                reader.handleSourceEvents(new LatestVersionEvent(latest));
                output.rows.clear();

                Throwable failure = catchThrowable(() -> drainAll(reader, output));
                if (onExpired == OnVersionExpired.FAIL) {
                    assertThat(failure)
                            .isInstanceOf(VersionExpiredException.class)
                            .hasMessageContaining("version " + v2 + " has expired");
                    continue;
                }
                assertThat(failure).isNull();
                List<RowData> snapshot = new ArrayList<>(changed);
                snapshot.add(row(60, "sixty"));
                assertThat(output.rows)
                        .as("rows emitted after the expiry: the latest snapshot")
                        .endsWith(snapshot.toArray(new RowData[0]));
                assertThat(metrics.getCounter("kiln", "expiredRereads").get().getCount())
                        .isEqualTo(1);
                assertThat(reader.snapshotState(1))
                        .containsExactly(
                                new BucketSplit(
                                        0, latest, false, 0, BucketSplit.NO_STOP, table.tableId()));
            }
        }
    }

    /**
     * A table an older Kiln wrote (the pre-split compatibility fixture, whose manifests record no
     * added generations): a follower emits each version's new generations as its changes, and fails
     * naming the first version that also compacted, whose changes cannot be told.
     */
    @Test
    void aFollowerOfAnOlderKilnsTableFailsNamingAVersionThatCompacted() throws Exception {
        java.nio.file.Path fixture =
                Paths.get(getClass().getResource("/compat/pre-split/table").toURI());
        java.nio.file.Path copy = dir.resolve("legacy");
        try (Stream<java.nio.file.Path> files = Files.walk(fixture)) {
            for (java.nio.file.Path source : files.toList()) {
                java.nio.file.Path target = copy.resolve(fixture.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        Path path = new Path(copy.toUri());
        KilnTable table = KilnTable.open(path);
        RowType type = FlinkArrowTypes.toRowType(table.options().schema());
        long expected = 0;
        for (long version = 3; version <= 5; version++) {
            Manifest manifest = table.manifest(version);
            assertThat(manifest.added()).isNull();
            for (GenerationRef generation :
                    manifest.changesNewestFirst(0, table.manifest(version - 1))) {
                expected += generation.rowCount();
            }
        }
        assertThat(table.manifest(6).retired()).as("version 6 compacts").isNotEmpty();

        OperatorIOMetricGroup io = io();
        Output output = new Output();
        try (KilnSourceReader reader =
                reader(new Context(new MetricListener(), io), path, type, new int[] {0, 1})) {
            reader.addSplits(
                    List.of(new BucketSplit(0, 2, false, 0, BucketSplit.NO_STOP, table.tableId())));
            reader.handleSourceEvents(new LatestVersionEvent(table.latestVersion()));
            Throwable failure = catchThrowable(() -> drainAll(reader, output));
            assertThat(failure).isInstanceOf(UnknownChangesException.class);
            assertThat(((UnknownChangesException) failure).version()).isEqualTo(6);
            assertThat(reader.snapshotState(1))
                    .as("the position stays before version 6")
                    .containsExactly(
                            new BucketSplit(0, 5, false, 0, BucketSplit.NO_STOP, table.tableId()));
        }
        assertThat(expected).isPositive();
        assertThat(output.rows).hasSize((int) expected);
        assertThat(io.getNumRecordsInCounter().getCount()).isEqualTo(expected);
        for (RowData row : output.rows) {
            assertThat(row.getRowKind()).isIn(RowKind.UPDATE_AFTER, RowKind.DELETE);
        }
    }

    /**
     * The gauges: the version each split and the reader have emitted up to, the latest announced,
     * and the lag between them; no time lag once caught up.
     */
    @Test
    void theGaugesShowPositionsAndLag() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        long v1 = commit(table, 1, write(table, 0));
        commit(table, 2, writeRows(table, row(1, "one")));
        long v3 = commit(table, 3, writeRows(table, row(2, "two")));
        MetricListener metrics = new MetricListener();
        try (KilnSourceReader reader =
                reader(new Context(metrics, io()), path, ROW_TYPE, new int[] {0, 1})) {
            assertThat(gauge(metrics, "kiln", "currentVersion")).as("no split").isEqualTo(-1);
            reader.addSplits(List.of(following(v1, table)));
            reader.handleSourceEvents(new LatestVersionEvent(v3));

            assertThat(gauge(metrics, "kiln", "currentVersion")).isEqualTo(v1);
            assertThat(gauge(metrics, "kiln", "bucket", "0", "currentVersion")).isEqualTo(v1);
            assertThat(gauge(metrics, "kiln", "latestVersion")).isEqualTo(v3);
            assertThat(gauge(metrics, "kiln", "versionLag")).isEqualTo(v3 - v1);

            Output output = new Output();
            assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(gauge(metrics, "kiln", "currentVersion")).isEqualTo(v3);
            assertThat(gauge(metrics, "kiln", "bucket", "0", "currentVersion")).isEqualTo(v3);
            assertThat(gauge(metrics, "kiln", "versionLag")).isZero();
            assertThat(gauge(metrics, "kiln", "timeLagMillis")).isZero();
            assertThat(metrics.getCounter("kiln", "upsertsEmitted").get().getCount()).isEqualTo(2);
        }
    }

    private static long gauge(MetricListener metrics, String... path) {
        return metrics.<Long>getGauge(path).orElseThrow().getValue();
    }

    /**
     * A split restored in the middle of a version's changes (two generations, several pages) emits
     * exactly the rows it had not: together, the rows of an uninterrupted read, once each.
     */
    @Test
    void aSplitRestoredInTheMiddleOfAVersionsChangesSkipsExactlyTheRowsEmitted() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        long v1 = commit(table, 1, write(table, 0));
        List<RowData> older = new ArrayList<>();
        for (long id = 0; id < 40; id += 2) {
            older.add(row(id, "a-" + id));
        }
        List<RowData> newer = new ArrayList<>();
        for (long id = 0; id < 60; id += 3) {
            newer.add(id % 2 == 0 ? delete(id) : row(id, "b-" + id));
        }
        long v2 =
                table.commit(
                                new Commit(
                                        "test",
                                        2,
                                        List.of(
                                                writeRows(table, older.toArray(new RowData[0])),
                                                writeRows(table, newer.toArray(new RowData[0]))),
                                        List.of()))
                        .version();

        Output whole = new Output();
        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            reader.addSplits(List.of(following(v1, table)));
            reader.handleSourceEvents(new LatestVersionEvent(v2));
            drainAll(reader, whole);
        }
        assertThat(whole.rows).hasSize(20 + 20 - 7);

        for (int emitted : new int[] {1, 13, whole.rows.size() - 1}) {
            Output output = new Output();
            List<BucketSplit> state;
            try (KilnSourceReader reader =
                    reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
                reader.addSplits(List.of(following(v1, table)));
                reader.handleSourceEvents(new LatestVersionEvent(v2));
                while (output.rows.size() < emitted) {
                    assertThat(reader.pollNext(output)).isEqualTo(InputStatus.MORE_AVAILABLE);
                }
                state = reader.snapshotState(1);
            }
            assertThat(state)
                    .containsExactly(
                            new BucketSplit(
                                    0, v1, false, emitted, BucketSplit.NO_STOP, table.tableId()));

            OperatorIOMetricGroup io = io();
            try (KilnSourceReader reader =
                    reader(
                            new Context(new MetricListener(), io),
                            path,
                            ROW_TYPE,
                            new int[] {0, 1})) {
                reader.addSplits(state);
                reader.handleSourceEvents(new LatestVersionEvent(v2));
                assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
                assertThat(reader.snapshotState(2))
                        .containsExactly(
                                new BucketSplit(
                                        0, v2, false, 0, BucketSplit.NO_STOP, table.tableId()));
            }
            assertThat(output.rows).as("restored after %d rows", emitted).isEqualTo(whole.rows);
            assertThat(io.getNumRecordsInCounter().getCount())
                    .as("skipped rows are not counted")
                    .isEqualTo(whole.rows.size() - emitted);
        }
    }

    /**
     * A bounded split waits for its stop version, emits the changes up to it and not after, and the
     * reader ends only once told there are no more splits.
     */
    @Test
    void aBoundedSplitEndsAtItsStopVersionAndTheReaderAtNoMoreSplits() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        long v1 = commit(table, 1, writeRows(table, row(1, "one")));
        long v2 = commit(table, 2, writeRows(table, row(2, "two")));
        long v3 = commit(table, 3, writeRows(table, row(3, "three")));
        Output output = new Output();
        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            reader.addSplits(List.of(new BucketSplit(0, v1, false, 0, v2, table.tableId())));
            reader.notifyNoMoreSplits();
            reader.handleSourceEvents(new LatestVersionEvent(v1));
            assertThat(drainAll(reader, output))
                    .as("waits for its stop version")
                    .isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(output.rows).isEmpty();

            reader.handleSourceEvents(new LatestVersionEvent(v3));
            assertThat(drainAll(reader, output)).isEqualTo(InputStatus.END_OF_INPUT);
            assertThat(output.rows).containsExactly(upsert(2, "two"));
            assertThat(reader.snapshotState(1)).isEmpty();
        }

        Output other = new Output();
        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            reader.addSplits(List.of(new BucketSplit(0, v1, false, 0, v2, table.tableId())));
            reader.handleSourceEvents(new LatestVersionEvent(v3));
            assertThat(drainAll(reader, other))
                    .as("done, but more splits may come")
                    .isEqualTo(InputStatus.NOTHING_AVAILABLE);
            assertThat(other.rows).containsExactly(upsert(2, "two"));
            assertThat(reader.isAvailable()).isNotDone();
            reader.notifyNoMoreSplits();
            assertThat(reader.isAvailable()).isDone();
            assertThat(reader.pollNext(other)).isEqualTo(InputStatus.END_OF_INPUT);
        }
    }

    /** A reader's splits take turns a unit at a time: a bucket's version, then the next bucket. */
    @Test
    void severalSplitsTakeTurnsAVersionAtATime() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path, ROW_TYPE, List.of("id"), 3);
        for (int v = 1; v <= 3; v++) {
            List<GenerationRef> generations = new ArrayList<>();
            for (int bucket = 0; bucket < 3; bucket++) {
                List<RowData> rows = new ArrayList<>();
                for (long id = 0; id < 30; id++) {
                    if (bucketOf(table, id) == bucket) {
                        rows.add(row(id, v + "-" + id));
                    }
                }
                generations.add(writeRows(table, ROW_TYPE, bucket, rows.toArray(new RowData[0])));
            }
            table.commit(new Commit("test", v, generations, List.of()));
        }
        Output output = new Output();
        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            List<BucketSplit> splits = new ArrayList<>();
            for (int bucket = 2; bucket >= 0; bucket--) {
                splits.add(
                        new BucketSplit(bucket, 0, false, 0, BucketSplit.NO_STOP, table.tableId()));
            }
            reader.addSplits(splits);
            reader.handleSourceEvents(new LatestVersionEvent(3));
            assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
        }
        assertThat(output.rows).hasSize(90);
        List<String> units = new ArrayList<>();
        for (RowData row : output.rows) {
            String unit =
                    "bucket "
                            + bucketOf(table, row.getLong(0))
                            + " version "
                            + row.getString(1).toString().split("-")[0];
            if (units.isEmpty() || !units.get(units.size() - 1).equals(unit)) {
                units.add(unit);
            }
        }
        List<String> expected = new ArrayList<>();
        for (int v = 1; v <= 3; v++) {
            for (int bucket = 0; bucket < 3; bucket++) {
                expected.add("bucket " + bucket + " version " + v);
            }
        }
        assertThat(units).isEqualTo(expected);
    }

    /** A split restored onto a table deleted and created again at its path fails typed. */
    @Test
    void aRestoredSplitOfAReplacedTableFails() throws Exception {
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path);
        long v1 = commit(table, 1, write(table, 0));
        BucketSplit restored = following(v1, table);
        try (Stream<java.nio.file.Path> files = Files.walk(dir.resolve("t"))) {
            for (java.nio.file.Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
        KilnTable replacement = create(path);
        commit(replacement, 1, write(replacement, 1));
        commit(replacement, 2, write(replacement, 2));

        try (KilnSourceReader reader = reader(new Context(), path, ROW_TYPE, new int[] {0, 1})) {
            reader.addSplits(List.of(restored));
            reader.handleSourceEvents(new LatestVersionEvent(2));
            Output output = new Output();
            assertThat(catchThrowable(() -> reader.pollNext(output)))
                    .isInstanceOf(TableReplacedException.class)
                    .hasMessageContaining(table.tableId())
                    .hasMessageContaining(replacement.tableId());
            assertThat(output.rows).isEmpty();
        }
    }

    /**
     * Legal but strange rows come out as they went in: NaN and -0.0 bit for bit, NULL values,
     * deletes that carried values or named a key that never existed (-D with only the key), with
     * every projection of a composite key (left out, reordered, alone); numRecordsIn counts them.
     */
    @Test
    void strangeRowsAndProjectionsComeOutAsWritten() throws Exception {
        RowType type =
                (RowType)
                        DataTypes.ROW(
                                        DataTypes.FIELD("k1", DataTypes.BIGINT().notNull()),
                                        DataTypes.FIELD("k2", DataTypes.STRING().notNull()),
                                        DataTypes.FIELD("d", DataTypes.DOUBLE()),
                                        DataTypes.FIELD("s", DataTypes.STRING()))
                                .getLogicalType();
        Path path = new Path(dir.resolve("t").toUri());
        KilnTable table = create(path, type, List.of("k1", "k2"), 1);
        long v1 =
                commit(
                        table,
                        1,
                        writeRows(
                                table,
                                type,
                                0,
                                strange(RowKind.INSERT, 1, "a", Double.NaN, "x"),
                                strange(RowKind.INSERT, 2, "b", -0.0, null),
                                strange(RowKind.INSERT, 3, "c", null, null)));
        long v2 =
                commit(
                        table,
                        2,
                        writeRows(
                                table,
                                type,
                                0,
                                strange(RowKind.UPDATE_AFTER, 1, "a", -0.0, "y"),
                                strange(RowKind.DELETE, 2, "b", null, null),
                                strange(RowKind.DELETE, 3, "c", 1.5, "z"),
                                strange(RowKind.DELETE, 9, "never", null, null),
                                strange(RowKind.INSERT, 4, "d", Double.NaN, null)));

        // Every column.
        assertThat(read(path, type, new int[] {0, 1, 2, 3}, v1, v2))
                .containsExactly(
                        strange(RowKind.INSERT, 1, "a", Double.NaN, "x"),
                        strange(RowKind.INSERT, 2, "b", -0.0, null),
                        strange(RowKind.INSERT, 3, "c", null, null),
                        strange(RowKind.UPDATE_AFTER, 1, "a", -0.0, "y"),
                        strange(RowKind.DELETE, 2, "b", null, null),
                        strange(RowKind.DELETE, 3, "c", null, null),
                        strange(RowKind.UPDATE_AFTER, 4, "d", Double.NaN, null),
                        strange(RowKind.DELETE, 9, "never", null, null));
        assertThat(
                        Double.doubleToRawLongBits(
                                read(path, type, new int[] {2}, v1, v2).get(1).getDouble(0)))
                .as("-0.0 stays negative")
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
        // No key column: a delete is all nulls.
        assertThat(read(path, type, new int[] {3, 2}, v1, v2))
                .containsExactly(
                        GenericRowData.ofKind(
                                RowKind.INSERT, StringData.fromString("x"), Double.NaN),
                        GenericRowData.ofKind(RowKind.INSERT, null, -0.0),
                        GenericRowData.ofKind(RowKind.INSERT, null, null),
                        GenericRowData.ofKind(
                                RowKind.UPDATE_AFTER, StringData.fromString("y"), -0.0),
                        GenericRowData.ofKind(RowKind.DELETE, null, null),
                        GenericRowData.ofKind(RowKind.DELETE, null, null),
                        GenericRowData.ofKind(RowKind.UPDATE_AFTER, null, Double.NaN),
                        GenericRowData.ofKind(RowKind.DELETE, null, null));
        // One key column, after a value: a delete keeps only it.
        assertThat(read(path, type, new int[] {2, 1}, v1, v2))
                .containsExactly(
                        GenericRowData.ofKind(
                                RowKind.INSERT, Double.NaN, StringData.fromString("a")),
                        GenericRowData.ofKind(RowKind.INSERT, -0.0, StringData.fromString("b")),
                        GenericRowData.ofKind(RowKind.INSERT, null, StringData.fromString("c")),
                        GenericRowData.ofKind(
                                RowKind.UPDATE_AFTER, -0.0, StringData.fromString("a")),
                        GenericRowData.ofKind(RowKind.DELETE, null, StringData.fromString("b")),
                        GenericRowData.ofKind(RowKind.DELETE, null, StringData.fromString("c")),
                        GenericRowData.ofKind(
                                RowKind.UPDATE_AFTER, Double.NaN, StringData.fromString("d")),
                        GenericRowData.ofKind(
                                RowKind.DELETE, null, StringData.fromString("never")));
        // The key reordered.
        assertThat(read(path, type, new int[] {1, 3, 0}, v1, v2))
                .containsExactly(
                        GenericRowData.ofKind(
                                RowKind.INSERT,
                                StringData.fromString("a"),
                                StringData.fromString("x"),
                                1L),
                        GenericRowData.ofKind(RowKind.INSERT, StringData.fromString("b"), null, 2L),
                        GenericRowData.ofKind(RowKind.INSERT, StringData.fromString("c"), null, 3L),
                        GenericRowData.ofKind(
                                RowKind.UPDATE_AFTER,
                                StringData.fromString("a"),
                                StringData.fromString("y"),
                                1L),
                        GenericRowData.ofKind(RowKind.DELETE, StringData.fromString("b"), null, 2L),
                        GenericRowData.ofKind(RowKind.DELETE, StringData.fromString("c"), null, 3L),
                        GenericRowData.ofKind(
                                RowKind.UPDATE_AFTER, StringData.fromString("d"), null, 4L),
                        GenericRowData.ofKind(
                                RowKind.DELETE, StringData.fromString("never"), null, 9L));
    }

    /**
     * Reads the snapshot of {@code v1} then the changes of {@code v2} through the projection {@code
     * columns}, checking numRecordsIn against the rows emitted.
     */
    private static List<RowData> read(Path path, RowType type, int[] columns, long v1, long v2)
            throws Exception {
        List<RowType.RowField> fields = new ArrayList<>();
        for (int column : columns) {
            fields.add(type.getFields().get(column));
        }
        RowType produced = new RowType(fields);
        OperatorIOMetricGroup io = io();
        Output output = new Output();
        String tableId = KilnTable.open(path).tableId();
        try (KilnSourceReader reader =
                reader(new Context(new MetricListener(), io), path, produced, columns)) {
            reader.addSplits(
                    List.of(new BucketSplit(0, v1, true, 0, BucketSplit.NO_STOP, tableId)));
            reader.handleSourceEvents(new LatestVersionEvent(v2));
            assertThat(drainAll(reader, output)).isEqualTo(InputStatus.NOTHING_AVAILABLE);
        }
        assertThat(io.getNumRecordsInCounter().getCount()).isEqualTo(output.rows.size());
        return output.rows;
    }

    private static GenericRowData strange(
            RowKind kind, long k1, String k2, @Nullable Double d, @Nullable String s) {
        return GenericRowData.ofKind(
                kind,
                k1,
                StringData.fromString(k2),
                d,
                s == null ? null : StringData.fromString(s));
    }

    private static GenericRowData row(long id, String name) {
        return GenericRowData.of(id, StringData.fromString(name));
    }

    private static GenericRowData upsert(long id, String name) {
        return GenericRowData.ofKind(RowKind.UPDATE_AFTER, id, StringData.fromString(name));
    }

    private static GenericRowData delete(long id) {
        return GenericRowData.ofKind(RowKind.DELETE, id, null);
    }

    private static long commit(KilnTable table, long checkpoint, GenerationRef generation)
            throws IOException {
        return table.commit(new Commit("test", checkpoint, List.of(generation), List.of()))
                .version();
    }

    /** A split of bucket 0 that has emitted up to {@code version} and follows for ever. */
    private static BucketSplit following(long version, KilnTable table) {
        return new BucketSplit(0, version, false, 0, BucketSplit.NO_STOP, table.tableId());
    }

    private static int bucketOf(KilnTable table, long id) {
        return table.options().bucketOf(table.options().keyCodec().encode(id));
    }

    /** Polls until the reader has nothing more now; returns that status. */
    private static InputStatus drainAll(KilnSourceReader reader, Output output) throws Exception {
        InputStatus status;
        do {
            status = reader.pollNext(output);
        } while (status == InputStatus.MORE_AVAILABLE);
        return status;
    }

    /** An operator's I/O metric group whose counters count. */
    private static OperatorIOMetricGroup io() {
        return UnregisteredMetricGroups.createUnregisteredOperatorMetricGroup().getIOMetricGroup();
    }

    private static KilnSourceReader reader(
            Context context, Path path, RowType produced, int[] columns) {
        return reader(context, path, produced, columns, OnVersionExpired.FAIL);
    }

    private static KilnSourceReader reader(
            Context context,
            Path path,
            RowType produced,
            int[] columns,
            OnVersionExpired onExpired) {
        return new KilnSourceReader(
                context,
                new SourceSettings(
                        path,
                        StartingPosition.fullThenFollow(),
                        true,
                        BucketSplit.NO_STOP,
                        KilnSource.DEFAULT_POLL_INTERVAL,
                        onExpired,
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
        return create(path, ROW_TYPE, List.of("id"), 1);
    }

    private static KilnTable create(Path path, RowType type, List<String> key, int buckets)
            throws IOException {
        return KilnTable.create(
                path,
                TableOptions.builder(FlinkArrowTypes.toArrowSchema(type, key), key)
                        .bucketCount(buckets)
                        .targetPageBytes(64)
                        .build());
    }

    /** Writes {@code rows} (a DELETE row is a tombstone) as a generation of bucket 0. */
    private static GenerationRef writeRows(KilnTable table, RowData... rows) throws IOException {
        return writeRows(table, ROW_TYPE, 0, rows);
    }

    /** Writes {@code rows} of {@code type} (a DELETE row is a tombstone) to {@code bucket}. */
    private static GenerationRef writeRows(
            KilnTable table, RowType type, int bucket, RowData... rows) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
                RowDataMemtable memtable = new RowDataMemtable(type, table.options(), allocator)) {
            for (RowData row : rows) {
                memtable.add(row);
            }
            String relative = table.newGenerationPath(bucket);
            return GenerationRef.of(relative, bucket, memtable.flush(table.resolve(relative)));
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

        private final SourceReaderMetricGroup metrics;

        /** A context whose metrics go nowhere. */
        Context() {
            this.metrics = UnregisteredMetricsGroup.createSourceReaderMetricGroup();
        }

        /**
         * A context whose reader's metrics are registered in {@code listener}, and whose I/O
         * counters ({@code numRecordsIn}) are in {@code io}.
         */
        Context(MetricListener listener, OperatorIOMetricGroup io) {
            this.metrics = InternalSourceReaderMetricGroup.wrap(new ListenedGroup(listener, io));
        }

        @Override
        public SourceReaderMetricGroup metricGroup() {
            return metrics;
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

    /** An operator's metric group that registers its metrics in a {@link MetricListener}. */
    private static final class ListenedGroup extends ProxyMetricGroup<MetricGroup>
            implements OperatorMetricGroup {

        private final OperatorIOMetricGroup io;

        ListenedGroup(MetricListener listener, OperatorIOMetricGroup io) {
            super(listener.getMetricGroup());
            this.io = io;
        }

        @Override
        public OperatorIOMetricGroup getIOMetricGroup() {
            return io;
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
