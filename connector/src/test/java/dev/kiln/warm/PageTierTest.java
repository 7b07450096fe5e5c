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

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.LookupResult;
import dev.kiln.format.PageCompression;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.TestGenerations.key;
import static org.assertj.core.api.Assertions.assertThat;

/** The page tier alone: pages of real generations through the cache, or privately. */
class PageTierTest {

    private static final int ROWS = PartsFixture.ROWS;

    @TempDir java.nio.file.Path dir;

    private PartsFixture parts;

    @AfterEach
    void tearDown() throws Exception {
        parts.close();
    }

    @Test
    void aPageIsLoadedOnceAndThenReadFromTheCache() throws Exception {
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        parts.io.resetCounters();
        long id = 1234;
        PageKey page = new PageKey(gen.toString(), generation.pageOf(key(id)));
        AtomicInteger loadedHere = new AtomicInteger();

        for (int i = 0; i < 3; i++) {
            LookupResult result =
                    tier.readPage(
                                    generation,
                                    state,
                                    page,
                                    p -> p.lookup(key(id)),
                                    0,
                                    loadedHere::incrementAndGet)
                            .get(10, TimeUnit.SECONDS);
            assertAnswer(id, result, 0, ROWS, 4);
        }

        assertThat(loadedHere).hasValue(1);
        assertThat(parts.io.requests(gen)).isEqualTo(1);
        assertThat(parts.counters.pagesRead()).isEqualTo(1);
        assertThat(parts.counters.uncachedPageReads()).isZero();
        assertThat(tier.estimatedSize()).isEqualTo(1);
        assertThat(tier.getIfPresent(page)).isNotNull();
        assertThat(parts.pageAllocator.getAllocatedMemory()).isEqualTo(tier.weightedSizeBytes());
        assertThat(parts.budget.reservedBytes()).isZero();
    }

    @Test
    void aCompressedPageIsReservedAtLeastAtWhatItDecodesIntoOnceAPageLikeItHasLoaded()
            throws Exception {
        // ZSTD blocks of repetitive rows decode into many times their size: the fixed estimate
        // (twice the block, at most) reserved a fraction of what such a load allocates.
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = new Path(dir.resolve("zstd.arrow").toUri());
        try (VectorSchemaRoot rows =
                VectorSchemaRoot.create(TestGenerations.SCHEMA, parts.allocator)) {
            BigIntVector id = (BigIntVector) rows.getVector("id");
            VarCharVector name = (VarCharVector) rows.getVector("name");
            byte[] repetitive = "x".repeat(200).getBytes(StandardCharsets.UTF_8);
            for (int row = 0; row < 2000; row++) {
                id.setSafe(row, row);
                name.setSafe(row, repetitive);
            }
            rows.setRowCount(2000);
            GenerationWriter.builder(TestGenerations.SCHEMA, List.of("id"))
                    .targetPageBytes(16 * 1024)
                    .compression(PageCompression.zstd(3))
                    .build()
                    .write(gen, rows, new BitSet(), parts.allocator, null);
        }
        Generation generation = parts.open(gen);
        assertThat(generation.pageCount()).isGreaterThan(2);
        PathState state = parts.paths.state(gen);
        PageKey first = new PageKey(gen.toString(), 0);
        PageKey second = new PageKey(gen.toString(), 1);
        long fixedEstimate = tier.reservationFor(generation, List.of(second));

        tier.readPage(generation, state, first, p -> p.rowCount(), 0, () -> {})
                .get(10, TimeUnit.SECONDS);
        long reservation = tier.reservationFor(generation, List.of(second));
        tier.readPage(generation, state, second, p -> p.rowCount(), 0, () -> {})
                .get(10, TimeUnit.SECONDS);
        long decoded = tier.getIfPresent(second).sizeBytes();

        assertThat(fixedEstimate).as("the fixed estimate").isLessThan(decoded / 2);
        assertThat(reservation).isGreaterThanOrEqualTo(decoded);
        assertThat(parts.budget.reservedBytes()).isZero();
    }

    @Test
    void aBatchFetchesTheAdjacentPagesItMissesWithOneReadAndTheNextFromTheCache() throws Exception {
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        parts.io.resetCounters();
        List<Long> ids = List.of(900L, 5L, 300L, 600L, 601L);
        List<byte[]> keys = new ArrayList<>();
        ids.forEach(id -> keys.add(key(id)));
        List<byte[]> cold = new ArrayList<>();

        KeyBatch batch = new KeyBatch(generation, gen.toString(), keys, cold::add);
        tier.readAll(generation, state, batch).get(10, TimeUnit.SECONDS);

        assertThat(batch.pageKeys()).hasSizeGreaterThan(2);
        assertThat(parts.io.requests(gen)).as("one coalesced read").isEqualTo(1);
        assertThat(cold).hasSameSizeAs(keys);
        assertThat(tier.estimatedSize()).isEqualTo(batch.pageKeys().size());
        for (int i = 0; i < ids.size(); i++) {
            assertAnswer(ids.get(i), batch.results().get(i), 0, ROWS, 4);
        }

        cold.clear();
        KeyBatch again = new KeyBatch(generation, gen.toString(), keys, cold::add);
        tier.readAll(generation, state, again).get(10, TimeUnit.SECONDS);
        assertThat(parts.io.requests(gen)).isEqualTo(1);
        assertThat(cold).isEmpty();
        assertThat(again.results().get(0).values()).isEqualTo(batch.results().get(0).values());
    }

    @Test
    void aPageOfARetiredPathIsReadPrivatelyAndNothingIsCached() throws Exception {
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        parts.paths.retire(Set.of(gen.toString()));

        LookupResult result = read(tier, generation, state, 77);

        assertAnswer(77, result, 0, ROWS, 4);
        assertThat(parts.counters.uncachedPageReads()).isEqualTo(1);
        assertThat(tier.estimatedSize()).isZero();
        assertThat(parts.pageAllocator.getAllocatedMemory()).isZero();
        assertThat(parts.allocator.getAllocatedMemory())
                .as("the private copy is released")
                .isZero();
        assertThat(state.drained).isCompleted();
    }

    @Test
    void withNoRoomToReserveAPageIsReadPrivatelyAndWithRoomItIsCached() throws Exception {
        parts = new PartsFixture(dir, 64L << 20, 100);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        assertThat(parts.budget.reserve(1)).isTrue();

        assertAnswer(10, read(tier, generation, state, 10), 0, ROWS, 4);
        assertThat(parts.counters.uncachedPageReads()).isEqualTo(1);
        assertThat(tier.estimatedSize()).isZero();

        parts.budget.unreserve(1);
        assertAnswer(10, read(tier, generation, state, 10), 0, ROWS, 4);
        assertThat(parts.counters.uncachedPageReads()).isEqualTo(1);
        assertThat(tier.estimatedSize()).isEqualTo(1);
    }

    @Test
    void aPageThatDoesNotFitInThePageAllocatorIsReadPrivately() throws Exception {
        parts = new PartsFixture(dir, 64, 16L << 20);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);

        assertAnswer(2001, read(tier, generation, parts.paths.state(gen), 2001), 0, ROWS, 4);

        assertThat(parts.counters.uncachedPageReads()).isEqualTo(1);
        assertThat(tier.estimatedSize()).isZero();
        assertThat(parts.pageAllocator.getAllocatedMemory()).isZero();
    }

    @Test
    void anOfferKeepsTheFirstCopyOfAPageAndReleasesTheOther() throws Exception {
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        PageKey page = new PageKey(gen.toString(), 3);

        Map<PageKey, SharedPage> first =
                tier.loadPages(generation, state, Set.of(page)).get(10, TimeUnit.SECONDS);
        Map<PageKey, SharedPage> second =
                tier.loadPages(generation, state, Set.of(page)).get(10, TimeUnit.SECONDS);
        tier.offer(state, page, first.get(page));
        tier.offer(state, page, second.get(page));

        assertThat(tier.getIfPresent(page)).isSameAs(first.get(page));
        assertThat(parts.pageAllocator.getAllocatedMemory()).isEqualTo(tier.weightedSizeBytes());
        assertThat(parts.counters.pagesRead()).isEqualTo(2);
        assertThat(parts.counters.distinctPagesRead()).isEqualTo(1);
    }

    @Test
    void invalidatingAPathReleasesItsPagesWhichDrainsItsRetiredState() throws Exception {
        parts = new PartsFixture(dir);
        PageTier tier = parts.pageTier(1 << 20);
        Path retired = parts.write("retired", 0, ROWS, 4);
        Path live = parts.write("live", 0, ROWS, 4);
        Generation retiredGeneration = parts.open(retired);
        Generation liveGeneration = parts.open(live);
        read(tier, retiredGeneration, parts.paths.state(retired), 5);
        read(tier, liveGeneration, parts.paths.state(live), 5);

        CompletableFuture<Void> drained = parts.paths.retire(Set.of(retired.toString()));
        assertThat(drained).as("its cached page is its work").isNotDone();
        tier.invalidateAll(retired.toString()::equals);

        assertThat(drained).isCompleted();
        assertThat(tier.estimatedSize()).isEqualTo(1);
        assertThat(parts.pageAllocator.getAllocatedMemory()).isEqualTo(tier.weightedSizeBytes());
    }

    private static LookupResult read(PageTier tier, Generation generation, PathState state, long id)
            throws Exception {
        PageKey page = new PageKey(state.path, generation.pageOf(key(id)));
        return tier.readPage(generation, state, page, p -> p.lookup(key(id)), 0)
                .get(10, TimeUnit.SECONDS);
    }
}
