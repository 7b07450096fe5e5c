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

package dev.kiln.flink.lookup;

import dev.kiln.flink.data.FlinkArrowTypes;
import dev.kiln.flink.data.RowDataMemtable;
import dev.kiln.flink.data.RowKeyExtractor;
import dev.kiln.format.GenerationStats;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.types.logical.BigIntType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.table.types.logical.VarCharType;
import org.apache.flink.types.RowKind;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A real Kiln table for the lookup tests, written directly with {@link RowDataMemtable} and {@link
 * KilnTable#commit}: rows {@code (id BIGINT NOT NULL, name STRING, v BIGINT)} keyed by {@code id},
 * and a model of what each version holds. Thread-safe for one writer.
 */
final class TestTable implements AutoCloseable {

    static final RowType TYPE =
            RowType.of(
                    new LogicalType[] {
                        new BigIntType(false),
                        new VarCharType(VarCharType.MAX_LENGTH),
                        new BigIntType()
                    },
                    new String[] {"id", "name", "v"});
    static final List<String> KEY = List.of("id");

    final KilnTable table;
    private final BufferAllocator allocator = new RootAllocator();

    /** Per version, the value {@code v} of each live key ({@code null}: absent). */
    private final Map<Long, Map<Long, Long>> versions = new ConcurrentHashMap<>();

    private final Map<Long, Long> live = new HashMap<>();
    private long checkpoint;

    private TestTable(KilnTable table) {
        this.table = table;
        versions.put(0L, Map.of());
    }

    static TestTable create(java.nio.file.Path dir, int buckets) throws IOException {
        return create(new Path(dir.toUri()), buckets);
    }

    /** A table at {@code root} on any file system ({@code s3://} included). */
    static TestTable create(Path root, int buckets) throws IOException {
        return new TestTable(KilnTable.create(root, options(buckets)));
    }

    /** The options the tables of this class are created with. */
    static TableOptions options(int buckets) {
        return TableOptions.builder(FlinkArrowTypes.toArrowSchema(TYPE, KEY), KEY)
                .bucketCount(buckets)
                .targetPageBytes(512)
                .build();
    }

    Path root() {
        return table.root();
    }

    /** Upserts {@code (id, "n<id>", v)} for each id, one generation per bucket touched. */
    Manifest upsert(long v, long... ids) throws IOException {
        List<RowData> rows = new ArrayList<>();
        for (long id : ids) {
            rows.add(row(id, v));
        }
        return commit(rows, List.of());
    }

    /** Deletes {@code ids}. */
    Manifest delete(long... ids) throws IOException {
        List<RowData> rows = new ArrayList<>();
        for (long id : ids) {
            GenericRowData row = GenericRowData.of(id, null, null);
            row.setRowKind(RowKind.DELETE);
            rows.add(row);
        }
        return commit(rows, List.of());
    }

    /**
     * Rewrites the live rows of {@code bucket} as one generation and retires its generations (a
     * compaction).
     */
    Manifest compact(int bucket) throws IOException {
        Manifest latest = table.latestManifest();
        List<String> retired = new ArrayList<>();
        for (GenerationRef ref : latest.newestFirst(bucket)) {
            retired.add(ref.path());
        }
        List<RowData> rows = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<Long, Long> e : live.entrySet()) {
                if (bucketOf(e.getKey()) == bucket) {
                    rows.add(row(e.getKey(), e.getValue()));
                }
            }
        }
        return commit(rows, retired);
    }

    /** Generations written and not yet committed, as a writer holds them until its commit. */
    record Pending(List<GenerationRef> added, List<RowData> rows, List<String> retired) {}

    /** Writes {@code (id, "n<id>", v)} for each id without committing them. */
    Pending prepare(long v, long... ids) throws IOException {
        List<RowData> rows = new ArrayList<>();
        for (long id : ids) {
            rows.add(row(id, v));
        }
        return prepare(rows, List.of());
    }

    private synchronized Pending prepare(List<RowData> rows, List<String> retired)
            throws IOException {
        Map<Integer, List<RowData>> byBucket = new TreeMap<>();
        RowKeyExtractor keys = new RowKeyExtractor(TYPE, KEY);
        for (RowData row : rows) {
            byBucket.computeIfAbsent(
                            keys.bucket(row, table.options().bucketCount()), b -> new ArrayList<>())
                    .add(row);
        }
        List<GenerationRef> added = new ArrayList<>();
        for (Map.Entry<Integer, List<RowData>> e : byBucket.entrySet()) {
            try (RowDataMemtable memtable = new RowDataMemtable(TYPE, table.options(), allocator)) {
                e.getValue().forEach(memtable::add);
                String path = table.newGenerationPath(e.getKey());
                GenerationStats stats = memtable.flush(table.resolve(path));
                added.add(GenerationRef.of(path, e.getKey(), stats));
            }
        }
        return new Pending(added, rows, retired);
    }

    /** Commits what {@link #prepare} wrote. */
    synchronized Manifest publish(Pending pending) throws IOException {
        Manifest next =
                table.commit(new Commit("test", ++checkpoint, pending.added(), pending.retired()));
        for (RowData row : pending.rows()) {
            if (row.getRowKind() == RowKind.DELETE) {
                live.remove(row.getLong(0));
            } else {
                live.put(row.getLong(0), row.getLong(2));
            }
        }
        versions.put(next.version(), Map.copyOf(live));
        return next;
    }

    private synchronized Manifest commit(List<RowData> rows, List<String> retired)
            throws IOException {
        return publish(prepare(rows, retired));
    }

    /** Returns {@code v} of {@code id} in {@code version}, or {@code null} if absent there. */
    Long valueAt(long version, long id) {
        return versions.get(version).get(id);
    }

    /** Returns the live keys of the latest version written. */
    synchronized Map<Long, Long> live() {
        return Map.copyOf(live);
    }

    /**
     * Sets every data file an hour back by the storage's clock (which orphan cleanup reads) and
     * removes the orphans older than a minute: the files no retained version names.
     */
    List<Path> removeOrphansAnHourOld() throws IOException {
        FileTime anHourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        java.nio.file.Path data = Paths.get(table.root().toUri()).resolve("data");
        try (Stream<java.nio.file.Path> files = Files.walk(data)) {
            for (java.nio.file.Path file : (Iterable<java.nio.file.Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    Files.setLastModifiedTime(file, anHourAgo);
                }
            }
        }
        return table.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC());
    }

    byte[] key(long id) {
        return table.options().keyCodec().encode(id);
    }

    int bucketOf(long id) {
        return table.options().bucketOf(key(id));
    }

    static GenericRowData row(long id, long v) {
        return GenericRowData.of(id, StringData.fromString("n" + id), v);
    }

    @Override
    public void close() {
        allocator.close();
    }
}
