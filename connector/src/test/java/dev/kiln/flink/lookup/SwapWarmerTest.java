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

import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationCache;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link SwapWarmer} on a real table: what it warms, and how it counts. */
class SwapWarmerTest {

    private static final Duration LONG = Duration.ofMinutes(1);

    @TempDir java.nio.file.Path dir;

    private final ExecutorService io = Executors.newFixedThreadPool(2);
    private final BufferAllocator allocator = new RootAllocator();
    private GenerationCache cache;
    private TestTable table;

    @BeforeEach
    void setUp() throws IOException {
        cache =
                GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .build();
        table = TestTable.create(dir.resolve("t"), 4);
    }

    @AfterEach
    void tearDown() {
        cache.close();
        table.close();
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void warmsTheNewOwnedGenerationsOnceAndCountsWhatWasWarmAlready() throws IOException {
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        int generations = written.generations().size();
        SwapWarmer warmer =
                new SwapWarmer(table.table, cache.warmGate(), b -> true, LONG, () -> false);

        assertThat(warmer.warm(written, Set.of())).isTrue();
        assertThat(warmer.warmed()).isEqualTo(generations);
        assertThat(warmer.coldGenerations()).isZero();

        assertThat(warmer.warm(written, Set.of())).isTrue();
        assertThat(warmer.alreadyWarm()).isEqualTo(generations);
        assertThat(warmer.warmed()).isEqualTo(generations);
    }

    @Test
    void generationsOfTheCurrentVersionOrOfBucketsNotOwnedAreNotWarmed() throws IOException {
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        Set<String> all =
                written.generations().stream().map(GenerationRef::path).collect(Collectors.toSet());

        SwapWarmer notOwned =
                new SwapWarmer(table.table, cache.warmGate(), b -> false, LONG, () -> false);
        assertThat(notOwned.warm(written, Set.of())).isTrue();
        SwapWarmer owned =
                new SwapWarmer(table.table, cache.warmGate(), b -> true, LONG, () -> false);
        assertThat(owned.warm(written, all)).isTrue();

        assertThat(notOwned.warmed() + owned.warmed() + owned.alreadyWarm()).isZero();
        assertThat(owned.lastWarmNanos()).isZero();
    }

    @Test
    void aWarmEndingAfterCloseCountsNothingAndStopsTheSwap() throws IOException {
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        SwapWarmer warmer =
                new SwapWarmer(table.table, cache.warmGate(), b -> true, LONG, () -> true);

        assertThat(warmer.warm(written, Set.of())).isFalse();
        assertThat(warmer.warmed() + warmer.coldGenerations()).isZero();
    }
}
