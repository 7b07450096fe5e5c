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
import dev.kiln.format.RowReader;
import dev.kiln.table.GenerationSlot;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.OpenGenerations.UNKNOWN_LENGTH;
import static dev.kiln.warm.TestGenerations.key;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

/** The read path alone: opens, the warm-on-open trigger, cold reads, the mode switch. */
class LookupsTest {

    private static final int ROWS = PartsFixture.ROWS;

    @TempDir java.nio.file.Path dir;

    private PartsFixture parts;
    private final List<GenerationFile> warms = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        parts.close();
    }

    private OpenGenerations generations;
    private PageTier pages;

    private Lookups lookups(boolean singleFlight, boolean warmOnOpen) {
        parts = new PartsFixture(dir);
        generations = parts.generations(1 << 20, path -> {});
        pages = parts.pageTier(1 << 20);
        return new Lookups(
                parts.paths,
                generations,
                pages,
                new PlainReads(generations, pages),
                parts.work,
                singleFlight,
                warmOnOpen,
                warms::add);
    }

    @Test
    void aLookupThatOpensAGenerationFiresOneWarmOfItAndAPlainOpenFiresNone() throws Exception {
        Lookups lookups = lookups(true, true);
        Path opened = parts.write("opened", 0, 100, 0);
        Path looked = parts.write("looked", 0, ROWS, 4);

        lookups.open(opened, UNKNOWN_LENGTH).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            assertAnswer(i, lookups.lookup(looked, key(i)).get(10, TimeUnit.SECONDS), 0, ROWS, 4);
            lookups.lookupAll(looked, UNKNOWN_LENGTH, List.of(key(i)), Lookups.NO_COLD_READS)
                    .get(10, TimeUnit.SECONDS);
        }

        assertThat(warms).containsExactly(TestGenerations.fileOf(looked));
        assertThat(warms.get(0).length()).isEqualTo(TestGenerations.fileOf(looked).length());
    }

    @Test
    void withWarmOnOpenOffNoLookupFiresAWarm() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        assertAnswer(7, lookups.lookup(gen, key(7)).get(10, TimeUnit.SECONDS), 0, ROWS, 4);
        assertThat(warms).isEmpty();
    }

    @Test
    void theColdReadListenerNamesTheKeysWhoseReadsTheCallRan() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        long length = TestGenerations.fileOf(gen).length();
        byte[] early = key(5);
        byte[] late = key(ROWS - 5);
        List<byte[]> cold = new CopyOnWriteArrayList<>();

        lookups.lookupAll(gen, length, List.of(early), cold::add).get(10, TimeUnit.SECONDS);
        assertThat(cold).as("the open and the page").isNotEmpty().allMatch(k -> k == early);

        cold.clear();
        List<LookupResult> answers =
                lookups.lookupAll(gen, length, List.of(early, late), cold::add)
                        .get(10, TimeUnit.SECONDS);
        assertThat(cold).containsExactly(late);
        assertAnswer(5, answers.get(0), 0, ROWS, 4);
        assertAnswer(ROWS - 5, answers.get(1), 0, ROWS, 4);
        assertThat(parts.io.lengthRequests(gen)).isZero();
    }

    @Test
    void lookupIfCachedAnswersOnlyFromWhatIsCached() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();

        assertThat(lookups.lookupIfCached(path, key(9))).isNull();
        lookups.open(gen, UNKNOWN_LENGTH).get(10, TimeUnit.SECONDS);
        parts.io.resetCounters();
        assertThat(lookups.lookupIfCached(path, key(9))).as("page not cached").isNull();
        assertThat(lookups.lookupIfCached(path, key(ROWS + 1)).status())
                .isEqualTo(LookupResult.Status.ABSENT);
        assertThat(parts.io.totalRequests()).isZero();

        lookups.lookup(gen, key(9)).get(10, TimeUnit.SECONDS);
        assertAnswer(9, lookups.lookupIfCached(path, key(9)), 0, ROWS, 4);

        parts.work.close();
        assertThat(lookups.lookupIfCached(path, key(9))).isNull();
    }

    /** Reads a found row's id, failing the test if the page it reads is not the live one. */
    private static final RowReader<Long> ID =
            (page, row) -> page.vector(0).getDataBuffer().getLong(row * 8L);

    @Test
    void aCachedPageFoundOnceIsReadFromItsGenerationsSlotUntilItIsEvicted() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();
        lookups.lookup(gen, key(9)).get(10, TimeUnit.SECONDS);
        Generation open = generations.getIfPresent(path);
        int page = open.pageOf(key(9));
        assertThat(open.pageSlots().get(page)).as("not installed before a hit").isNull();

        assertThat(lookups.lookupIfCached(path, key(9), ID)).isEqualTo(9L);
        SharedPage installed = (SharedPage) open.pageSlots().get(page);
        assertThat(installed).isSameAs(pages.getIfPresent(new PageKey(path, page)));
        assertThat(installed.key()).isEqualTo(new PageKey(path, page));
        assertThat(lookups.lookupIfCached(path, key(11), ID)).isEqualTo(11L);
        assertThat(lookups.lookupIfCached(path, key(12), ID))
                .as("a tombstone, from the slot")
                .isEqualTo(LookupResult.deleted());

        // The cache's removal clears the slot before the page is released.
        pages.invalidateAll(p -> true);
        assertThat(installed.evicted()).isTrue();
        assertThat(open.pageSlots().get(page)).isNull();
        assertThat(lookups.lookupIfCached(path, key(9), ID)).as("page not cached").isNull();

        // Loaded again: a new page, installed by the next hit.
        lookups.lookup(gen, key(9)).get(10, TimeUnit.SECONDS);
        assertThat(lookups.lookupIfCached(path, key(9), ID)).isEqualTo(9L);
        assertThat(open.pageSlots().get(page)).isNotNull().isNotSameAs(installed);
    }

    @Test
    void aReleasedOrEvictedPageLeftInASlotIsNeverRead() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();
        lookups.open(gen, UNKNOWN_LENGTH).get(10, TimeUnit.SECONDS);
        Generation open = generations.getIfPresent(path);
        int page = open.pageOf(key(9));
        RowReader<Long> mustNotRead =
                (p, row) -> {
                    throw new AssertionError("read a page that is not resident");
                };

        // Released: no reference can be taken any more.
        AtomicBoolean closed = new AtomicBoolean();
        SharedPage released =
                new SharedPage(open.loadPage(page, parts.allocator).join(), () -> closed.set(true));
        released.release();
        assertThat(closed).isTrue();
        open.pageSlots().set(page, released);
        assertThat(lookups.lookupIfCached(path, key(9), mustNotRead)).isNull();
        assertThat(open.pageSlots().get(page)).as("cleared by the reader").isNull();

        // Evicted but still held by a reader: alive, but no longer served from the slot.
        SharedPage evicted = new SharedPage(open.loadPage(page, parts.allocator).join(), () -> {});
        evicted.install(open.pageSlots(), new PageKey(path, page));
        assertThat(open.pageSlots().get(page)).isSameAs(evicted);
        Object inHold =
                evicted.read(
                        held -> {
                            evicted.evict();
                            assertThat(open.pageSlots().get(page)).isNull();
                            // As a racing install would leave it:
                            open.pageSlots().set(page, evicted);
                            return lookups.lookupIfCached(path, key(9), mustNotRead);
                        });
        assertThat(inHold).isNull();
        // Once the hold ends, the page is closed: its memory goes back (checked on close).
        String afterHold = evicted.read(held -> "read");
        assertThat(afterHold).isNull();

        // Installed after its eviction (the install lost the race): the install clears it.
        SharedPage late = new SharedPage(open.loadPage(page, parts.allocator).join(), () -> {});
        late.evict();
        late.install(open.pageSlots(), new PageKey(path, page));
        assertThat(open.pageSlots().get(page)).isNull();
    }

    /**
     * Lookups through the slots while the page is evicted and loaded again, over and over: every
     * answer is the right row or a miss, never a read of a released page, and every page's memory
     * is returned (the fixture's allocator fails its close otherwise).
     */
    @Test
    void evictionsRacingSlotHitsNeverServeAReleasedPage() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();
        long[] ids = {1, 2, 3, 5, 7, 9, 10, 11, ROWS / 2 + 1, ROWS - 1};
        AtomicInteger hits = new AtomicInteger();
        for (int round = 0; round < 200; round++) {
            for (long id : ids) {
                lookups.lookup(gen, key(id)).get(10, TimeUnit.SECONDS);
            }
            hits.addAndGet(
                    race(
                            ids,
                            id -> lookups.lookupIfCached(path, key(id), ID),
                            i -> {
                                pages.invalidateAll(p -> true);
                                lookups.lookup(gen, key(ids[i])).get(10, TimeUnit.SECONDS);
                            }));
        }
        assertThat(hits).as("hits made while pages came and went").hasPositiveValue();
        pages.invalidateAll(p -> true);
        Generation open = generations.getIfPresent(path);
        for (int p = 0; p < open.pageCount(); p++) {
            assertThat(open.pageSlots().get(p)).as("slot %d after the last eviction", p).isNull();
        }
    }

    @Test
    void aGenerationInASnapshotsSlotIsReadFromThereUntilTheCacheRemovesIt() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();
        GenerationSlot slot = new GenerationSlot();
        assertThat(lookups.lookupIfCached(path, slot, key(9), ID)).as("not open").isNull();
        assertThat(slot.get()).isNull();

        lookups.lookup(gen, key(9)).get(10, TimeUnit.SECONDS);
        Generation cached = generations.getIfPresent(path);
        assertThat(lookups.lookupIfCached(path, slot, key(9), ID)).isEqualTo(9L);
        assertThat(slot.get()).as("put in the slot by the hit").isSameAs(cached);

        // Read from the slot, not the cache: a generation the cache does not hold, put there,
        // answers (its own page slots get the page), the cached one's slots stay as they were.
        Generation elsewhere = generations.openPrivately(gen, UNKNOWN_LENGTH).get(10, SECONDS);
        slot.set(elsewhere);
        int page = cached.pageOf(key(11));
        assertThat(lookups.lookupIfCached(path, slot, key(11), ID)).isEqualTo(11L);
        assertThat(elsewhere.pageSlots().get(page)).as("read through the slot's").isNotNull();
        assertThat(slot.get()).isSameAs(elsewhere);

        // Once marked removed, never served from the slot again: the cache's is, and replaces it.
        elsewhere.markUncached();
        assertThat(lookups.lookupIfCached(path, slot, key(11), ID)).isEqualTo(11L);
        assertThat(slot.get()).isSameAs(cached);

        // The cache's removal marks it: the slot does not serve it, and lets it go.
        generations.invalidateAll(p -> true);
        assertThat(cached.uncached()).isTrue();
        RowReader<Long> mustNotRead =
                (p, row) -> {
                    throw new AssertionError("answered from a generation the cache removed");
                };
        assertThat(lookups.lookupIfCached(path, slot, key(9), mustNotRead)).isNull();
        assertThat(slot.get()).isNull();

        // Opened again: a new generation, put in the slot by the next hit.
        lookups.lookup(gen, key(9)).get(10, TimeUnit.SECONDS);
        assertThat(lookups.lookupIfCached(path, slot, key(9), ID)).isEqualTo(9L);
        assertThat(slot.get()).isSameAs(generations.getIfPresent(path)).isNotSameAs(cached);

        parts.work.close();
        assertThat(lookups.lookupIfCached(path, slot, key(9), ID)).as("closed").isNull();
    }

    /**
     * Lookups through a snapshot's generation slot while the generation (and its pages) is removed
     * from the cache and opened again, over and over: every answer is the right row or a miss;
     * after a removal no lookup is answered from the removed generation (a hit needs a generation
     * the cache holds or held when the lookup began); every page's memory is returned (the
     * fixture's allocator fails its close otherwise).
     */
    @Test
    void removalsRacingGenerationSlotHitsNeverServeARemovedGeneration() throws Exception {
        Lookups lookups = lookups(true, false);
        Path gen = parts.write("gen", 0, ROWS, 4);
        String path = gen.toString();
        long[] ids = {1, 2, 3, 5, 7, 9, 10, 11, ROWS / 2 + 1, ROWS - 1};
        GenerationSlot slot = new GenerationSlot();
        AtomicInteger hits = new AtomicInteger();
        for (int round = 0; round < 200; round++) {
            for (long id : ids) {
                lookups.lookup(gen, key(id)).get(10, TimeUnit.SECONDS);
            }
            hits.addAndGet(
                    race(
                            ids,
                            id -> lookups.lookupIfCached(path, slot, key(id), ID),
                            i -> {
                                generations.invalidateAll(p -> true);
                                if (i == 1) {
                                    pages.invalidateAll(p -> true);
                                }
                                lookups.lookup(gen, key(ids[i])).get(10, TimeUnit.SECONDS);
                            }));
            // Removed with no reader left: the slot's generation, if any, is never served again.
            Object held = slot.get();
            generations.invalidateAll(p -> true);
            assertThat(held == null || ((Generation) held).uncached()).isTrue();
            assertThat(lookups.lookupIfCached(path, slot, key(1), ID)).isNull();
            assertThat(slot.get()).isNull();
        }
        assertThat(hits).as("hits made while the generation came and went").hasPositiveValue();
        pages.invalidateAll(p -> true);
    }

    @Test
    void noLookupStartsOnceClosed() throws Exception {
        Lookups lookups = lookups(true, true);
        Path gen = parts.write("gen", 0, ROWS, 4);
        parts.work.close();

        CompletableFuture<LookupResult> refused = lookups.lookup(gen, key(1));

        assertThat(refused)
                .failsWithin(java.time.Duration.ZERO)
                .withThrowableThat()
                .withCauseInstanceOf(IllegalStateException.class);
        assertThat(parts.io.totalRequests()).isZero();
        assertThat(warms).isEmpty();
    }

    @Test
    void withoutSingleFlightALookupDoesNotJoinAnOpenInFlight() throws Exception {
        List<Integer> lengthRequests = new ArrayList<>();
        for (boolean singleFlight : new boolean[] {true, false}) {
            Lookups lookups = lookups(singleFlight, false);
            Path gen = parts.write("gen-" + singleFlight, 0, ROWS, 4);
            HeldReader.Hold tail = parts.held.holdRead(1);

            CompletableFuture<LookupResult> held = lookups.lookup(gen, key(11));
            tail.reached.get(10, TimeUnit.SECONDS);
            CompletableFuture<LookupResult> other = lookups.lookup(gen, key(12));
            tail.release();

            assertAnswer(11, held.get(10, TimeUnit.SECONDS), 0, ROWS, 4);
            assertAnswer(12, other.get(10, TimeUnit.SECONDS), 0, ROWS, 4);
            lengthRequests.add((int) parts.io.lengthRequests(gen));
            parts.close();
        }
        parts = new PartsFixture(dir);
        assertThat(lengthRequests).containsExactly(1, 2);
    }

    /** A step of what {@link #race} runs against the reader. */
    private interface Churn {
        void step(int i) throws Exception;
    }

    /**
     * Starts a reader making 200 lookups of {@code ids} in turn through {@code read}, and runs
     * {@code churn} three times meanwhile (a latch starts both together); every answer must be the
     * key's id or a miss. Returns the hits.
     */
    private static int race(long[] ids, java.util.function.LongFunction<Object> read, Churn churn)
            throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger hits = new AtomicInteger();
        Thread reader =
                new Thread(
                        () -> {
                            try {
                                start.await();
                                for (int i = 0; i < 200; i++) {
                                    long id = ids[i % ids.length];
                                    Object answer = read.apply(id);
                                    if (answer != null) {
                                        assertThat(answer).isEqualTo(id);
                                        hits.incrementAndGet();
                                    }
                                }
                            } catch (Throwable t) {
                                errors.add(t);
                            }
                        });
        reader.start();
        start.countDown();
        for (int i = 0; i < 3; i++) {
            churn.step(i);
        }
        reader.join();
        assertThat(errors).isEmpty();
        return hits.get();
    }
}
