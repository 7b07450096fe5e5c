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

import dev.kiln.Latches;
import dev.kiln.format.CorruptGenerationException;
import dev.kiln.format.LookupResult;
import dev.kiln.format.RowReader;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.Manifest;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link LookupEngine}: batches, single flight under concurrency, errors, ownership. */
class LookupEngineTest {

    @TempDir java.nio.file.Path dir;

    private final ExecutorService io = Executors.newFixedThreadPool(8);
    private final BufferAllocator allocator = new RootAllocator();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private InstrumentedRangeReader storage;
    private GenerationCache cache;
    private TestTable table;

    @BeforeEach
    void setUp() throws IOException {
        table = TestTable.create(dir.resolve("t"), 2);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        table.close();
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void manyLookupsInFlightOnFewHotPagesLoadEachPageOnce() throws Exception {
        table.upsert(1, LongStream.range(0, 300).toArray());
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try {
            for (int iteration = 0; iteration < 20; iteration++) {
                InstrumentedRangeReader slow =
                        InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io))
                                .latency(Duration.ofMillis(5));
                try (GenerationCache cold =
                                GenerationCache.builder(slow, allocator).warmOnOpen(false).build();
                        SnapshotFollower follower = follower(cold, b -> true, false);
                        LookupEngine engine =
                                engine(cold, follower, b -> true, 16, Duration.ZERO)) {
                    follower.initialize();
                    CountDownLatch start = new CountDownLatch(1);
                    List<Future<List<CompletableFuture<LookupResult>>>> calls = new ArrayList<>();
                    for (int t = 0; t < 8; t++) {
                        int offset = t;
                        calls.add(
                                callers.submit(
                                        () -> {
                                            Latches.await(start);
                                            List<CompletableFuture<LookupResult>> answers =
                                                    new ArrayList<>();
                                            // Keys 0..39 (a few pages), in a different order per
                                            // caller.
                                            for (int i = 0; i < 40; i++) {
                                                long id = (i * 7L + offset * 13L) % 40;
                                                answers.add(engine.lookup(table.key(id)));
                                            }
                                            return answers;
                                        }));
                    }
                    start.countDown();
                    long lookups = 0;
                    for (Future<List<CompletableFuture<LookupResult>>> call : calls) {
                        for (CompletableFuture<LookupResult> answer : call.get()) {
                            LookupResult found = answer.get();
                            assertThat(found.status()).isEqualTo(LookupResult.Status.FOUND);
                            lookups++;
                        }
                    }
                    // Every page and generation was loaded by exactly one lookup; the rest hit or
                    // joined its load.
                    assertThat(cold.pageStats().missCount())
                            .as("iteration %d", iteration)
                            .isEqualTo(cold.cachedPages());
                    assertThat(cold.generationStats().missCount())
                            .isEqualTo(cold.cachedGenerations());
                    assertThat(cold.pageStats().requestCount()).isLessThanOrEqualTo(lookups);
                    assertThat(cold.pageStats().loadFailureCount()).isZero();
                    assertThat(lookups).isEqualTo(320);
                }
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void everyLookupIsCountedAsAHitOrAColdRead() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, false);
        follower.initialize();
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 8, Duration.ZERO, metrics);
        closeables.add(engine);
        for (long id = 0; id < 100; id++) {
            assertFound(engine.lookup(table.key(id)).get(), written.version(), id);
        }
        long cold = metrics.coldReads.getCount();
        assertThat(cold).isPositive();
        storage.resetCounters();
        for (long id = 0; id < 100; id++) {
            assertFound(engine.lookup(table.key(id)).get(), written.version(), id);
        }
        assertThat(storage.totalRequests()).isZero();
        assertThat(metrics.coldReads.getCount()).isEqualTo(cold);
        assertThat(metrics.hits.getCount() + metrics.coldReads.getCount()).isEqualTo(200);
        assertThat(metrics.lookups.getCount()).isEqualTo(200);
    }

    @Test
    void cachedLookupsAreAnsweredInlineAndOnlyMissesGoToABatch() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, true);
        follower.initialize();
        GenerationRef evicted = written.generations().get(0);
        long[] ofEvicted =
                LongStream.range(0, 100)
                        .filter(id -> table.bucketOf(id) == evicted.bucket())
                        .toArray();
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        // One batch for exactly the misses; the window never passes.
        LookupEngine engine =
                new LookupEngine(
                        table.table,
                        cache,
                        follower,
                        b -> true,
                        ofEvicted.length,
                        Duration.ofHours(1),
                        metrics);
        closeables.add(engine);

        storage.resetCounters();
        for (long id = 0; id < 100; id++) {
            CompletableFuture<LookupResult> answer = engine.lookup(table.key(id));
            assertThat(answer).as("id %d answered on the caller's thread", id).isDone();
            assertFound(answer.get(), written.version(), id);
        }
        assertThat(metrics.inlineHits()).isEqualTo(100);
        assertThat(metrics.hits()).isEqualTo(100);
        assertThat(metrics.batches()).isZero();
        assertThat(storage.totalRequests()).isZero();

        cache.evictPaths(Set.of(table.table.resolve(evicted.path()))).join();
        List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
        for (long id = 0; id < 100; id++) {
            answers.add(engine.lookup(table.key(id)));
        }
        for (long id = 0; id < 100; id++) {
            assertFound(answers.get((int) id).get(), written.version(), id);
        }
        assertThat(metrics.batches()).isOne();
        assertThat(metrics.coldReads()).isEqualTo(ofEvicted.length);
        assertThat(metrics.inlineHits()).isEqualTo(200 - ofEvicted.length);
        assertThat(metrics.hits() + metrics.coldReads()).isEqualTo(metrics.lookups());
        assertThat(storage.totalRequests()).isPositive();
    }

    @Test
    void aLookupMissedByTheCachedPathGoesStraightToABatchWithoutTryingTheCacheAgain()
            throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 10).toArray());
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, true);
        follower.initialize();
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 1, Duration.ZERO, metrics);
        closeables.add(engine);

        // Every page is cached: lookup() answers inline, lookupMissed() (what the functions call
        // after lookupIfCached returned null) does not look at the cache path again.
        assertFound(engine.lookup(table.key(3)).get(), written.version(), 3);
        assertThat(metrics.inlineHits()).isOne();
        assertThat(metrics.batches()).isZero();
        storage.resetCounters();
        for (long id = 0; id < 10; id++) {
            assertFound(engine.lookupMissed(table.key(id)).get(), written.version(), id);
        }
        assertThat(metrics.inlineHits()).isOne();
        assertThat(metrics.batches()).isEqualTo(10);
        assertThat(metrics.hits()).isEqualTo(11);
        assertThat(metrics.lookups()).isEqualTo(11);
        assertThat(metrics.coldReads()).isZero();
        assertThat(storage.totalRequests()).isZero();

        // An inline hit of lookupIfCached counts as a lookup, a hit and an inline hit.
        assertThat(engine.lookupIfCached(table.key(4), (page, row) -> row)).isNotNull();
        assertThat(metrics.inlineHits()).isEqualTo(2);
        assertThat(metrics.hits()).isEqualTo(12);
        assertThat(metrics.lookups()).isEqualTo(12);
        assertThat(metrics.lookups.getCount()).isEqualTo(12);
    }

    @Test
    void noLookupIssuedAfterASwapIsAColdRead() throws Exception {
        assertThat(coldReadsAfterSwaps(true)).isZero();
    }

    @Test
    void withoutWarmBeforeSwapLookupsAfterASwapAreColdReads() throws Exception {
        assertThat(coldReadsAfterSwaps(false)).isPositive();
    }

    /** Commits 15 versions; after each swap looks every key up; returns the cold reads. */
    private long coldReadsAfterSwaps(boolean warm) throws Exception {
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, warm);
        follower.initialize();
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 32, Duration.ZERO, metrics);
        closeables.add(engine);
        long requests = 0;
        for (int v = 1; v <= 15; v++) {
            Manifest written = table.upsert(v, LongStream.range(v * 10L, v * 10L + 40).toArray());
            assertThat(follower.poll()).isTrue();
            storage.resetCounters();
            List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
            for (long id = 0; id < v * 10L + 40; id++) {
                answers.add(engine.lookup(table.key(id)));
            }
            for (long id = 0; id < v * 10L + 40; id++) {
                LookupResult answer = answers.get((int) id).get();
                if (id < 10) {
                    assertThat(answer.status()).isEqualTo(LookupResult.Status.ABSENT);
                } else {
                    assertFound(answer, written.version(), id);
                }
            }
            requests += storage.totalRequests();
        }
        assertThat(metrics.coldReads.getCount() > 0).isEqualTo(requests > 0);
        return metrics.coldReads.getCount();
    }

    @Test
    void aFullBatchGoesAtOnceAndAWindowHoldsTheRest() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 20).toArray());
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, false);
        follower.initialize();
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 10, Duration.ofHours(1), metrics);
        closeables.add(engine);
        List<CompletableFuture<LookupResult>> full = new ArrayList<>();
        for (long id = 0; id < 10; id++) {
            full.add(engine.lookup(table.key(id)));
        }
        for (int id = 0; id < 10; id++) {
            assertFound(full.get(id).get(), written.version(), id);
        }
        assertThat(metrics.batches.getCount()).isOne();

        // Cached keys are answered inline, without a batch (hence no warm before swap here):
        // evict what the batch loaded, so that these ones miss.
        Set<Path> live = new HashSet<>();
        written.generations().forEach(g -> live.add(table.table.resolve(g.path())));
        cache.evictPaths(live).join();
        List<CompletableFuture<LookupResult>> held = new ArrayList<>();
        for (long id = 10; id < 13; id++) {
            held.add(engine.lookup(table.key(id)));
        }
        assertThat(held).noneMatch(CompletableFuture::isDone);
        engine.close();
        for (CompletableFuture<LookupResult> answer : held) {
            assertThatThrownBy(answer::get)
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        }
        assertThatThrownBy(() -> engine.lookup(table.key(1)).get())
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    /**
     * Lookups issued while versions change: each is answered from the snapshot current when it was
     * issued (a batch spanning a swap reads each of its snapshots), so in issue order the versions
     * answered never decrease.
     */
    @Test
    void batchesAnswerInIssueOrderOfVersionsWhileVersionsChange() throws Exception {
        long[] ids = LongStream.range(0, 20).toArray();
        table.upsert(0, ids);
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, true);
        follower.initialize();
        LookupEngine engine = engine(cache, follower, b -> true, ids.length, Duration.ofHours(1));
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService committer = Executors.newSingleThreadExecutor();
        Future<?> commits =
                committer.submit(
                        () -> {
                            for (int v = 1; v <= 30 && !stop.get(); v++) {
                                table.upsert(v, ids);
                                follower.poll();
                            }
                            return null;
                        });
        try {
            long previous = -1;
            for (int batch = 0; batch < 200; batch++) {
                List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
                for (long id : ids) {
                    answers.add(engine.lookup(table.key(id)));
                }
                for (CompletableFuture<LookupResult> answer : answers) {
                    long v = (Long) answer.get().values().get(2);
                    assertThat(v).as("batch %d", batch).isGreaterThanOrEqualTo(previous);
                    previous = v;
                }
            }
        } finally {
            stop.set(true);
            commits.get();
            committer.shutdownNow();
        }
    }

    /**
     * Two subtasks of one TaskManager share the cache; nothing is warmed, so a version's page of
     * the key is cached only once a lookup loads it. Each round forces the interleaving that made a
     * key's answers go back in time: a lookup misses and waits in its batch, the other subtask
     * loads the key's page, a second lookup of the key is answered inline, the follower swaps, and
     * only then is the batch dispatched. Issue order is the output order of {@code orderedWait}.
     */
    @Test
    void aKeysAnswersNeverGoBackInIssueOrderWhileAnotherSubtaskSharesTheCache() throws Exception {
        long id = 5;
        table.upsert(0, LongStream.range(0, 20).toArray());
        useInstrumentedCache();
        SnapshotFollower mine = follower(cache, b -> true, false);
        SnapshotFollower other = follower(cache, b -> true, false);
        mine.initialize();
        other.initialize();
        // Batches of two and a window of an hour: a missed lookup waits for the next miss.
        LookupEngine engine = engine(cache, mine, b -> true, 2, Duration.ofHours(1));
        LookupEngine neighbour = engine(cache, other, b -> true, 64, Duration.ZERO);
        List<CompletableFuture<LookupResult>> issued = new ArrayList<>();
        List<Long> expected = new ArrayList<>();
        for (long round = 1; round <= 20; round++) {
            long older = 2 * round - 1;
            long newer = 2 * round;
            table.upsert(older, id);
            mine.poll();
            other.poll();
            CompletableFuture<LookupResult> waiting = engine.lookup(table.key(id));
            assertThat(waiting).as("round %d", round).isNotDone();
            assertThat(neighbour.lookup(table.key(id)).get().values().get(2)).isEqualTo(older);
            CompletableFuture<LookupResult> inline = engine.lookup(table.key(id));
            assertThat(inline).as("round %d", round).isDone();
            table.upsert(newer, id);
            mine.poll();
            // Misses the new version's page and fills the batch.
            CompletableFuture<LookupResult> filling = engine.lookup(table.key(id));
            issued.addAll(List.of(waiting, inline, filling));
            expected.addAll(List.of(older, older, newer));
        }
        List<Long> answered = new ArrayList<>();
        for (CompletableFuture<LookupResult> answer : issued) {
            answered.add((Long) answer.get().values().get(2));
        }
        assertThat(answered).isSorted().containsExactlyElementsOf(expected);
    }

    /**
     * A lookup whose version expired and lost its file is answered from the version the follower
     * moved to right after it, not from the follower's current one: a lookup issued after it, of
     * that later version, must not get an older answer. Without such a lookup nobody holds that
     * version any more when the retry comes, and the retry holds it again.
     */
    @ParameterizedTest(name = "a lookup issued under the next version: {0}")
    @ValueSource(booleans = {true, false})
    void aLookupOfAnExpiredVersionIsAnsweredFromTheVersionRightAfterIt(boolean underNext)
            throws Exception {
        long id = 5;
        int bucket = table.bucketOf(id);
        table.upsert(1, LongStream.range(0, 20).toArray());
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, false);
        follower.initialize();
        LookupEngine engine =
                engine(cache, follower, b -> true, underNext ? 3 : 2, Duration.ofHours(1));

        List<CompletableFuture<LookupResult>> issued = new ArrayList<>();
        issued.add(engine.lookup(table.key(id)));
        Manifest oldest = table.table.latestManifest();
        table.upsert(2, id);
        // The compaction retires the first version's generation of the key, which then expires.
        Manifest next = table.compact(bucket);
        assertThat(follower.poll()).isTrue();
        if (underNext) {
            issued.add(engine.lookup(table.key(id)));
        }
        table.upsert(3, id);
        assertThat(
                        table.table.expireVersions(
                                2,
                                Duration.ZERO,
                                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                .contains(oldest.version())
                .doesNotContain(next.version());
        List<Path> removed = table.removeOrphansAnHourOld();
        assertThat(removed).contains(table.table.resolve(oldest.newestFirst(bucket).get(0).path()));
        assertThat(follower.poll()).isTrue();
        issued.add(engine.lookup(table.key(id)));

        List<Object> answered = new ArrayList<>();
        for (CompletableFuture<LookupResult> answer : issued) {
            answered.add(answer.get().values().get(2));
        }
        assertThat(answered).isEqualTo(underNext ? List.of(2L, 2L, 3L) : List.of(2L, 3L));
        assertThat(follower.expiredVersions()).isOne();
    }

    /**
     * {@code lookupIfCached} reads the current snapshot without pinning it. Hits racing swaps whose
     * old snapshots' generations are released and removed from the cache (compactions retire them):
     * every hit is the key's row of a version published by then, a thread's hits never go back in
     * time, and no released page is read (the allocator's close fails on a leak, and a freed page's
     * read would not give a published value).
     */
    @Test
    void unpinnedHitsRacingSwapsThatRetireGenerationsNeverGoBackInTime() throws Exception {
        long id = 5;
        int bucket = table.bucketOf(id);
        table.upsert(0, LongStream.range(0, 20).toArray());
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, true);
        follower.initialize();
        LookupEngine engine = engine(cache, follower, b -> true, 64, Duration.ZERO);
        RowReader<Long> value = (page, row) -> page.vector(2).getDataBuffer().getLong(row * 8L);
        AtomicLong published = new AtomicLong();
        AtomicInteger hits = new AtomicInteger();
        for (long round = 1; round <= 60; round++) {
            CountDownLatch start = new CountDownLatch(1);
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            Thread reader =
                    new Thread(
                            () -> {
                                try {
                                    start.await();
                                    long last = -1;
                                    for (int i = 0; i < 300; i++) {
                                        Object answer = engine.lookupIfCached(table.key(id), value);
                                        if (answer instanceof Long v) {
                                            assertThat(v).isGreaterThanOrEqualTo(last);
                                            assertThat(v).isLessThanOrEqualTo(published.get());
                                            last = v;
                                            hits.incrementAndGet();
                                        }
                                    }
                                } catch (Throwable t) {
                                    errors.add(t);
                                }
                            });
            reader.start();
            start.countDown();
            published.set(round);
            table.upsert(round, id);
            if (round % 3 == 0) {
                table.compact(bucket);
            }
            assertThat(follower.poll()).isTrue();
            reader.join();
            assertThat(errors).as("round %d", round).isEmpty();
        }
        assertThat(hits).as("hits made while versions swapped").hasPositiveValue();
        assertThat(engine.lookupIfCached(table.key(id), value)).isEqualTo(60L);
    }

    @Test
    void storageErrorsAndCorruptionFailTheLookupWithTheTypedError() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 50).toArray());
        useInstrumentedCache();
        SnapshotFollower follower = follower(cache, b -> true, false);
        follower.initialize();
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        LookupEngine engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 8, Duration.ZERO, metrics);
        closeables.add(engine);

        storage.failNextReads(1);
        assertThatThrownBy(() -> engine.lookup(table.key(1)).get())
                .isInstanceOf(ExecutionException.class)
                .cause()
                .isInstanceOf(IOException.class)
                .hasMessageContaining("inject");
        assertFound(engine.lookup(table.key(1)).get(), written.version(), 1);

        GenerationRef ref = written.generations().get(0);
        long id =
                LongStream.range(0, 50)
                        .filter(k -> table.bucketOf(k) == ref.bucket())
                        .max()
                        .getAsLong();
        try (RandomAccessFile file =
                new RandomAccessFile(table.table.resolve(ref.path()).getPath(), "rw")) {
            // Inside the last page, before the footer: the page checksum catches it.
            long at = ref.sizeBytes() / 2;
            file.seek(at);
            int b = file.read();
            file.seek(at);
            file.write(b ^ 0xFF);
        }
        List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
        for (long k = 0; k < 50; k++) {
            if (table.bucketOf(k) == ref.bucket()) {
                answers.add(engine.lookup(table.key(k)));
            }
        }
        assertThat(id).isNotNegative();
        assertThat(answers)
                .anySatisfy(
                        answer ->
                                assertThatThrownBy(answer::get)
                                        .cause()
                                        .isInstanceOf(CorruptGenerationException.class)
                                        .hasMessageContaining(ref.path()));
        answers.forEach(answer -> answer.handle((result, error) -> null).join());
        long failed = answers.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        // Every failed lookup counted once: the injected read failure and the corrupt ones.
        assertThat(metrics.failures()).isEqualTo(1 + failed);
        assertThat(metrics.hits() + metrics.coldReads() + metrics.failures())
                .isEqualTo(metrics.lookups());
    }

    @Test
    void lookupsOfBucketsNotOwnedAreAnsweredAndCounted() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 40).toArray());
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        useInstrumentedCache();
        IntPredicate owned = KilnLookupFunction.ownedBuckets(true, 1, 2);
        SnapshotFollower follower = follower(cache, owned, true);
        follower.initialize();
        LookupEngine engine =
                new LookupEngine(table.table, cache, follower, owned, 8, Duration.ZERO, metrics);
        closeables.add(engine);
        long notOwned = 0;
        for (long id = 0; id < 40; id++) {
            assertFound(engine.lookup(table.key(id)).get(), written.version(), id);
            if (!owned.test(table.bucketOf(id))) {
                notOwned++;
            }
        }
        assertThat(notOwned).isPositive();
        assertThat(metrics.notOwned.getCount()).isEqualTo(notOwned);
    }

    private void useInstrumentedCache() {
        storage = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        cache =
                GenerationCache.builder(storage, allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .build();
        closeables.add(cache);
    }

    private SnapshotFollower follower(GenerationCache c, IntPredicate owned, boolean warm) {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        c,
                        c.warmGate(),
                        owned,
                        warm,
                        Duration.ofMinutes(1));
        closeables.add(follower);
        return follower;
    }

    private LookupEngine engine(
            GenerationCache c,
            SnapshotFollower follower,
            IntPredicate owned,
            int batch,
            Duration window) {
        LookupEngine engine =
                new LookupEngine(
                        table.table, c, follower, owned, batch, window, new LookupEngine.Metrics());
        closeables.add(engine);
        return engine;
    }

    private void assertFound(LookupResult answer, long version, long id) {
        assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.FOUND);
        assertThat(answer.values().get(2)).as("id %d", id).isEqualTo(table.valueAt(version, id));
    }
}
