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
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.TestGenerations.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One lookup's keys grouped by page, over a real generation. */
class KeyBatchTest {

    private static final int ROWS = PartsFixture.ROWS;

    @TempDir static java.nio.file.Path dir;

    private static PartsFixture parts;
    private static Generation generation;
    private static Path gen;

    @BeforeAll
    static void writeGeneration() throws Exception {
        parts = new PartsFixture(dir);
        gen = parts.write("gen", 0, ROWS, 4);
        generation = parts.open(gen);
    }

    @AfterAll
    static void close() throws Exception {
        parts.close();
    }

    @Test
    void keysTheGenerationRulesOutAreAnsweredAbsentWithoutAPage() {
        KeyBatch batch =
                new KeyBatch(generation, gen.toString(), List.of(key(-5), key(ROWS + 7)), k -> {});
        assertThat(batch.pageKeys()).isEmpty();
        assertThat(batch.results())
                .extracting(LookupResult::status)
                .containsExactly(LookupResult.Status.ABSENT, LookupResult.Status.ABSENT);
    }

    @Test
    void keysAreGroupedByTheirPageInTheOrderOfTheirFirstKey() {
        long late = ROWS - 3;
        long early = 1;
        KeyBatch batch =
                new KeyBatch(
                        generation,
                        gen.toString(),
                        List.of(key(late), key(early), key(late - 1)),
                        k -> {});
        int latePage = generation.pageOf(key(late));
        int earlyPage = generation.pageOf(key(early));
        assertThat(latePage).isNotEqualTo(earlyPage);
        assertThat(batch.pageKeys())
                .containsExactly(
                        new PageKey(gen.toString(), latePage),
                        new PageKey(gen.toString(), earlyPage));
    }

    @Test
    void eachPageAnswersItsKeysInTheirInputPositions() throws Exception {
        List<Long> ids = List.of(2500L, 3L, 4L, -1L, 2501L, 1200L);
        List<byte[]> keys = new ArrayList<>();
        ids.forEach(id -> keys.add(key(id)));
        KeyBatch batch = new KeyBatch(generation, gen.toString(), keys, k -> {});

        for (PageKey page : batch.pageKeys()) {
            try (Page decoded =
                    generation.loadPage(page.page(), parts.allocator).get(10, TimeUnit.SECONDS)) {
                assertThat(batch.answer(page).apply(decoded)).isTrue();
            }
        }

        for (int i = 0; i < ids.size(); i++) {
            assertAnswer(ids.get(i), batch.results().get(i), 0, ROWS, 4);
        }
    }

    @Test
    void aColdReadOfAPageNamesTheVeryKeysOfThatPage() {
        byte[] early = key(1);
        byte[] alsoEarly = key(2);
        byte[] late = key(ROWS - 1);
        List<byte[]> named = new ArrayList<>();
        KeyBatch batch =
                new KeyBatch(
                        generation, gen.toString(), List.of(early, late, alsoEarly), named::add);

        batch.cold(batch.pageKeys().get(0)).run();

        assertThat(named).containsExactly(early, alsoEarly);
        assertThat(named.get(0)).isSameAs(early);
    }

    @Test
    void aNullKeyIsRejected() {
        List<byte[]> keys = new ArrayList<>();
        keys.add(key(1));
        keys.add(null);
        assertThatThrownBy(() -> new KeyBatch(generation, gen.toString(), keys, k -> {}))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("keys must not contain null");
    }
}
