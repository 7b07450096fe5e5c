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

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.kiln.warm.OpenGenerations.UNKNOWN_LENGTH;
import static org.assertj.core.api.Assertions.assertThat;

/** The open-generation tier alone, over real generation files. */
class OpenGenerationsTest {

    @TempDir java.nio.file.Path dir;

    private PartsFixture parts;
    private final List<String> evicted = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        parts = new PartsFixture(dir);
    }

    @AfterEach
    void tearDown() throws Exception {
        parts.close();
    }

    @Test
    void concurrentOpensOfOnePathReadTheFileOnce() throws Exception {
        Path gen = parts.write("gen", 0, PartsFixture.ROWS, 0);
        OpenGenerations generations = parts.generations(1 << 20, evicted::add);
        PathState state = parts.paths.state(gen);
        HeldReader.Hold tail = parts.held.holdRead(1);

        List<CompletableFuture<CachedValue<String, Generation>>> opens = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            opens.add(generations.open(gen, UNKNOWN_LENGTH, state));
        }
        tail.reached.get(10, TimeUnit.SECONDS);
        tail.release();

        Generation first = opens.get(0).get(10, TimeUnit.SECONDS).value();
        long loaded = 0;
        for (CompletableFuture<CachedValue<String, Generation>> open : opens) {
            CachedValue<String, Generation> opened = open.get(10, TimeUnit.SECONDS);
            assertThat(opened.value()).isSameAs(first);
            loaded += opened.loaded() ? 1 : 0;
        }
        assertThat(loaded).isEqualTo(1);
        assertThat(parts.io.lengthRequests(gen)).isEqualTo(1);
        assertThat(parts.io.requests(gen)).isBetween(1L, 2L);
        assertThat(generations.getIfPresent(gen.toString())).isSameAs(first);
        assertThat(generations.stats().loadCount()).isEqualTo(1);
    }

    @Test
    void anOpenGivenTheFileLengthMakesNoLengthRequest() throws Exception {
        Path gen = parts.write("gen", 0, 100, 0);
        OpenGenerations generations = parts.generations(1 << 20, evicted::add);
        long length = TestGenerations.fileOf(gen).length();

        generations.open(gen, length, parts.paths.state(gen)).get(10, TimeUnit.SECONDS);

        assertThat(parts.io.lengthRequests(gen)).isZero();
        assertThat(parts.io.requests(gen)).isBetween(1L, 2L);
    }

    @Test
    void theOpenOfARetiredPathIsRefusedAndCachesNothingButAPrivateOpenWorks() throws Exception {
        Path gen = parts.write("gen", 0, 100, 0);
        OpenGenerations generations = parts.generations(1 << 20, evicted::add);
        PathState state = parts.paths.state(gen);
        parts.paths.retire(Set.of(gen.toString()));

        CompletableFuture<CachedValue<String, Generation>> refused =
                generations.open(gen, UNKNOWN_LENGTH, state);

        assertThat(refused.handle((value, error) -> Uncacheable.isCause(error)).join()).isTrue();
        assertThat(parts.io.totalRequests()).isZero();
        assertThat(generations.estimatedSize()).isZero();
        Generation opened =
                generations.openPrivately(gen, UNKNOWN_LENGTH).get(10, TimeUnit.SECONDS);
        assertThat(opened.rowCount()).isEqualTo(100);
        assertThat(generations.estimatedSize()).isZero();
    }

    @Test
    void generationsEvictedForRoomAreReportedAndInvalidatedOnesAreNot() throws Exception {
        OpenGenerations generations = parts.generations(4096, evicted::add);
        List<String> opened = new ArrayList<>();
        for (int g = 0; g < 12; g++) {
            Path gen = parts.write("gen-" + g, g * 100L, g * 100L + 100, 0);
            generations.open(gen, UNKNOWN_LENGTH, parts.paths.state(gen)).get(10, TimeUnit.SECONDS);
            opened.add(gen.toString());
        }
        assertThat(generations.estimatedSize()).isLessThan(12);
        assertThat(evicted).hasSize(12 - (int) generations.estimatedSize());
        assertThat(opened).containsAll(evicted);
        for (String path : evicted) {
            assertThat(generations.getIfPresent(path)).isNull();
        }

        List<String> before = List.copyOf(evicted);
        generations.invalidateAll(path -> true);
        assertThat(generations.estimatedSize()).isZero();
        assertThat(evicted).as("invalidation is not eviction for room").isEqualTo(before);
    }

    @Test
    void anOfferKeepsTheFirstCopyAndOneOfARetiredPathIsRemovedAgain() throws Exception {
        Path gen = parts.write("gen", 0, 100, 0);
        OpenGenerations generations = parts.generations(1 << 20, evicted::add);
        PathState state = parts.paths.state(gen);
        Generation first = parts.open(gen);
        Generation second = parts.open(gen);

        generations.offer(state, first);
        generations.offer(state, second);
        assertThat(generations.getIfPresent(gen.toString())).isSameAs(first);

        generations.invalidateAll(path -> true);
        state.retire();
        generations.offer(state, second);
        assertThat(generations.getIfPresent(gen.toString())).isNull();
    }

    @Test
    void aGenerationIsWeighedByItsFooter() throws Exception {
        Path gen = parts.write("gen", 0, PartsFixture.ROWS, 0);
        Generation generation = parts.open(gen);
        long pageBytes = 0;
        for (int p = 0; p < generation.pageCount(); p++) {
            pageBytes += generation.pageRange(p).length();
        }
        assertThat(OpenGenerations.footerBytes(generation))
                .isEqualTo(generation.fileLength() - pageBytes)
                .isPositive();
    }

    @Test
    void noOpenStartsOnceTheCacheIsClosed() throws Exception {
        Path gen = parts.write("gen", 0, 100, 0);
        OpenGenerations generations = parts.generations(1 << 20, evicted::add);
        parts.work.close();

        CompletableFuture<CachedValue<String, Generation>> refused =
                generations.open(gen, UNKNOWN_LENGTH, parts.paths.state(gen));

        assertThat(refused).isCompletedExceptionally();
        assertThat(parts.io.totalRequests()).isZero();
    }
}
