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

package dev.kiln.warm;

import dev.kiln.format.GenerationStats;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.Snapshot;
import dev.kiln.table.TableOptions;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Warm before commit, end to end on the core: flush a generation, warm it, publish it, and the
 * first lookups through the new snapshot make no storage request; retired generations leave the
 * cache.
 */
class WarmedSnapshotTest {

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private GenerationCache cache;

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        cache = GenerationCache.builder(io, allocator).warmOnOpen(false).build();
    }

    @AfterEach
    void tearDown() {
        cache.close();
        ioPool.shutdownNow();
        allocator.close();
    }

    @Test
    void theFirstLookupsAfterAWarmedCommitMakeNoStorageRequest() throws Exception {
        KilnTable table = newTable();
        GenerationRef first = flushAndWarm(table, 0, 2000);
        Manifest v1 = table.commit(new Commit("w", 1, List.of(first), List.of()));
        GenerationRef second = flushAndWarm(table, 1000, 3000);
        table.commit(new Commit("w", 2, List.of(second), List.of()));
        io.resetCounters();

        Snapshot snapshot = table.snapshot(cache);
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < 3000; id += 3) {
            keys.add(TestGenerations.key(id));
        }
        List<LookupResult> results = snapshot.lookupAll(keys).get(30, TimeUnit.SECONDS);

        assertThat(io.totalRequests()).isZero();
        for (int i = 0; i < keys.size(); i++) {
            assertThat(results.get(i).values().get(1).toString())
                    .isEqualTo(TestGenerations.name(i * 3L));
        }

        // Compaction retires the first generation: its handle and pages leave the cache.
        Manifest v3 = table.commit(new Commit("compactor", 1, List.of(), List.of(first.path())));
        cache.retainPaths(
                        v3.generations().stream()
                                .map(g -> table.resolve(g.path()))
                                .collect(Collectors.toSet()))
                .get(10, TimeUnit.SECONDS);
        assertThat(cache.cachedGenerations()).isEqualTo(1);
        assertThat(cache.warmGate().isWarm(table.resolve(first.path()))).isFalse();
        assertThat(v1.version()).isEqualTo(1);
    }

    @Test
    void aColdSnapshotLookupOpensWithTheManifestsLengthInAtMostTwoReads() throws Exception {
        KilnTable table = newTable();
        String relative = table.newGenerationPath(0);
        Path path = table.resolve(relative);
        GenerationStats stats = TestGenerations.write(path, 0, 2000, 0, allocator);
        table.commit(new Commit("w", 1, List.of(GenerationRef.of(relative, 0, stats)), List.of()));
        io.resetCounters();

        LookupResult result =
                table.snapshot(cache).lookup(TestGenerations.key(1234)).get(10, TimeUnit.SECONDS);

        assertThat(result.values().get(1).toString()).isEqualTo(TestGenerations.name(1234));
        assertThat(io.lengthRequests(path)).isZero();
        // At most two tail reads to open, then one page read.
        assertThat(io.requests(path)).isBetween(2L, 3L);
    }

    private KilnTable newTable() throws java.io.IOException {
        return KilnTable.create(
                new Path(dir.resolve("t").toUri()),
                TableOptions.builder(TestGenerations.SCHEMA, List.of("id"))
                        .targetPageBytes(TestGenerations.PAGE_BYTES)
                        .build());
    }

    private GenerationRef flushAndWarm(KilnTable table, long from, long to) throws Exception {
        String relative = table.newGenerationPath(0);
        Path path = table.resolve(relative);
        GenerationStats stats = TestGenerations.write(path, from, to, 0, allocator);
        assertThat(cache.warmGate().warm(TestGenerations.fileOf(path)).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        return GenerationRef.of(relative, 0, stats);
    }
}
