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
import dev.kiln.format.GenerationStats;
import dev.kiln.format.LookupResult;
import dev.kiln.io.ByteRange;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static dev.kiln.Latches.await;
import static dev.kiln.warm.TestGenerations.key;
import static dev.kiln.warm.TestGenerations.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The generation cache over real generation files on the local file system, read through an
 * instrumented reader whose exact counters say how many storage requests each step made.
 *
 * <p>Longer than 600 lines on purpose: it is the integration test of the whole cache (its parts
 * together, through the public API); each part's own behaviour is tested in that part's test class
 * ({@code PageTierTest}, {@code PathStatesTest}, ...).
 */
class GenerationCacheTest {

    private static final int ROWS = 3000;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private ExecutorService callers;
    private InstrumentedRangeReader io;
    private final List<GenerationCache> caches = new ArrayList<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        callers = Executors.newFixedThreadPool(8);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        caches.forEach(GenerationCache::close);
        callers.shutdownNow();
        ioPool.shutdownNow();
        assertThat(ioPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        // Fails if any page's Arrow memory was not released.
        allocator.close();
    }

    /**
     * A generation evicted for room is no longer warm: its mark goes with it, so the gate's marks
     * stay bounded by what the cache holds even when nobody retires paths (a writing TaskManager).
     */
    @Test
    void aGenerationEvictedForRoomLosesItsWarmMark() throws Exception {
        List<Path> generations = new ArrayList<>();
        for (int g = 0; g < 12; g++) {
            generations.add(write("gen-" + g, g * 100L, g * 100L + 100, 0));
        }
        GenerationCache cache =
                cache(
                        builder()
                                .warmOnOpen(false)
                                .maximumGenerationBytes(4096)
                                .warmPageBudgetBytes(0));

        for (Path generation : generations) {
            assertThat(
                            cache.warmGate()
                                    .warm(TestGenerations.fileOf(generation))
                                    .get(10, TimeUnit.SECONDS))
                    .isEqualTo(WarmOutcome.WARMED);
        }

        long marked = generations.stream().filter(cache.warmGate()::isWarm).count();
        assertThat(cache.cachedGenerations()).isLessThan(generations.size());
        assertThat(marked).isEqualTo(cache.cachedGenerations());
        Path evicted =
                generations.stream().filter(g -> !cache.warmGate().isWarm(g)).findFirst().get();
        io.resetCounters();
        assertThat(cache.warmGate().warm(TestGenerations.fileOf(evicted)).get(10, TimeUnit.SECONDS))
                .as("an evicted generation is warmed again, not taken for warm")
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(io.totalRequests()).isPositive();
    }

    @Test
    void afterAWarmTheFirstLookupOfAnyKeyMakesNoStorageRequest() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 7);
        GenerationCache cache = cache(builder().warmOnOpen(false));

        assertThat(cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(io.lengthRequests(gen))
                .as("a warm knows the file's length and never asks storage for it")
                .isZero();
        io.resetCounters();

        for (long id = -10; id < ROWS + 10; id++) {
            LookupResult result = cache.lookup(gen, key(id)).get(10, TimeUnit.SECONDS);
            assertAnswer(id, result, 0, ROWS, 7);
        }
        assertThat(io.totalRequests()).isZero();
        assertThat(io.lengthRequests(gen)).isZero();
    }

    @Test
    void aWarmOpensOnceAndLoadsItsPagesWithMergedRanges() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 0);
        RangeCoalescer coalescer = RangeCoalescer.of(0, 16 * TestGenerations.PAGE_BYTES);
        GenerationCache cache = cache(builder().coalescer(coalescer).warmOnOpen(false));
        Generation opened = cache.open(gen).get(10, TimeUnit.SECONDS);
        long openRequests = io.requests(gen);
        assertThat(openRequests).isBetween(1L, 2L);

        cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS);

        List<ByteRange> pageRanges = new ArrayList<>();
        for (int p = 0; p < opened.pageCount(); p++) {
            pageRanges.add(opened.pageRange(p));
        }
        int merged = coalescer.plan(pageRanges).merged().size();
        assertThat(opened.pageCount()).isGreaterThan(merged).isGreaterThan(20);
        assertThat(io.requests(gen)).isEqualTo(openRequests + merged);
        assertThat(cache.cachedPages()).isEqualTo(opened.pageCount());
        assertThat(cache.generationStats().missCount()).isEqualTo(1);
    }

    @Test
    void theWarmBudgetBoundsThePagesLoaded() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 0);
        Generation opened =
                cache(builder())
                        .open(gen, TestGenerations.fileOf(gen).length())
                        .get(10, TimeUnit.SECONDS);
        long openBytes = io.bytesRead(gen);
        long budget = opened.pageRange(0).length() + opened.pageRange(1).length();
        GenerationCache cache = cache(builder().warmPageBudgetBytes(budget).warmOnOpen(false));
        io.resetCounters();

        cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS);

        assertThat(cache.cachedPages()).isEqualTo(2);
        // The budget counts the bytes read; pages weigh what their decoded buffers occupy (issue
        // 7, item 12), which the page allocator accounts exactly.
        assertThat(io.bytesRead(gen) - openBytes).isLessThanOrEqualTo(budget);
        assertThat(cache.cachedPageBytes())
                .isEqualTo(cache.pageAllocator().getAllocatedMemory())
                .isGreaterThan(budget);
    }

    @Test
    void concurrentWarmsAndLookupsOpenAGenerationOnceAndLoadEachPageOnce() throws Exception {
        for (int iteration = 0; iteration < 20; iteration++) {
            Path gen = write("gen-" + iteration, 0, 600, 0);
            io.latency(Duration.ofMillis(5));
            io.resetCounters();
            GenerationCache cache = cache(builder().warmOnOpen(true));
            GenerationFile file = TestGenerations.fileOf(gen);
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<?>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int caller = t;
                work.add(
                        CompletableFuture.supplyAsync(
                                        () -> {
                                            await(start);
                                            return caller % 2 == 0
                                                    ? cache.warmGate().warm(file)
                                                    : cache.lookup(gen, key(caller * 70L));
                                        },
                                        callers)
                                .thenCompose(f -> f));
            }
            start.countDown();
            CompletableFuture.allOf(work.toArray(new CompletableFuture<?>[0]))
                    .get(30, TimeUnit.SECONDS);
            // Warm-on-open may still be running; wait for it through the gate.
            cache.warmGate().warm(file).get(30, TimeUnit.SECONDS);

            // Lookups open without a length; a warm that opens first needs none.
            assertThat(io.lengthRequests(gen)).isLessThanOrEqualTo(1);
            assertThat(cache.generationStats().missCount()).isEqualTo(1);
            assertThat(cache.warmGate().stats().started()).isEqualTo(1);
            assertThat(cache.pageStats().missCount()).isEqualTo(cache.cachedPages());
            cache.close();
        }
    }

    @Test
    void aLookupThatOpensAColdGenerationFiresOneBackgroundWarm() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 0);
        GenerationCache cache = cache(builder().warmOnOpen(true));

        LookupResult first = cache.lookup(gen, key(5)).get(10, TimeUnit.SECONDS);
        assertThat(first.values().get(1).toString()).isEqualTo(name(5));
        cache.lookup(gen, key(6)).get(10, TimeUnit.SECONDS);
        WarmOutcome joined =
                cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS);

        assertThat(joined).isIn(WarmOutcome.WARMED, WarmOutcome.ALREADY_WARM);
        assertThat(cache.warmGate().stats().started()).isEqualTo(1);
        io.resetCounters();
        for (long id = 0; id < ROWS; id += 13) {
            cache.lookup(gen, key(id)).get(10, TimeUnit.SECONDS);
        }
        assertThat(io.totalRequests()).isZero();
    }

    @Test
    void lookupAllFetchesThePagesOneFileMissesWithMergedRanges() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 5);
        RangeCoalescer coalescer = RangeCoalescer.of(0, 1 << 20);
        GenerationCache cache = cache(builder().coalescer(coalescer).warmOnOpen(false));
        Generation opened = cache.open(gen).get(10, TimeUnit.SECONDS);
        io.resetCounters();

        List<byte[]> keys = new ArrayList<>();
        List<Long> ids = List.of(2999L, 3L, 5L, 900L, 901L, 1500L, -1L, 4000L, 2500L);
        ids.forEach(id -> keys.add(key(id)));
        List<LookupResult> results = cache.lookupAll(gen, keys).get(10, TimeUnit.SECONDS);

        for (int i = 0; i < ids.size(); i++) {
            assertAnswer(ids.get(i), results.get(i), 0, ROWS, 5);
        }
        List<ByteRange> missed = new ArrayList<>();
        ids.stream()
                .filter(id -> id >= 0 && id < ROWS)
                .map(id -> opened.pageOf(key(id)))
                .distinct()
                .forEach(p -> missed.add(opened.pageRange(p)));
        assertThat(io.requests(gen)).isEqualTo(coalescer.plan(missed).merged().size());
        assertThat(cache.cachedPages()).isEqualTo(missed.size());
    }

    @Test
    void aHeldPathStaysUntilItsLastHolderReleasesItAndAHoldBeforeTheEvictionRunsKeepsIt()
            throws Exception {
        Path shared = write("shared", 0, ROWS, 0);
        Path other = write("other", ROWS, 2 * ROWS, 0);
        List<Runnable> maintenance = new ArrayList<>();
        GenerationCache cache =
                cache(builder().warmOnOpen(false).maintenanceExecutor(maintenance::add));
        cache.warmGate().warm(TestGenerations.fileOf(shared)).get(10, TimeUnit.SECONDS);
        cache.warmGate().warm(TestGenerations.fileOf(other)).get(10, TimeUnit.SECONDS);
        cache.holdPaths(Set.of(shared, other));
        cache.holdPaths(Set.of(shared));

        // One of two holders releases: nothing to evict.
        assertThat(cache.releasePaths(Set.of(shared))).isDone();
        assertThat(maintenance).isEmpty();
        assertThat(cache.holdsOf(shared)).isOne();

        // The last releases; a new holder arrives before the eviction runs: it keeps the path.
        CompletableFuture<Void> released = cache.releasePaths(Set.of(shared));
        assertThat(maintenance).hasSize(1);
        cache.holdPaths(Set.of(shared));
        maintenance.remove(0).run();
        released.get(10, TimeUnit.SECONDS);
        assertThat(cache.warmGate().isWarm(shared)).isTrue();
        assertThat(cache.lookupIfCached(shared.toString(), key(1))).isNotNull();

        // A release without a hold is refused whole: the other path's hold is left as it was.
        Path never = write("never", 2 * ROWS, 2 * ROWS + 10, 0);
        assertThatThrownBy(() -> cache.releasePaths(Set.of(other, never)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(never.toString());
        assertThat(cache.holdsOf(other)).isOne();

        released = cache.releasePaths(Set.of(shared));
        maintenance.remove(0).run();
        released.get(10, TimeUnit.SECONDS);
        assertThat(cache.holdsOf(shared)).isZero();
        assertThat(cache.warmGate().isWarm(shared)).isFalse();
        assertThat(cache.lookupIfCached(shared.toString(), key(1))).isNull();
        assertThat(cache.cachedGenerations()).isOne();
        assertThat(cache.lookupIfCached(other.toString(), key(ROWS + 1))).isNotNull();
    }

    @Test
    void concurrentHoldsAndReleasesAreCountedExactly() throws Exception {
        Path path = write("held", 0, ROWS, 0);
        GenerationCache cache =
                cache(builder().warmOnOpen(false).maintenanceExecutor(Runnable::run));
        cache.warmGate().warm(TestGenerations.fileOf(path)).get(10, TimeUnit.SECONDS);
        cache.holdPaths(Set.of(path));
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            done.add(
                    CompletableFuture.runAsync(
                            () -> {
                                await(start);
                                for (int i = 0; i < 500; i++) {
                                    cache.holdPaths(Set.of(path));
                                    cache.releasePaths(Set.of(path)).join();
                                }
                            },
                            callers));
        }
        io.resetCounters();
        start.countDown();
        CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
                .get(30, TimeUnit.SECONDS);
        // The first hold never went: nothing was evicted, nothing read again.
        assertThat(cache.holdsOf(path)).isOne();
        assertThat(cache.warmGate().isWarm(path)).isTrue();
        assertThat(cache.lookupIfCached(path.toString(), key(7))).isNotNull();
        assertThat(io.totalRequests()).isZero();

        cache.releasePaths(Set.of(path)).get(10, TimeUnit.SECONDS);
        assertThat(cache.holdsOf(path)).isZero();
        assertThat(cache.cachedGenerations()).isZero();
        assertThat(cache.cachedPages()).isZero();
    }

    @Test
    void retainPathsLeavesNothingOfRetiredGenerations() throws Exception {
        Path retired = write("retired", 0, ROWS, 0);
        Path live = write("live", ROWS, 2 * ROWS, 0);
        GenerationCache cache = cache(builder().warmOnOpen(false));
        cache.warmGate().warm(TestGenerations.fileOf(live)).get(10, TimeUnit.SECONDS);
        long livePages = cache.cachedPages();
        long livePageBytes = cache.cachedPageBytes();
        long liveMemory = allocator.getAllocatedMemory();
        cache.warmGate().warm(TestGenerations.fileOf(retired)).get(10, TimeUnit.SECONDS);
        assertThat(cache.cachedPages()).isGreaterThan(livePages);
        assertThat(allocator.getAllocatedMemory()).isGreaterThan(liveMemory);

        cache.retainPaths(Set.of(live)).get(10, TimeUnit.SECONDS);

        assertThat(cache.cachedGenerations()).isEqualTo(1);
        assertThat(cache.cachedPages()).isEqualTo(livePages);
        assertThat(cache.cachedPageBytes()).isEqualTo(livePageBytes);
        assertThat(allocator.getAllocatedMemory()).isEqualTo(liveMemory);
        assertThat(cache.warmGate().isWarm(retired)).isFalse();
        assertThat(cache.warmGate().isWarm(live)).isTrue();
        io.resetCounters();
        cache.lookup(live, key(ROWS + 1)).get(10, TimeUnit.SECONDS);
        assertThat(io.totalRequests()).isZero();
        cache.lookup(retired, key(1)).get(10, TimeUnit.SECONDS);
        assertThat(io.requests(retired)).isPositive();
    }

    @Test
    void evictPathsLeavesNothingOfTheGivenGenerationsAndEverythingElse() throws Exception {
        Path retired = write("retired", 0, ROWS, 0);
        Path live = write("live", ROWS, 2 * ROWS, 0);
        // Warm for a commit not yet published: no manifest names it, and it must stay.
        Path pending = write("pending", 2 * ROWS, 3 * ROWS, 0);
        GenerationCache cache = cache(builder().warmOnOpen(false));
        cache.warmGate().warm(TestGenerations.fileOf(live)).get(10, TimeUnit.SECONDS);
        cache.warmGate().warm(TestGenerations.fileOf(pending)).get(10, TimeUnit.SECONDS);
        long keptPages = cache.cachedPages();
        long keptMemory = allocator.getAllocatedMemory();
        cache.warmGate().warm(TestGenerations.fileOf(retired)).get(10, TimeUnit.SECONDS);
        assertThat(cache.cachedPages()).isGreaterThan(keptPages);

        cache.evictPaths(Set.of(retired)).get(10, TimeUnit.SECONDS);

        assertThat(cache.cachedGenerations()).isEqualTo(2);
        assertThat(cache.cachedPages()).isEqualTo(keptPages);
        assertThat(allocator.getAllocatedMemory()).isEqualTo(keptMemory);
        assertThat(cache.warmGate().isWarm(retired)).isFalse();
        assertThat(cache.warmGate().isWarm(live)).isTrue();
        assertThat(cache.warmGate().isWarm(pending)).isTrue();
        io.resetCounters();
        cache.lookup(live, key(ROWS + 1)).get(10, TimeUnit.SECONDS);
        cache.lookup(pending, key(2 * ROWS + 1)).get(10, TimeUnit.SECONDS);
        assertThat(io.totalRequests()).isZero();
        cache.lookup(retired, key(1)).get(10, TimeUnit.SECONDS);
        assertThat(io.requests(retired)).isPositive();
    }

    @Test
    void theColdReadListenerNamesTheKeysWhoseReadsTheCallRan() throws Exception {
        Path path = write("g", 0, ROWS, 0);
        long length = TestGenerations.fileOf(path).length();
        GenerationCache cache = cache(builder().warmOnOpen(false));
        byte[] first = key(1);
        byte[] far = key(ROWS - 1);
        Set<byte[]> cold = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // Opening the generation is a read for every key of the call.
        cache.lookupAll(path, length, List.of(first), cold::add).get(10, TimeUnit.SECONDS);
        assertThat(cold).containsExactly(first);

        cold.clear();
        byte[] again = key(1);
        cache.lookupAll(path, length, List.of(again, far), cold::add).get(10, TimeUnit.SECONDS);
        // key 1's page is cached now; the far key's page is not.
        assertThat(cold).containsExactly(far);

        cold.clear();
        cache.lookupAll(path, length, List.of(key(1), key(ROWS - 1)), cold::add)
                .get(10, TimeUnit.SECONDS);
        assertThat(cold).isEmpty();
    }

    @Test
    void pagesEvictedUnderReadersAreReleasedOnlyAfterTheirReadsAndAnswersStayRight()
            throws Exception {
        Path gen = write("gen-1", 0, ROWS, 3);
        Generation opened = cache(builder()).open(gen).get(10, TimeUnit.SECONDS);
        long pageBytes;
        try (dev.kiln.format.Page page = opened.loadPage(0, allocator).join()) {
            pageBytes = page.sizeBytes(); // what the cache weighs: decoded, not stored, bytes
        }
        // Room for about two pages: nearly every read evicts another reader's page.
        GenerationCache cache =
                cache(builder().maximumPageBytes(2 * pageBytes + 1).warmOnOpen(false));
        for (int iteration = 0; iteration < 20; iteration++) {
            Random random = new Random(iteration);
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Void>> work = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long[] ids = random.longs(40, 0, ROWS).toArray();
                work.add(
                        CompletableFuture.runAsync(() -> await(start), callers)
                                .thenCompose(
                                        x -> {
                                            List<CompletableFuture<Void>> lookups =
                                                    new ArrayList<>();
                                            for (long id : ids) {
                                                lookups.add(
                                                        cache.lookup(gen, key(id))
                                                                .thenAccept(
                                                                        r ->
                                                                                assertAnswer(
                                                                                        id, r, 0,
                                                                                        ROWS, 3)));
                                            }
                                            return CompletableFuture.allOf(
                                                    lookups.toArray(new CompletableFuture<?>[0]));
                                        }));
            }
            start.countDown();
            CompletableFuture.allOf(work.toArray(new CompletableFuture<?>[0]))
                    .get(60, TimeUnit.SECONDS);
            assertThat(cache.cachedPages()).isLessThanOrEqualTo(2);
        }
        assertThat(cache.pageStats().evictionCount()).isPositive();
        cache.close();
        assertThat(allocator.getAllocatedMemory()).isZero();
    }

    @Test
    void aFailedWarmIsCountedAndLookupsStillWork() throws Exception {
        Path gen = write("gen-1", 0, ROWS, 0);
        GenerationCache cache = cache(builder().warmOnOpen(false));
        io.failNextReads(1);

        assertThat(cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.FAILED);
        assertThat(cache.cachedGenerations()).isZero();
        assertThat(cache.lookup(gen, key(42)).get(10, TimeUnit.SECONDS).values().get(1).toString())
                .isEqualTo(name(42));
        assertThat(cache.warmGate().stats().failed()).isEqualTo(1);
    }

    @Test
    void aCorruptGenerationFailsLookupsAndCachesNothing() throws Exception {
        Path gen = new Path(dir.resolve("not-a-generation.arrow").toUri());
        java.nio.file.Files.write(dir.resolve("not-a-generation.arrow"), new byte[100]);
        GenerationCache cache = cache(builder().warmOnOpen(false));

        assertThatThrownBy(() -> cache.lookup(gen, key(1)).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(dev.kiln.format.CorruptGenerationException.class)
                .hasMessageContaining("not-a-generation.arrow");
        assertThat(cache.cachedGenerations()).isZero();
    }

    @Test
    void closedCacheRefusesWork() throws Exception {
        Path gen = write("gen-1", 0, 10, 0);
        GenerationCache cache = cache(builder());
        cache.lookup(gen, key(1)).get(10, TimeUnit.SECONDS);
        cache.warmGate().warm(TestGenerations.fileOf(gen)).get(10, TimeUnit.SECONDS);
        cache.close();

        assertThat(allocator.getAllocatedMemory()).isZero();
        assertThatThrownBy(() -> cache.lookup(gen, key(1)).join())
                .cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void closeDuringAWarmReleasesEveryPageSoTheAllocatorClosesCleanly() throws Exception {
        // Issue 7, item 10: pages a warm loaded after close() were inserted and never released,
        // so the caller's allocator.close() failed with a leak.
        Path gen = write("gen-1", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        for (int iteration = 0; iteration < 40; iteration++) {
            HeldReader held = new HeldReader(io);
            // Odd iterations hold the open's read, even ones the first page read.
            HeldReader.Hold hold = held.holdRead(iteration % 2 == 0 ? 2 : 1);
            try (BufferAllocator own = new RootAllocator()) {
                GenerationCache cache =
                        GenerationCache.builder(held, own).warmOnOpen(false).build();
                CompletableFuture<WarmOutcome> warm = cache.warmGate().warm(file);
                hold.reached.get(10, TimeUnit.SECONDS);

                CompletableFuture<Void> closed = cache.closeAsync();
                hold.release();

                assertThat(warm.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.FAILED);
                closed.get(10, TimeUnit.SECONDS);
                assertThat(cache.cachedPages()).isZero();
                assertThat(cache.cachedGenerations()).isZero();
                assertThat(own.getAllocatedMemory()).isZero();
                cache.close();
            } // RootAllocator.close() throws if a page or the cache's child allocator is left
        }
    }

    @Test
    void retainPathsWinsOverAWarmOfARetiredGeneration() throws Exception {
        // Issue 7, item 10: a warm in flight during retainPaths cached the retired generation's
        // pages afterwards and marked it warm again.
        Path retired = write("retired", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(retired);
        HeldReader held = new HeldReader(io);
        GenerationCache cache =
                cache(
                        GenerationCache.builder(held, allocator)
                                .warmOnOpen(false)
                                .maintenanceExecutor(Runnable::run));
        for (int iteration = 0; iteration < 60; iteration++) {
            HeldReader.Hold hold = held.holdRead(iteration % 2 == 0 ? 2 : 1);
            CompletableFuture<WarmOutcome> warm = cache.warmGate().warm(file);
            hold.reached.get(10, TimeUnit.SECONDS);

            // With a direct maintenance executor, the removal has happened when this returns.
            CompletableFuture<Void> retained = cache.retainPaths(Set.of());
            assertThat(retained).isNotDone();
            hold.release();

            retained.get(10, TimeUnit.SECONDS);
            assertThat(warm.get(10, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.FAILED);
            assertThat(cache.warmGate().isWarm(retired)).isFalse();
            assertThat(cache.cachedGenerations()).isZero();
            assertThat(cache.cachedPages()).isZero();
            assertThat(cache.pageAllocator().getAllocatedMemory()).isZero();
        }
        // A generation retired and then used again is cached as usual.
        assertThat(cache.warmGate().warm(file).get(10, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(cache.cachedPages()).isPositive();
    }

    @Test
    void aLookupInFlightDuringRetainPathsGetsItsAnswerButCachesNothing() throws Exception {
        Path retired = write("retired", 0, ROWS, 3);
        HeldReader held = new HeldReader(io);
        GenerationCache cache =
                cache(
                        GenerationCache.builder(held, allocator)
                                .warmOnOpen(false)
                                .maintenanceExecutor(Runnable::run));
        for (int iteration = 0; iteration < 30; iteration++) {
            long id = (iteration * 97L) % ROWS;
            // The open's read: the lookup loads its page after the retirement.
            HeldReader.Hold open = held.holdRead(1);
            CompletableFuture<LookupResult> lookup = cache.lookup(retired, key(id));
            open.reached.get(10, TimeUnit.SECONDS);

            CompletableFuture<Void> retained = cache.retainPaths(Set.of());
            open.release();

            assertAnswer(id, lookup.get(10, TimeUnit.SECONDS), 0, ROWS, 3);
            retained.get(10, TimeUnit.SECONDS);
            assertThat(cache.cachedGenerations()).isZero();
            assertThat(cache.cachedPages()).isZero();
            assertThat(cache.pageAllocator().getAllocatedMemory()).isZero();
        }
        assertThat(cache.uncachedPageReads()).isEqualTo(30);
    }

    @Test
    void theArrowMemoryOfPagesStaysWithinTheBoundUnderConcurrentLookupsAndWarms() throws Exception {
        // Issue 7, item 12: pages were weighed by their block size (the decoded buffers are
        // larger) and loads in flight were not counted: the Arrow peak was 8-14x the bound.
        int generationCount = 4;
        List<Path> gens = new ArrayList<>();
        for (int g = 0; g < generationCount; g++) {
            gens.add(write("gen-" + g, g * ROWS, (g + 1) * ROWS, 5));
        }
        Generation probe = cache(builder()).open(gens.get(0)).get(10, TimeUnit.SECONDS);
        long largestPage = 0;
        for (int p = 0; p < probe.pageCount(); p++) {
            largestPage = Math.max(largestPage, LoadBudget.decodedEstimate(probe.pageRange(p)));
        }
        long bound = 16 * largestPage;
        int threads = 6;
        for (int iteration = 0; iteration < 10; iteration++) {
            PeakListener listener = new PeakListener();
            try (BufferAllocator measured =
                    allocator.newChildAllocator("measured", listener, 0, Long.MAX_VALUE)) {
                GenerationCache cache =
                        GenerationCache.builder(io, measured)
                                .maximumPageBytes(bound)
                                .maxConcurrentWarms(2)
                                .build();
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<Void>> work = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Random random = new Random(iteration * 31L + t);
                    work.add(
                            CompletableFuture.runAsync(
                                    () -> {
                                        await(start);
                                        for (int i = 0; i < 60; i++) {
                                            int g = random.nextInt(generationCount);
                                            Path gen = gens.get(g);
                                            if (i % 10 == 0) {
                                                cache.warmGate().warm(fileOf(gen)).join();
                                            }
                                            long id = g * ROWS + random.nextInt(ROWS);
                                            assertAnswer(
                                                    id,
                                                    cache.lookup(gen, key(id)).join(),
                                                    g * ROWS,
                                                    (g + 1) * ROWS,
                                                    5);
                                        }
                                    },
                                    callers));
                }
                start.countDown();
                CompletableFuture.allOf(work.toArray(new CompletableFuture<?>[0]))
                        .get(60, TimeUnit.SECONDS);

                // Cached pages and loads into the cache are allocated from a child limited to the
                // bound, so Arrow refuses what would pass it. (Arrow's peak statistic may count a
                // refused attempt for an instant, so the peak is measured by a listener, which
                // sees only the allocations that succeeded.)
                assertThat(cache.pageAllocator().getLimit()).isEqualTo(bound);
                // Everything the cache allocated: that, plus at most one page per lookup in
                // flight (read privately when it could not be cached).
                assertThat(listener.peak.get()).isLessThanOrEqualTo(bound + threads * largestPage);
                // Settled: pages weigh exactly what the allocator accounts for them.
                assertThat(cache.cachedPageBytes())
                        .isEqualTo(cache.pageAllocator().getAllocatedMemory())
                        .isLessThanOrEqualTo(bound);
                cache.closeAsync().get(10, TimeUnit.SECONDS);
                assertThat(measured.getAllocatedMemory()).isZero();
                assertThat(listener.current.get()).isZero();
            }
        }
    }

    @Test
    void theDefaultWarmerStopsLoadingPagesOnceItsFutureIsCompleted() throws Exception {
        // Issue 7, item 11: a warm the gate timed out went on loading its whole budget.
        Path gen = write("gen-1", 0, ROWS, 0);
        GenerationFile file = TestGenerations.fileOf(gen);
        // Reads complete on the thread that issues (or releases) them: the test sees every step.
        InstrumentedRangeReader direct =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(Runnable::run));
        HeldReader held = new HeldReader(direct);
        Generation opened = cache(builder()).open(gen).get(10, TimeUnit.SECONDS);
        GenerationCache cache =
                cache(
                        GenerationCache.builder(held, allocator)
                                .coalescer(RangeCoalescer.of(0, opened.pageRange(0).length()))
                                .warmOnOpen(false));
        cache.open(gen, file.length()).get(10, TimeUnit.SECONDS);
        long openReads = direct.requests(gen);
        HeldReader.Hold firstPage = held.holdRead(1);

        CompletableFuture<Void> warming = cache.warmer().warm(file);
        firstPage.reached.get(10, TimeUnit.SECONDS);
        // What a gate does at the deadline.
        warming.completeExceptionally(new TimeoutException("deadline"));
        firstPage.release();

        assertThat(direct.requests(gen)).isEqualTo(openReads + 1);
        assertThat(cache.cachedPages()).isEqualTo(1);
        assertThat(opened.pageCount()).isGreaterThan(10);
    }

    /**
     * Lookups of one key issued while storage holds every read: with single flight they share one
     * open and one page load; without (the benchmarks' plain baseline) each reads both itself, the
     * cache keeps one copy and the others' Arrow memory is released. Answers are right either way
     * and the counters say exactly what was read.
     */
    @ParameterizedTest(name = "singleFlight={0}")
    @ValueSource(booleans = {true, false})
    void concurrentMissesOfOnePageLoadItOnceOnlyWithSingleFlight(boolean singleFlight)
            throws Exception {
        int lookups = 6;
        for (int iteration = 0; iteration < 10; iteration++) {
            Path gen = write("gen-" + iteration, 0, ROWS, 4);
            GatedReader gated = new GatedReader(io);
            GenerationCache cache =
                    cache(
                            GenerationCache.builder(gated, allocator)
                                    .warmOnOpen(false)
                                    .singleFlight(singleFlight));
            long id = (iteration * 283L) % ROWS;
            int copies = singleFlight ? 1 : lookups;

            // Opens: every lookup misses the generation while the first open is held.
            List<CompletableFuture<LookupResult>> opening = new ArrayList<>();
            for (int i = 0; i < lookups; i++) {
                opening.add(cache.lookup(gen, key(id)));
            }
            gated.open();
            for (CompletableFuture<LookupResult> lookup : opening) {
                assertAnswer(id, lookup.get(10, TimeUnit.SECONDS), 0, ROWS, 4);
            }
            assertThat(io.lengthRequests(gen)).isEqualTo(copies);
            assertThat(cache.cachedGenerations()).isEqualTo(1);

            // Pages: the generation is open; every lookup misses another page while it is held.
            long other = (id + ROWS / 2) % ROWS;
            long pagesBefore = cache.pagesRead();
            long distinctBefore = cache.distinctPagesRead();
            gated.close();
            io.resetCounters();
            List<CompletableFuture<List<LookupResult>>> loading = new ArrayList<>();
            for (int i = 0; i < lookups; i++) {
                loading.add(cache.lookupAll(gen, List.of(key(other))));
            }
            gated.open();
            for (CompletableFuture<List<LookupResult>> lookup : loading) {
                assertAnswer(other, lookup.get(10, TimeUnit.SECONDS).get(0), 0, ROWS, 4);
            }
            assertThat(io.requests(gen)).isEqualTo(copies);
            assertThat(cache.pagesRead() - pagesBefore).isEqualTo(copies);
            assertThat(cache.distinctPagesRead() - distinctBefore).isEqualTo(1);
            assertThat(cache.cachedPages()).isEqualTo(2);
            assertThat(cache.pageAllocator().getAllocatedMemory())
                    .as("duplicate copies released")
                    .isEqualTo(cache.cachedPageBytes());

            io.resetCounters();
            assertAnswer(
                    other, cache.lookup(gen, key(other)).get(10, TimeUnit.SECONDS), 0, ROWS, 4);
            assertThat(io.totalRequests()).as("a cached page is read from the cache").isZero();
            cache.close();
        }
    }

    @Test
    void builderValidatesOptions() {
        assertThatThrownBy(() -> builder().maximumPageBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximumPageBytes must be positive");
        assertThatThrownBy(() -> builder().maximumGenerationBytes(-1))
                .hasMessageContaining("maximumGenerationBytes must be positive");
        assertThatThrownBy(() -> builder().warmPageBudgetBytes(-1))
                .hasMessageContaining("warmPageBudgetBytes must not be negative");
        assertThatThrownBy(() -> builder().maxConcurrentWarms(0))
                .hasMessageContaining("maxConcurrentWarms must be positive");
        assertThatThrownBy(() -> builder().warmDeadline(Duration.ofSeconds(-1)))
                .hasMessageContaining("warmDeadline must be positive");
        assertThatThrownBy(() -> GenerationCache.builder(null, allocator))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("io");
    }

    private GenerationCache.Builder builder() {
        return GenerationCache.builder(io, allocator);
    }

    private GenerationCache cache(GenerationCache.Builder builder) {
        GenerationCache cache = builder.build();
        caches.add(cache);
        return cache;
    }

    private Path write(String name, long from, long to, int deleteEvery) throws IOException {
        Path path = new Path(dir.resolve(name + ".arrow").toUri());
        GenerationStats stats = TestGenerations.write(path, from, to, deleteEvery, allocator);
        assertThat(stats.rowCount()).isEqualTo(to - from);
        return path;
    }

    /**
     * Fault injection over a real reader: while closed, every read and length request waits until
     * the gate opens.
     */
    private static final class GatedReader implements RangeReader {
        private final RangeReader delegate;
        private volatile CompletableFuture<Void> gate = new CompletableFuture<>();

        GatedReader(RangeReader delegate) {
            this.delegate = delegate;
        }

        void open() {
            gate.complete(null);
        }

        void close() {
            gate = new CompletableFuture<>();
        }

        @Override
        public CompletableFuture<byte[]> read(Path path, ByteRange range) {
            return gate.thenCompose(ignored -> delegate.read(path, range));
        }

        @Override
        public CompletableFuture<Long> length(Path path) {
            return gate.thenCompose(ignored -> delegate.length(path));
        }
    }

    /** Follows what an allocator and its children (which inherit it) actually hand out. */
    private static final class PeakListener implements AllocationListener {
        final AtomicLong current = new AtomicLong();
        final AtomicLong peak = new AtomicLong();

        @Override
        public void onAllocation(long size) {
            peak.accumulateAndGet(current.addAndGet(size), Math::max);
        }

        @Override
        public void onRelease(long size) {
            current.addAndGet(-size);
        }
    }

    private static GenerationFile fileOf(Path path) {
        try {
            return TestGenerations.fileOf(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertAnswer(long id, LookupResult result, long from, long to, int deleteEvery) {
        if (id < from || id >= to) {
            assertThat(result.status()).as("id %s", id).isEqualTo(LookupResult.Status.ABSENT);
        } else if (deleteEvery > 0 && id % deleteEvery == 0) {
            assertThat(result.status()).as("id %s", id).isEqualTo(LookupResult.Status.DELETED);
        } else {
            assertThat(result.status()).as("id %s", id).isEqualTo(LookupResult.Status.FOUND);
            assertThat(result.values().get(0)).isEqualTo(id);
            assertThat(result.values().get(1).toString()).isEqualTo(name(id));
        }
    }
}
