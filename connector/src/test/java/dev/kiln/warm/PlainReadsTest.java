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

import dev.kiln.cache.CachedValue;
import dev.kiln.format.Generation;
import dev.kiln.warm.PathStates.PathState;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.OpenGenerations.UNKNOWN_LENGTH;
import static dev.kiln.warm.TestGenerations.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The mode without single flight alone: every caller reads what the cache misses, even what another
 * has in flight, and the cache keeps the first copy offered.
 */
class PlainReadsTest {

    private static final int ROWS = PartsFixture.ROWS;

    @TempDir java.nio.file.Path dir;

    private PartsFixture parts;
    private OpenGenerations generations;
    private PageTier pages;
    private PlainReads plain;

    @BeforeEach
    void setUp() {
        parts = new PartsFixture(dir);
        generations = parts.generations(1 << 20, path -> {});
        pages = parts.pageTier(1 << 20);
        plain = new PlainReads(generations, pages);
    }

    @AfterEach
    void tearDown() throws Exception {
        parts.close();
    }

    @Test
    void anOpenInFlightDoesNotStopAnotherAndTheCacheKeepsTheFirstOffered() throws Exception {
        Path gen = parts.write("gen", 0, ROWS, 4);
        PathState state = parts.paths.state(gen);
        HeldReader.Hold tail = parts.held.holdRead(1);

        CompletableFuture<CachedValue<String, Generation>> held =
                plain.open(gen, UNKNOWN_LENGTH, state);
        tail.reached.get(10, TimeUnit.SECONDS);
        CachedValue<String, Generation> second =
                plain.open(gen, UNKNOWN_LENGTH, state).get(10, TimeUnit.SECONDS);
        tail.release();
        CachedValue<String, Generation> first = held.get(10, TimeUnit.SECONDS);

        assertThat(first.loaded()).isTrue();
        assertThat(second.loaded()).isTrue();
        assertThat(first.value()).isNotSameAs(second.value());
        assertThat(parts.io.lengthRequests(gen)).isEqualTo(2);
        assertThat(generations.getIfPresent(gen.toString())).isSameAs(second.value());

        parts.io.resetCounters();
        CachedValue<String, Generation> cached =
                plain.open(gen, UNKNOWN_LENGTH, state).get(10, TimeUnit.SECONDS);
        assertThat(cached.loaded()).isFalse();
        assertThat(cached.value()).isSameAs(second.value());
        assertThat(parts.io.totalRequests()).isZero();
    }

    @Test
    void aPageInFlightIsReadAgainAndTheDuplicateIsReleased() throws Exception {
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        parts.io.resetCounters();
        long id = 1500;
        HeldReader.Hold page = parts.held.holdRead(1);

        KeyBatch heldBatch = batch(generation, gen, id);
        CompletableFuture<Void> held = plain.readAll(generation, state, heldBatch);
        page.reached.get(10, TimeUnit.SECONDS);
        KeyBatch otherBatch = batch(generation, gen, id);
        plain.readAll(generation, state, otherBatch).get(10, TimeUnit.SECONDS);
        page.release();
        held.get(10, TimeUnit.SECONDS);

        assertAnswer(id, heldBatch.results().get(0), 0, ROWS, 4);
        assertAnswer(id, otherBatch.results().get(0), 0, ROWS, 4);
        assertThat(parts.io.requests(gen)).isEqualTo(2);
        assertThat(parts.counters.pagesRead()).isEqualTo(2);
        assertThat(parts.counters.distinctPagesRead()).isEqualTo(1);
        assertThat(pages.estimatedSize()).isEqualTo(1);
        assertThat(parts.pageAllocator.getAllocatedMemory()).isEqualTo(pages.weightedSizeBytes());

        parts.io.resetCounters();
        KeyBatch cached = batch(generation, gen, id);
        plain.readAll(generation, state, cached).get(10, TimeUnit.SECONDS);
        assertAnswer(id, cached.results().get(0), 0, ROWS, 4);
        assertThat(parts.io.totalRequests()).isZero();
    }

    @Test
    void aPageOfAPathRetiredWhileItWasReadIsNotKept() throws Exception {
        Path gen = parts.write("gen", 0, ROWS, 4);
        Generation generation = parts.open(gen);
        PathState state = parts.paths.state(gen);
        HeldReader.Hold page = parts.held.holdRead(1);

        KeyBatch batch = batch(generation, gen, 42);
        CompletableFuture<Void> reading = plain.readAll(generation, state, batch);
        page.reached.get(10, TimeUnit.SECONDS);
        CompletableFuture<Void> drained = parts.paths.retire(java.util.Set.of(gen.toString()));
        page.release();
        reading.get(10, TimeUnit.SECONDS);

        assertAnswer(42, batch.results().get(0), 0, ROWS, 4);
        assertThat(pages.estimatedSize()).isZero();
        assertThat(parts.pageAllocator.getAllocatedMemory()).isZero();
        assertThat(drained).isCompleted();
    }

    private static KeyBatch batch(Generation generation, Path gen, long id) {
        return new KeyBatch(generation, gen.toString(), List.of(key(id)), k -> {});
    }
}
