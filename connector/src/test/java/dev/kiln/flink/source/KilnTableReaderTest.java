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
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.CloseableIterator;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Plain reads of a real table: lookups and scans of a version as RowData. */
class KilnTableReaderTest {

    private static final RowType TYPE =
            (RowType)
                    DataTypes.ROW(
                                    DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
                                    DataTypes.FIELD("name", DataTypes.STRING()),
                                    DataTypes.FIELD("score", DataTypes.DOUBLE()))
                            .getLogicalType();

    @TempDir java.nio.file.Path dir;

    private KilnTable table;
    private long checkpoint;

    /** What each version holds: id to name, null for none. */
    private final List<Map<Long, String>> versions = new ArrayList<>();

    @BeforeEach
    void writeTwoVersions() throws Exception {
        table =
                KilnTable.create(
                        path(),
                        TableOptions.builder(
                                        FlinkArrowTypes.toArrowSchema(TYPE, List.of("id")),
                                        List.of("id"))
                                .bucketCount(3)
                                .build());
        List<RowData> first = new ArrayList<>();
        for (long id = 1; id <= 50; id++) {
            first.add(row(RowKind.INSERT, id, "n" + id));
        }
        commit(first);
        commit(
                List.of(
                        row(RowKind.UPDATE_AFTER, 7, "seven"),
                        GenericRowData.ofKind(RowKind.DELETE, 8L, null, null),
                        row(RowKind.INSERT, 51, null)));
    }

    @Test
    void looksUpAndScansAVersionAsRowData() throws Exception {
        try (KilnTableReader reader = KilnTableReader.open(path())) {
            assertThat(reader.rowType()).isEqualTo(TYPE);
            assertThat(reader.primaryKey()).containsExactly("id");
            KilnTableReader.Version latest = reader.latest();
            assertThat(latest.number()).isEqualTo(table.latestManifest().version());
            assertThat(latest.lookup(7L)).hasValueSatisfying(r -> assertRow(r, 7, "seven"));
            assertThat(latest.lookup(new Object[] {51L}))
                    .hasValueSatisfying(r -> assertRow(r, 51, null));
            assertThat(latest.lookup(8L)).as("deleted").isEmpty();
            assertThat(latest.lookup(99L)).as("never written").isEmpty();
            assertThat(scan(latest)).isEqualTo(versions.get(1));

            KilnTableReader.Version first = reader.version(latest.number() - 1);
            assertThat(first.lookup(7L)).hasValueSatisfying(r -> assertRow(r, 7, "n7"));
            assertThat(first.lookup(8L)).isPresent();
            assertThat(scan(first)).isEqualTo(versions.get(0));
        }
    }

    @Test
    void closingTheReaderClosesTheScansLeftOpen() throws Exception {
        KilnTableReader reader = KilnTableReader.open(path());
        CloseableIterator<RowData> rows = reader.latest().scan();
        assertThat(rows.hasNext()).isTrue();
        rows.next();
        reader.close(); // would fail with Arrow's leak check had the scan kept its pages
        assertThat(rows.hasNext()).isFalse();
    }

    @Test
    void aMissingTableIsTheTypedErrorNamingThePath() {
        Path nowhere = new Path(dir.resolve("nowhere").toUri());
        assertThatThrownBy(() -> KilnTableReader.open(nowhere))
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(nowhere.toString());
    }

    private static Map<Long, String> scan(KilnTableReader.Version version) throws Exception {
        Map<Long, String> rows = new TreeMap<>();
        try (CloseableIterator<RowData> it = version.scan()) {
            while (it.hasNext()) {
                RowData row = it.next();
                String name = row.isNullAt(1) ? null : row.getString(1).toString();
                assertThat(rows.containsKey(row.getLong(0))).as("one row per key").isFalse();
                rows.put(row.getLong(0), name);
                assertThat(row.getDouble(2)).isEqualTo(row.getLong(0) / 2.0);
            }
        }
        return rows;
    }

    private static void assertRow(RowData row, long id, String name) {
        assertThat(row.getLong(0)).isEqualTo(id);
        assertThat(row.isNullAt(1) ? null : row.getString(1).toString()).isEqualTo(name);
        assertThat(row.getDouble(2)).isEqualTo(id / 2.0);
    }

    private static RowData row(RowKind kind, long id, String name) {
        return GenericRowData.ofKind(
                kind, id, name == null ? null : StringData.fromString(name), id / 2.0);
    }

    /** Commits {@code rows} as one generation per bucket, and notes what the version holds. */
    private void commit(List<RowData> rows) throws Exception {
        Map<Long, String> holds =
                versions.isEmpty()
                        ? new TreeMap<>()
                        : new TreeMap<>(versions.get(versions.size() - 1));
        RowKeyExtractor keys = new RowKeyExtractor(TYPE, List.of("id"));
        Map<Integer, List<RowData>> byBucket = new HashMap<>();
        for (RowData row : rows) {
            byBucket.computeIfAbsent(keys.bucket(row, 3), b -> new ArrayList<>()).add(row);
            if (row.getRowKind() == RowKind.DELETE) {
                holds.remove(row.getLong(0));
            } else {
                holds.put(row.getLong(0), row.isNullAt(1) ? null : row.getString(1).toString());
            }
        }
        List<GenerationRef> added = new ArrayList<>();
        try (BufferAllocator allocator = new RootAllocator()) {
            for (Map.Entry<Integer, List<RowData>> bucket : byBucket.entrySet()) {
                try (RowDataMemtable memtable =
                        new RowDataMemtable(TYPE, table.options(), allocator)) {
                    bucket.getValue().forEach(memtable::add);
                    String path = table.newGenerationPath(bucket.getKey());
                    added.add(
                            GenerationRef.of(
                                    path, bucket.getKey(), memtable.flush(table.resolve(path))));
                }
            }
        }
        table.commit(new Commit("test", ++checkpoint, added, List.of()));
        versions.add(holds);
    }

    private Path path() {
        return new Path(dir.resolve("t").toUri());
    }
}
