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

package dev.kiln.table;

import dev.kiln.format.GenerationStats;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;

/** Point lookups across a table's generations, over real files and a real commit history. */
class SnapshotTest {

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private GenerationLookup direct;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        direct = GenerationLookup.direct(io, allocator);
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    @Test
    void theNewestGenerationWinsAndTombstonesShadowOlderRows() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        GenerationRef g1 = write(table, 0, 0, 100, id -> "v1-" + id);
        GenerationRef g2 = write(table, 0, 50, 70, id -> id < 60 ? "v2-" + id : null);
        GenerationRef g3 = write(table, 0, 100, 110, id -> "v3-" + id);
        table.commit(new Commit("w", 1, List.of(g1, g2), List.of()));
        table.commit(new Commit("w", 2, List.of(g3), List.of()));
        Snapshot snapshot = table.snapshot(direct);

        List<Long> ids = List.of(10L, 55L, 65L, 105L, 500L, 69L, 70L, -1L);
        List<String> expected =
                java.util.Arrays.asList(
                        "v1-10", "v2-55", null, "v3-105", null, null, "v1-70", null);
        List<LookupResult> batch = snapshot.lookupAll(keys(table, ids)).join();
        for (int i = 0; i < ids.size(); i++) {
            LookupResult single = snapshot.lookup(key(table, ids.get(i))).join();
            assertThat(name(single)).as("id %s", ids.get(i)).isEqualTo(expected.get(i));
            assertThat(name(batch.get(i)))
                    .as("id %s in a batch", ids.get(i))
                    .isEqualTo(expected.get(i));
        }
    }

    /**
     * The path a snapshot asks its generation lookup from memory by is the interned string, as the
     * cache's keys are ({@code PathStates}): the cache's read of a hit matches it by identity.
     */
    @Test
    void theCachedPathIsAskedByTheInternedString() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        GenerationRef g1 = write(table, 0, 0, 100, id -> "v1-" + id);
        table.commit(new Commit("w", 1, List.of(g1), List.of()));
        Recording recording = new Recording();
        Snapshot snapshot = table.snapshot(recording);
        snapshot.checkPaths();

        assertThat(snapshot.lookupIfCached(key(table, 42L), recording)).isNotNull();

        assertThat(recording.paths).hasSize(1);
        assertThat(recording.paths.get(0)).isSameAs(table.resolve(g1.path()).toString().intern());
    }

    /**
     * A snapshot hands its generation lookup one slot per generation path, the same one to every
     * lookup of that snapshot, and a new one in another snapshot: what a lookup keeps there is
     * never seen by a snapshot of another version.
     */
    @Test
    void eachGenerationHasOneSlotPerSnapshot() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        GenerationRef g1 = write(table, 0, 0, 100, id -> "v1-" + id);
        table.commit(new Commit("w", 1, List.of(g1), List.of()));
        Recording recording = new Recording();
        Snapshot snapshot = table.snapshot(recording);
        snapshot.checkPaths();
        Snapshot other = table.snapshot(recording);
        other.checkPaths();

        snapshot.lookupIfCached(key(table, 42L), recording);
        snapshot.lookupIfCached(key(table, 7L), recording);
        other.lookupIfCached(key(table, 42L), recording);

        List<GenerationSlot> slots = recording.slots;
        assertThat(slots).hasSize(3).doesNotContainNull();
        assertThat(slots.get(1)).isSameAs(slots.get(0));
        assertThat(slots.get(2)).isNotSameAs(slots.get(0));
    }

    @Test
    void generationsWhoseKeyRangeExcludesTheKeyAreNotRead() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        GenerationRef low = write(table, 0, 0, 100, id -> "low-" + id);
        GenerationRef high = write(table, 0, 1000, 1100, id -> "high-" + id);
        table.commit(new Commit("w", 1, List.of(low, high), List.of()));
        io.resetCounters();

        assertThat(name(table.snapshot(direct).lookup(key(table, 42L)).join())).isEqualTo("low-42");

        assertThat(io.requests(table.resolve(high.path()))).isZero();
        assertThat(io.lengthRequests(table.resolve(high.path()))).isZero();
        assertThat(io.requests(table.resolve(low.path()))).isPositive();
    }

    @Test
    void keysAreLookedUpOnlyInTheirBucket() throws IOException {
        int buckets = 4;
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(buckets));
        List<GenerationRef> refs = new ArrayList<>();
        for (int b = 0; b < buckets; b++) {
            refs.add(write(table, b, 0, 400, id -> "v-" + id));
        }
        table.commit(new Commit("w", 1, refs, List.of()));
        Snapshot snapshot = table.snapshot(direct);
        List<Long> ids = new ArrayList<>();
        for (long id = 0; id < 400; id += 7) {
            ids.add(id);
        }
        io.resetCounters();

        List<LookupResult> results = snapshot.lookupAll(keys(table, ids)).join();

        for (int i = 0; i < ids.size(); i++) {
            assertThat(name(results.get(i))).isEqualTo("v-" + ids.get(i));
        }
        Map<Integer, Long> keysPerBucket = new TreeMap<>();
        ids.forEach(
                id -> keysPerBucket.merge(table.options().bucketOf(key(table, id)), 1L, Long::sum));
        for (int b = 0; b < buckets; b++) {
            Path generation = table.resolve(refs.get(b).path());
            long keys = keysPerBucket.getOrDefault(b, 0L);
            // A small generation opens in one tail read (its length comes from the manifest),
            // then each of its keys costs one page read; other buckets' keys cost it nothing.
            assertThat(io.requests(generation))
                    .as("requests to bucket %s", b)
                    .isEqualTo(keys == 0 ? 0 : 1 + keys);
            assertThat(io.lengthRequests(generation)).isZero();
        }
    }

    @Test
    void aSnapshotPinsItsVersion() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        table.commit(new Commit("w", 1, List.of(write(table, 0, 0, 10, id -> "old")), List.of()));
        Snapshot before = table.snapshot(direct);
        table.commit(new Commit("w", 2, List.of(write(table, 0, 0, 10, id -> "new")), List.of()));

        assertThat(name(before.lookup(key(table, 3L)).join())).isEqualTo("old");
        assertThat(name(table.snapshot(direct).lookup(key(table, 3L)).join())).isEqualTo("new");
        assertThat(before.manifest().version()).isEqualTo(1);
    }

    @Test
    void aGenerationSwappedForALinkIsNotReadThrough() throws IOException {
        KilnTable table = KilnTable.create(root(), KilnTableTest.options(1));
        GenerationRef g = write(table, 0, 0, 10, id -> "v-" + id);
        table.commit(new Commit("w", 1, List.of(g), List.of()));
        java.nio.file.Path file = dir.resolve("table").resolve(g.path());
        java.nio.file.Path elsewhere = dir.resolve("elsewhere.arrow");
        java.nio.file.Files.move(file, elsewhere);
        java.nio.file.Files.createSymbolicLink(file, elsewhere);
        io.resetCounters();

        assertThat(table.snapshot(direct).lookup(key(table, 3L)))
                .failsWithin(java.time.Duration.ofSeconds(10))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .havingCause()
                .isInstanceOf(LinkedPathException.class)
                .withMessageContaining(g.path());
        assertThat(io.requests(table.resolve(g.path()))).isZero();
    }

    private Path root() {
        return new Path(dir.resolve("table").toUri());
    }

    /**
     * Writes a generation of the ids in {@code [from, to)} that fall in {@code bucket}, named by
     * {@code names} (null: a tombstone), and returns its manifest entry.
     */
    private GenerationRef write(
            KilnTable table, int bucket, long from, long to, LongFunction<String> names)
            throws IOException {
        String path = table.newGenerationPath(bucket);
        try (VectorSchemaRoot rows = VectorSchemaRoot.create(table.options().schema(), allocator)) {
            BigIntVector id = (BigIntVector) rows.getVector("id");
            VarCharVector name = (VarCharVector) rows.getVector("name");
            BitSet deletes = new BitSet();
            int row = 0;
            for (long k = from; k < to; k++) {
                if (table.options().bucketOf(key(table, k)) != bucket) {
                    continue;
                }
                id.setSafe(row, k);
                String value = names.apply(k);
                if (value == null) {
                    deletes.set(row);
                    name.setNull(row);
                } else {
                    name.setSafe(row, value.getBytes(StandardCharsets.UTF_8));
                }
                row++;
            }
            rows.setRowCount(row);
            GenerationStats stats =
                    table.options()
                            .newWriter()
                            .write(table.resolve(path), rows, deletes, allocator);
            return GenerationRef.of(path, bucket, stats);
        }
    }

    private static byte[] key(KilnTable table, long id) {
        return table.options().keyCodec().encode(id);
    }

    private static List<byte[]> keys(KilnTable table, List<Long> ids) {
        return ids.stream().map(id -> key(table, id)).toList();
    }

    private static String name(LookupResult result) {
        return result.status() == LookupResult.Status.FOUND
                ? result.values().get(1).toString()
                : null;
    }

    /**
     * Reads through {@link #direct}, and records the path and slot of each read of what is cached,
     * answering it absent.
     */
    private final class Recording implements GenerationLookup {
        final List<String> paths = new ArrayList<>();
        final List<GenerationSlot> slots = new ArrayList<>();

        @Override
        public java.util.concurrent.CompletableFuture<List<LookupResult>> lookupAll(
                Path path, List<byte[]> keys) {
            return direct.lookupAll(path, keys);
        }

        @Override
        public <T> Object lookupIfCached(
                String path, GenerationSlot slot, byte[] key, dev.kiln.format.RowReader<T> reader) {
            paths.add(path);
            slots.add(slot);
            return LookupResult.absent();
        }
    }
}
