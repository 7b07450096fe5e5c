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
import dev.kiln.io.ByteRange;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;

/** The default warmer alone: its chunk plan, and how it loads, stops and ends. */
class PageWarmerTest {

    private static final int ROWS = PartsFixture.ROWS;

    @TempDir java.nio.file.Path dir;

    private PartsFixture parts;
    private OpenGenerations generations;
    private PageTier pages;

    @AfterEach
    void tearDown() throws Exception {
        parts.close();
    }

    private void build(long loadBudgetBytes) {
        parts = new PartsFixture(dir, 64L << 20, loadBudgetBytes);
        generations = parts.generations(1 << 20, path -> {});
        pages = parts.pageTier(64L << 20);
    }

    private PageWarmer warmer(long budgetBytes, long chunkBytes) {
        return new PageWarmer(
                parts.paths,
                generations::open,
                pages,
                parts.work,
                budgetBytes,
                chunkBytes,
                null,
                0,
                1,
                null,
                PageWarmer.Reads.NONE);
    }

    @Test
    void theChunksTakePagesInKeyOrderWithinTheBudgetEachSpanningAtMostTheChunkBytes()
            throws Exception {
        build(16L << 20);
        Path gen = parts.write("gen", 0, ROWS, 0);
        Generation generation = parts.open(gen);
        int budgetPages = generation.pageCount() / 2;
        long budget = 0;
        for (int p = 0; p < budgetPages; p++) {
            budget += generation.pageRange(p).length();
        }
        long chunkBytes = 3 * generation.pageRange(0).length();

        List<List<PageKey>> chunks =
                PageWarmer.chunks(generation, gen.toString(), budget, chunkBytes);

        int next = 0;
        for (List<PageKey> chunk : chunks) {
            ByteRange first = generation.pageRange(chunk.get(0).page());
            ByteRange last = generation.pageRange(chunk.get(chunk.size() - 1).page());
            if (chunk.size() > 1) {
                assertThat(last.end() - first.offset()).isLessThanOrEqualTo(chunkBytes);
            }
            for (PageKey page : chunk) {
                assertThat(page).isEqualTo(new PageKey(gen.toString(), next++));
            }
        }
        assertThat(next).isEqualTo(budgetPages);
        assertThat(chunks).hasSizeGreaterThan(1);
        assertThat(PageWarmer.chunks(generation, gen.toString(), 0, chunkBytes)).isEmpty();
        assertThat(PageWarmer.chunks(generation, gen.toString(), budget - 1, chunkBytes))
                .flatMap(chunk -> chunk)
                .hasSize(budgetPages - 1);
        // After a write-through handover of the first pages: the rest, within the same budget.
        List<PageKey> rest =
                PageWarmer.chunks(generation, gen.toString(), budget, chunkBytes, 3).stream()
                        .flatMap(List::stream)
                        .toList();
        assertThat(rest).hasSize(budgetPages - 3);
        assertThat(rest.get(0)).isEqualTo(new PageKey(gen.toString(), 3));
    }

    @Test
    void aWarmLoadsEachChunkWithOneRead() throws Exception {
        build(16L << 20);
        Path gen = parts.write("gen", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        Generation generation =
                generations
                        .open(gen, file.length(), parts.paths.state(gen))
                        .get(10, TimeUnit.SECONDS)
                        .value();
        long chunkBytes = 4 * generation.pageRange(0).length();
        int chunks =
                PageWarmer.chunks(generation, gen.toString(), file.length(), chunkBytes).size();
        parts.io.resetCounters();

        warmer(file.length(), chunkBytes).warm(file).get(10, TimeUnit.SECONDS);

        assertThat(parts.io.requests(gen)).isEqualTo(chunks);
        assertThat(pages.estimatedSize()).isEqualTo(generation.pageCount());
        assertThat(parts.budget.reservedBytes()).isZero();
    }

    @Test
    void aWarmWhoseFutureIsCompletedByItsCallerStartsNoFurtherChunk() throws Exception {
        build(16L << 20);
        Path gen = parts.write("gen", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        Generation generation = parts.open(gen);
        long chunkBytes = generation.pageRange(0).length();
        int firstChunk =
                PageWarmer.chunks(generation, gen.toString(), file.length(), chunkBytes)
                        .get(0)
                        .size();
        PageWarmer warmer = warmer(file.length(), chunkBytes);
        generations.open(gen, file.length(), parts.paths.state(gen)).get(10, TimeUnit.SECONDS);
        parts.io.resetCounters();
        HeldReader.Hold chunk = parts.held.holdRead(1);

        CompletableFuture<Void> warming = warmer.warm(file);
        chunk.reached.get(10, TimeUnit.SECONDS);
        warming.completeExceptionally(new TimeoutException("deadline"));
        chunk.release();

        assertThat(parts.io.requests(gen)).isEqualTo(1);
        assertThat(pages.estimatedSize()).isEqualTo(firstChunk);
    }

    @Test
    void aWarmThatFindsNoRoomEndsSuccessfullyWithoutLoading() throws Exception {
        build(100);
        Path gen = parts.write("gen", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        assertThat(parts.budget.reserve(1)).isTrue();

        warmer(file.length(), 1 << 20).warm(file).get(10, TimeUnit.SECONDS);

        assertThat(pages.estimatedSize()).isZero();
        assertThat(generations.estimatedSize()).as("the open is not a page load").isEqualTo(1);
        parts.budget.unreserve(1);
    }

    @Test
    void aWarmOfAPathRetiredWhileItRunsFails() throws Exception {
        build(16L << 20);
        Path gen = parts.write("gen", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        Generation generation = parts.open(gen);
        PageWarmer warmer = warmer(file.length(), generation.pageRange(0).length());
        generations.open(gen, file.length(), parts.paths.state(gen)).get(10, TimeUnit.SECONDS);
        parts.io.resetCounters();
        HeldReader.Hold chunk = parts.held.holdRead(1);

        CompletableFuture<Void> warming = warmer.warm(file);
        chunk.reached.get(10, TimeUnit.SECONDS);
        parts.paths.retire(Set.of(gen.toString()));
        chunk.release();

        assertThat(warming.handle((done, error) -> Uncacheable.isCause(error)).join()).isTrue();
        assertThat(parts.io.requests(gen)).as("no chunk after the retirement").isEqualTo(1);
    }
}
