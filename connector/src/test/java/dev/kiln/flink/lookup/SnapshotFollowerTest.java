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
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.Manifest;
import dev.kiln.table.VersionExpiredException;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmGate;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** {@link SnapshotFollower} on real tables in a temporary folder, without Flink. */
class SnapshotFollowerTest {

    private static final Duration LONG = Duration.ofMinutes(1);

    @TempDir java.nio.file.Path dir;

    private final ExecutorService io = Executors.newFixedThreadPool(4);
    private final BufferAllocator allocator = new RootAllocator();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private InstrumentedRangeReader storage;
    private GenerationCache cache;
    private TestTable table;

    @BeforeEach
    void setUp() throws IOException {
        storage = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        cache = newCache(storage);
        table = TestTable.create(dir.resolve("t"), 4);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
        cache.close();
        table.close();
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void afterEachSwapNoKeyOfTheNewVersionCostsAStorageRequest() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        for (int v = 1; v <= 20; v++) {
            // New keys, and updates of keys of earlier versions.
            Manifest written =
                    table.upsert(
                            v,
                            LongStream.range(v * 20L - 30, v * 20L)
                                    .filter(id -> id >= 0)
                                    .toArray());
            if (v % 5 == 0) {
                written = table.delete(v, v + 1);
            }
            assertThat(follower.poll()).isTrue();
            assertThat(follower.version()).isEqualTo(written.version());
            assertThat(follower.versionLag()).isZero();

            storage.resetCounters();
            assertAnswers(follower, written.version(), 0, v * 20L + 10);
            assertThat(storage.totalRequests()).as("requests after swapping to %d", v).isZero();
        }
        assertThat(follower.coldGenerations()).isZero();
        assertThat(follower.warmed()).isPositive();
    }

    @Test
    void withoutWarmBeforeSwapTheFirstLookupsAreCold() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, false, LONG);
        follower.initialize();
        Manifest written = table.upsert(1, LongStream.range(0, 50).toArray());
        assertThat(follower.poll()).isTrue();

        storage.resetCounters();
        assertAnswers(follower, written.version(), 0, 50);
        assertThat(storage.totalRequests()).isPositive();
        assertThat(follower.warmed()).isZero();
    }

    @Test
    void onlyOwnedBucketsAreWarmedButEveryBucketIsAnswered() throws Exception {
        IntPredicate owned = KilnLookupFunction.ownedBuckets(true, 0, 2);
        SnapshotFollower follower = follower(cache.warmGate(), owned, true, LONG);
        follower.initialize();
        Manifest written = table.upsert(1, LongStream.range(0, 200).toArray());
        follower.poll();

        storage.resetCounters();
        for (long id = 0; id < 200; id++) {
            if (owned.test(table.bucketOf(id))) {
                assertAnswers(follower, written.version(), id, id + 1);
            }
        }
        assertThat(storage.totalRequests()).isZero();
        for (long id = 0; id < 200; id++) {
            if (!owned.test(table.bucketOf(id))) {
                assertAnswers(follower, written.version(), id, id + 1);
            }
        }
        assertThat(storage.totalRequests()).isPositive();
    }

    @Test
    void failedReadsAreRetriedCountedAndNoVersionIsSkipped() throws Exception {
        AtomicInteger failNext = new AtomicInteger();
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        current -> {
                            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                throw new IOException("injected manifest read failure");
                            }
                            return SnapshotFollower.VersionSource.of(table.table).latest(current);
                        },
                        cache,
                        cache.warmGate(),
                        b -> true,
                        true,
                        LONG);
        follower.initialize();
        long failures = 0;
        long upTo = 0;
        for (int round = 1; round <= 10; round++) {
            long before = follower.version();
            failNext.set(3);
            Manifest written = null;
            for (int c = 0; c < 3; c++) {
                long first = upTo;
                upTo += 15;
                written =
                        table.upsert(
                                round * 10L + c,
                                LongStream.range(first - 5, upTo).filter(id -> id >= 0).toArray());
            }
            if (round % 3 == 0) {
                written = table.compact(round % 4);
            }
            for (int f = 0; f < 3; f++) {
                assertThat(follower.poll()).isFalse();
                assertThat(follower.version()).isEqualTo(before);
                assertThat(follower.readFailures()).isEqualTo(++failures);
            }
            assertThat(follower.poll()).isTrue();
            assertThat(follower.version()).isEqualTo(written.version());
            assertThat(follower.versionLag()).isZero();

            // The generations of the three (or four) versions jumped over were all warmed.
            storage.resetCounters();
            assertAnswers(follower, written.version(), 0, upTo + 5);
            assertThat(storage.totalRequests()).as("round %d", round).isZero();
        }
        assertThat(follower.swaps()).isEqualTo(11);
        assertThat(follower.coldGenerations()).isZero();
    }

    @Test
    void aThrowingWarmerNeverStopsTheSwap() throws Exception {
        WarmGate throwing =
                new WarmGate(
                        file -> {
                            throw new IllegalStateException("injected warm failure");
                        },
                        2,
                        LONG);
        SnapshotFollower follower = follower(throwing, b -> true, true, LONG);
        follower.initialize();
        for (int v = 1; v <= 3; v++) {
            Manifest written = table.upsert(v, LongStream.range(0, 40).toArray());
            int fresh =
                    written.generations().size()
                            - table.table.manifest(written.version() - 1).generations().size();
            long coldBefore = follower.coldGenerations();
            assertThat(follower.poll()).isTrue();
            assertThat(follower.version()).isEqualTo(written.version());
            assertThat(follower.coldGenerations() - coldBefore).isEqualTo(fresh);
            assertAnswers(follower, written.version(), 0, 40);
        }
        assertThat(follower.warmFailures()).isEqualTo(follower.coldGenerations());
    }

    @Test
    void aHangingWarmerDelaysTheSwapByTheDeadlineOnly() throws Exception {
        List<CompletableFuture<Void>> hung = new ArrayList<>();
        WarmGate hanging =
                new WarmGate(
                        file -> {
                            CompletableFuture<Void> never = new CompletableFuture<>();
                            synchronized (hung) {
                                hung.add(never);
                            }
                            return never;
                        },
                        2,
                        Duration.ofHours(1));
        SnapshotFollower follower = follower(hanging, b -> true, true, Duration.ofMillis(50));
        follower.initialize();
        for (int v = 1; v <= 3; v++) {
            Manifest written = table.upsert(v, LongStream.range(0, 40).toArray());
            long coldBefore = follower.coldGenerations();
            assertThat(follower.poll()).isTrue();
            assertThat(follower.version()).isEqualTo(written.version());
            assertThat(follower.coldGenerations() - coldBefore).isEqualTo(4);
            assertAnswers(follower, written.version(), 0, 40);
        }
        assertThat(follower.warmTimeouts()).isEqualTo(12);
        // The gate still holds its two slots: later warms queued behind them, and timed out too.
        assertThat(hung).hasSize(2);
    }

    /**
     * A poll warming while the follower closes (its lease takes the cache, failing the warms in
     * flight) ends without a swap and counts nothing: those are not generations served cold (a
     * fresh-clone CI run of KilnLookupITCase once saw coldGenerations 3 from this race).
     */
    @Test
    void warmsFailingBecauseTheFollowerClosedAreNotCountedCold() throws Exception {
        for (int round = 0; round < 20; round++) {
            CompletableFuture<Void> cacheClosed = new CompletableFuture<>();
            CountDownLatch warming = new CountDownLatch(1);
            java.util.concurrent.atomic.AtomicBoolean armed =
                    new java.util.concurrent.atomic.AtomicBoolean();
            WarmGate gate =
                    new WarmGate(
                            file -> {
                                if (!armed.get()) {
                                    return CompletableFuture.completedFuture(null);
                                }
                                warming.countDown();
                                return cacheClosed.thenRun(() -> {});
                            },
                            16,
                            LONG);
            SnapshotFollower follower = follower(gate, b -> true, true, LONG);
            follower.initialize();
            armed.set(true);
            long swapsBefore = follower.swaps();
            long warmedBefore = follower.warmed();
            table.upsert(round + 1, LongStream.range(0, 40).toArray());
            CompletableFuture<Boolean> poll = CompletableFuture.supplyAsync(follower::poll);
            Latches.await(warming);

            follower.close();
            cacheClosed.completeExceptionally(
                    new IllegalStateException("generation cache is closed"));

            assertThat(poll.get(1, TimeUnit.MINUTES)).as("swapped").isFalse();
            assertThat(follower.coldGenerations()).isZero();
            assertThat(follower.warmFailures()).isZero();
            assertThat(follower.swaps()).isEqualTo(swapsBefore);
            assertThat(follower.warmed()).isEqualTo(warmedBefore);
        }
    }

    @Test
    void neverGoesBackwards() throws Exception {
        table.upsert(1, 1, 2, 3);
        table.upsert(2, 1, 2, 3);
        Manifest third = table.upsert(3, 1, 2, 3);
        AtomicReference<Manifest> next = new AtomicReference<>(third);
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        current -> next.get(),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        true,
                        LONG);
        follower.initialize();
        assertThat(follower.version()).isEqualTo(3);

        next.set(table.table.manifest(2));
        assertThat(follower.poll()).isFalse();
        next.set(third);
        assertThat(follower.poll()).isFalse();
        assertThat(follower.version()).isEqualTo(3);
        assertThat(follower.swaps()).isOne();
        assertAnswers(follower, 3, 0, 5);
    }

    @Test
    void retiredGenerationsLeaveTheCacheAndWhatOthersWarmedStays() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        follower.poll();
        int bucket = table.bucketOf(0);
        List<Path> retiring = new ArrayList<>();
        List<Path> staying = new ArrayList<>();
        for (GenerationRef ref : first.generations()) {
            (ref.bucket() == bucket ? retiring : staying).add(table.table.resolve(ref.path()));
        }
        // A generation written and warmed for a commit not yet published, as the sink does.
        Path pending = table.table.resolve(first.generations().get(0).path());
        Manifest compacted = table.compact(bucket);
        assertThat(retiring).allSatisfy(p -> assertThat(cache.warmGate().isWarm(p)).isTrue());

        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(compacted.version());
        for (Path p : retiring) {
            assertThat(cache.warmGate().isWarm(p)).as("retired %s", p).isFalse();
        }
        for (Path p : staying) {
            assertThat(cache.warmGate().isWarm(p)).as("live %s", p).isTrue();
        }
        storage.resetCounters();
        assertAnswers(follower, compacted.version(), 0, 100);
        assertThat(storage.totalRequests()).isZero();
        assertThat(pending).isNotNull();
    }

    @Test
    void retiredGenerationsStayUntilTheLastLookupOfTheOldSnapshotReleasesIt() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        follower.poll();
        SnapshotFollower.Pin reading = follower.pin();
        SnapshotFollower.Pin alsoReading = follower.pin();
        int bucket = table.bucketOf(0);
        Path retiring = null;
        for (GenerationRef ref : first.generations()) {
            if (ref.bucket() == bucket) {
                retiring = table.table.resolve(ref.path());
            }
        }
        Manifest compacted = table.compact(bucket);
        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(compacted.version());

        // Lookups that pinned version 1 before the swap still read it from the cache.
        storage.resetCounters();
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < 100; id++) {
            keys.add(table.key(id));
        }
        assertThat(reading.snapshot().lookupAll(keys).join()).hasSize(100);
        assertThat(storage.totalRequests()).isZero();
        assertThat(cache.warmGate().isWarm(retiring)).isTrue();

        reading.release();
        assertThat(cache.warmGate().isWarm(retiring)).isTrue();
        alsoReading.release();
        assertThat(cache.warmGate().isWarm(retiring)).isFalse();
        // The current snapshot is pinned by the follower itself: nothing of it goes.
        SnapshotFollower.Pin now = follower.pin();
        now.release();
        assertAnswers(follower, compacted.version(), 0, 100);
        assertThat(storage.totalRequests()).isZero();
    }

    @Test
    void aFollowerEvictsOnlyTheRetiredGenerationsOfItsOwnBucketsFromTheSharedCache()
            throws Exception {
        // Two lookup subtasks of one TaskManager: one cache, buckets partitioned between them.
        IntPredicate ownedByA = KilnLookupFunction.ownedBuckets(true, 0, 2);
        IntPredicate ownedByB = KilnLookupFunction.ownedBuckets(true, 1, 2);
        SnapshotFollower a = follower(cache.warmGate(), ownedByA, true, LONG);
        SnapshotFollower b = follower(cache.warmGate(), ownedByB, true, LONG);
        a.initialize();
        b.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 200).toArray());
        assertThat(a.poll()).isTrue();
        assertThat(b.poll()).isTrue();
        long ofB =
                LongStream.range(0, 200)
                        .filter(id -> ownedByB.test(table.bucketOf(id)))
                        .min()
                        .getAsLong();
        int bucketOfB = table.bucketOf(ofB);
        // B's bucket is compacted; A reads the new version first, B (loaded) lags behind.
        table.compact(bucketOfB);
        assertThat(a.poll()).isTrue();

        storage.resetCounters();
        for (long id = 0; id < 200; id++) {
            if (ownedByB.test(table.bucketOf(id))) {
                assertAnswers(b, first.version(), id, id + 1);
            }
        }
        assertThat(storage.totalRequests()).as("storage requests of B's lookups").isZero();
        for (GenerationRef ref : first.generations()) {
            if (ref.bucket() == bucketOfB) {
                assertThat(cache.warmGate().isWarm(table.table.resolve(ref.path()))).isTrue();
            }
        }
        // B's own swap retires them.
        assertThat(b.poll()).isTrue();
        for (GenerationRef ref : first.generations()) {
            if (ref.bucket() == bucketOfB) {
                assertThat(cache.warmGate().isWarm(table.table.resolve(ref.path()))).isFalse();
            }
        }
    }

    @Test
    void aLaggingFollowerSharingTheCacheMakesNoColdReadsWhileAnotherRetiresItsGenerations()
            throws Exception {
        // Two lookup subtasks of one TaskManager without partitionByBucket: one cache, and both
        // own every bucket. A follows each compaction first; B, lagging, keeps reading the
        // compaction inputs its snapshot names while A swaps away from them.
        long ids = 200;
        table.upsert(1, LongStream.range(0, ids).toArray());
        SnapshotFollower a = follower(cache.warmGate(), b -> true, true, LONG);
        SnapshotFollower b = follower(cache.warmGate(), b2 -> true, true, LONG);
        a.initialize();
        b.initialize();
        LookupEngine.Metrics ofB = new LookupEngine.Metrics();
        LookupEngine lookupsOfB =
                new LookupEngine(table.table, cache, b, x -> true, 16, Duration.ZERO, ofB);
        closeables.add(lookupsOfB);
        ExecutorService swapper = Executors.newSingleThreadExecutor();
        closeables.add(swapper::shutdownNow);
        for (int round = 0; round < 40; round++) {
            int bucket = round % table.table.options().bucketCount();
            table.upsert(round + 2, LongStream.range(0, ids).filter(id -> id % 7 == 0).toArray());
            Manifest compacted = table.compact(bucket);
            Manifest lagging = b.current().manifest();
            Set<Path> retired = new HashSet<>();
            Set<String> live = new HashSet<>();
            compacted.generations().forEach(g -> live.add(g.path()));
            for (GenerationRef ref : lagging.generations()) {
                if (!live.contains(ref.path())) {
                    retired.add(table.table.resolve(ref.path()));
                }
            }
            assertThat(retired).isNotEmpty();

            // B looks every key up before, while and after A swaps to the compacted version.
            CountDownLatch looking = new CountDownLatch(1);
            Future<Boolean> swapOfA =
                    swapper.submit(
                            () -> {
                                Latches.await(looking);
                                return a.poll();
                            });
            long coldBefore = ofB.coldReads();
            List<CompletableFuture<LookupResult>> answers = new ArrayList<>();
            for (int pass = 0; pass < 3; pass++) {
                for (long id = 0; id < ids; id++) {
                    answers.add(lookupsOfB.lookup(table.key(id)));
                    if (pass == 0 && id == ids / 2) {
                        looking.countDown();
                    }
                }
                if (pass == 1) {
                    assertThat(swapOfA.get()).isTrue();
                }
            }
            for (int i = 0; i < answers.size(); i++) {
                long id = i % ids;
                LookupResult answer = answers.get(i).get();
                assertThat(answer.status()).isEqualTo(LookupResult.Status.FOUND);
                assertThat(answer.values().get(2))
                        .as("round %d, id %d", round, id)
                        .isEqualTo(table.valueAt(lagging.version(), id));
            }
            assertThat(ofB.coldReads() - coldBefore)
                    .as("cold reads of the lagging follower in round %d", round)
                    .isZero();
            for (Path path : retired) {
                assertThat(cache.holdsOf(path)).as("held by B only: %s", path).isOne();
                assertThat(cache.warmGate().isWarm(path)).as("still cached: %s", path).isTrue();
            }

            // B catches up: nothing names the retired generations any more, and they leave.
            assertThat(b.poll()).isTrue();
            assertThat(b.version()).isEqualTo(a.version()).isEqualTo(compacted.version());
            for (Path path : retired) {
                assertThat(cache.holdsOf(path)).as("released: %s", path).isZero();
                assertThat(cache.warmGate().isWarm(path)).as("evicted: %s", path).isFalse();
                assertThat(cache.lookupIfCached(path.toString(), table.key(0))).isNull();
            }
            for (GenerationRef ref : compacted.generations()) {
                assertThat(cache.holdsOf(table.table.resolve(ref.path()))).isEqualTo(2);
            }
        }
        assertThat(ofB.coldReads()).isZero();
        assertThat(ofB.failures()).isZero();
    }

    @Test
    void aClosedFollowerReleasesItsGenerationsOnceItsLastLookupIsDone() throws Exception {
        Manifest written = table.upsert(1, LongStream.range(0, 50).toArray());
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        Set<Path> paths = new HashSet<>();
        written.generations().forEach(g -> paths.add(table.table.resolve(g.path())));
        SnapshotFollower.Pin reading = follower.pin();
        follower.close();
        for (Path path : paths) {
            assertThat(cache.holdsOf(path)).isOne();
            assertThat(cache.warmGate().isWarm(path)).isTrue();
        }
        assertThatThrownBy(follower::pin)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        reading.release();
        for (Path path : paths) {
            assertThat(cache.holdsOf(path)).isZero();
            assertThat(cache.warmGate().isWarm(path)).isFalse();
        }
        assertThat(follower.poll()).isFalse();
    }

    @Test
    void aGenerationWarmedForACommitNotYetPublishedSurvivesASwap() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        table.upsert(1, LongStream.range(0, 30).toArray());
        follower.poll();
        // Written and warmed by a writer (as the sink does before its commit), published only
        // after the follower's next swap.
        TestTable.Pending pending = table.prepare(2, LongStream.range(30, 60).toArray());
        for (GenerationRef ref : pending.added()) {
            cache.warmGate().warm(GenerationFile.of(table.table, ref)).join();
        }
        Manifest compacted = table.compact(table.bucketOf(0));
        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(compacted.version());
        for (GenerationRef ref : pending.added()) {
            assertThat(cache.warmGate().isWarm(table.table.resolve(ref.path()))).isTrue();
        }

        Manifest published = table.publish(pending);
        long alreadyWarm = follower.alreadyWarm();
        storage.resetCounters();
        assertThat(follower.poll()).isTrue();
        assertThat(follower.alreadyWarm() - alreadyWarm).isEqualTo(pending.added().size());
        assertAnswers(follower, published.version(), 0, 60);
        assertThat(storage.totalRequests()).isZero();
    }

    /**
     * The follower's version is compacted away, expires and loses its files to orphan cleanup while
     * the cache no longer holds them: a snapshot of it fails with the typed error naming the
     * version (never a wrong answer); the engine's lookups on it tell the follower once per version
     * and wait; the follower's next poll moves it to the latest version, warmed before the swap,
     * and the waiting lookups are answered from it.
     */
    @Test
    void lookupsOnAnExpiredVersionAreAnsweredFromTheLatestOnceTheFollowerMovesThere()
            throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        assertThat(follower.poll()).isTrue();
        Manifest latest = expireAndRemoveTheFilesOf(first);
        assertThatThrownBy(() -> follower.current().lookup(table.key(0)).get())
                .cause()
                .isInstanceOf(VersionExpiredException.class)
                .hasMessageContaining("version " + first.version() + " has expired")
                .satisfies(
                        e ->
                                assertThat(((VersionExpiredException) e).version())
                                        .isEqualTo(first.version()));
        LookupEngine engine = engine(follower);

        List<CompletableFuture<LookupResult>> waiting = new ArrayList<>();
        for (long id = 0; id < 3; id++) {
            waiting.add(engine.lookup(table.key(id * 40)));
        }
        awaitExpiredVersions(follower, 1);
        assertThat(waiting).noneMatch(CompletableFuture::isDone);
        assertThat(follower.version()).isEqualTo(first.version());

        long warmedBefore = follower.warmed();
        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(table.table.latestVersion());
        for (int i = 0; i < waiting.size(); i++) {
            assertThat(waiting.get(i).get(1, TimeUnit.MINUTES).status())
                    .as("key %d", i * 40)
                    .isEqualTo(LookupResult.Status.FOUND);
        }
        assertThat(follower.warmed() - warmedBefore).isPositive();
        assertThat(follower.coldGenerations()).isZero();
        storage.resetCounters();
        assertAnswers(follower, latest.version(), 0, 120);
        for (long id = 0; id < 120; id += 7) {
            assertThat(engine.lookup(table.key(id)).get().status())
                    .isEqualTo(LookupResult.Status.FOUND);
        }
        assertThat(storage.totalRequests()).as("storage requests after the swap").isZero();
        assertThat(follower.expiredVersions()).isOne();
    }

    /** Lookups waiting for the follower to leave an expired version fail once it closes. */
    @Test
    void lookupsWaitingToLeaveAnExpiredVersionFailWhenTheFollowerCloses() throws Exception {
        SnapshotFollower follower = follower(cache.warmGate(), b -> true, true, LONG);
        follower.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        assertThat(follower.poll()).isTrue();
        expireAndRemoveTheFilesOf(first);
        LookupEngine engine = engine(follower);
        CompletableFuture<LookupResult> waiting = engine.lookup(table.key(1));
        awaitExpiredVersions(follower, 1);

        follower.close();

        assertThatThrownBy(() -> waiting.get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is closed");
        assertThat(follower.versionAfter(first.version())).isCompletedExceptionally();
    }

    private LookupEngine engine(SnapshotFollower follower) {
        LookupEngine engine =
                new LookupEngine(
                        table.table,
                        cache,
                        follower,
                        b -> true,
                        8,
                        Duration.ZERO,
                        new LookupEngine.Metrics());
        closeables.add(engine);
        return engine;
    }

    /**
     * Waits until lookups have reported {@code count} expired versions (they do so on the engine's
     * threads), failing after a minute.
     */
    private static void awaitExpiredVersions(SnapshotFollower follower, long count) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (follower.expiredVersions() < count) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no expired version reported within a minute");
            }
            Thread.onSpinWait();
        }
    }

    /**
     * A started follower told of its expired version moves without waiting for its interval. The
     * table's new versions stay hidden from it until then, as if written in another JVM: a commit
     * made here would wake it anyway.
     */
    @Test
    void aStartedFollowerMovesAtOnceWhenToldItsVersionExpired() throws Exception {
        CountDownLatch movedOn = new CountDownLatch(1);
        AtomicLong target = new AtomicLong(Long.MAX_VALUE);
        AtomicBoolean hidden = new AtomicBoolean();
        SnapshotFollower follower = followerCountingDown(movedOn, target::get, hidden);
        follower.initialize();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        assertThat(follower.poll()).isTrue();
        follower.start(Duration.ofHours(1));
        hidden.set(true);
        expireAndRemoveTheFilesOf(first);
        target.set(table.table.latestVersion());

        assertThatThrownBy(() -> follower.current().lookup(table.key(1)).get())
                .cause()
                .isInstanceOf(VersionExpiredException.class)
                .satisfies(
                        e -> {
                            hidden.set(false);
                            follower.versionExpired((VersionExpiredException) e);
                        });
        Latches.await(movedOn);
        assertThat(follower.expiredVersions()).isOne();
    }

    /**
     * Compacts every bucket (so nothing of {@code old} stays live), writes on, expires every
     * version but the latest, removes the orphans, and evicts {@code old}'s generations from the
     * cache (as memory pressure would). Returns the last version written.
     */
    private Manifest expireAndRemoveTheFilesOf(Manifest old) throws IOException {
        for (int b = 0; b < 4; b++) {
            table.compact(b);
        }
        Manifest latest = table.upsert(2, LongStream.range(100, 120).toArray());
        assertThat(
                        table.table.expireVersions(
                                1,
                                Duration.ZERO,
                                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1))))
                .contains(old.version());
        Set<Path> files = new HashSet<>();
        for (GenerationRef ref : old.generations()) {
            files.add(table.table.resolve(ref.path()));
            // An hour old by the storage's clock, which orphan cleanup reads.
            java.nio.file.Files.setLastModifiedTime(
                    java.nio.file.Paths.get(table.table.resolve(ref.path()).toUri()),
                    java.nio.file.attribute.FileTime.from(
                            java.time.Instant.now().minus(Duration.ofHours(1))));
        }
        List<Path> removed = table.table.removeOrphans(Duration.ofMinutes(1), Clock.systemUTC());
        assertThat(removed).containsAll(files);
        cache.evictPaths(files).join();
        return latest;
    }

    @Test
    void startFollowsOnItsOwnThread() throws Exception {
        Manifest written = table.upsert(1, 1, 2, 3);
        CountDownLatch twoReadsOfIt = new CountDownLatch(2);
        SnapshotFollower follower = followerCountingDown(twoReadsOfIt, () -> written.version() + 1);
        assertThatThrownBy(() -> follower.start(Duration.ofMillis(1)))
                .isInstanceOf(IllegalStateException.class);
        follower.initialize();
        follower.start(Duration.ofMillis(1));
        Manifest later = table.upsert(2, 1, 2, 3, 4);
        // The second read of the new version starts after the poll of the first one finished.
        Latches.await(twoReadsOfIt);
        assertThat(follower.version()).isEqualTo(later.version());
        assertAnswers(follower, later.version(), 0, 6);
    }

    @Test
    void closeDoesNotWaitForAPollWaitingOnItsWarms() throws Exception {
        CountDownLatch warming = new CountDownLatch(1);
        WarmGate hanging =
                new WarmGate(
                        file -> {
                            warming.countDown();
                            return new CompletableFuture<>();
                        },
                        2,
                        Duration.ofHours(1));
        // Not closed again in tearDown: with the defect, that close would block too.
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        hanging,
                        b -> true,
                        true,
                        Duration.ofHours(1));
        follower.initialize();
        follower.start(Duration.ofMillis(1));
        table.upsert(1, 1, 2, 3);
        Latches.await(warming);

        assertTimeoutPreemptively(Duration.ofSeconds(30), follower::close);
        assertThat(follower.version()).isZero();
        assertThat(follower.swaps()).isOne();
    }

    @Test
    void aTableThatCannotBeReadFailsInitialize() throws Exception {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        current -> {
                            throw new IOException("injected");
                        },
                        cache,
                        cache.warmGate(),
                        b -> true,
                        true,
                        LONG);
        assertThatThrownBy(follower::initialize).isInstanceOf(IOException.class);
        assertThat(follower.poll()).isFalse();
        assertThat(follower.readFailures()).isOne();
        assertThat(follower.current()).isNull();
    }

    /**
     * A follower of every bucket, warming before swap, that counts {@code reads} down each time it
     * reads a version at least {@code atLeast}.
     */
    private SnapshotFollower followerCountingDown(CountDownLatch reads, LongSupplier atLeast) {
        return followerCountingDown(reads, atLeast, new AtomicBoolean());
    }

    /**
     * Like {@link #followerCountingDown(CountDownLatch, LongSupplier)}, finding no new version
     * while {@code hidden} is set: as if the commits were made in another JVM, so that the wake-up
     * a commit made here gives finds nothing.
     */
    private SnapshotFollower followerCountingDown(
            CountDownLatch reads, LongSupplier atLeast, AtomicBoolean hidden) {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        current -> {
                            if (current != null && hidden.get()) {
                                return current;
                            }
                            Manifest latest =
                                    SnapshotFollower.VersionSource.of(table.table).latest(current);
                            if (latest.version() >= atLeast.getAsLong()) {
                                reads.countDown();
                            }
                            return latest;
                        },
                        cache,
                        cache.warmGate(),
                        b -> true,
                        true,
                        LONG);
        closeables.add(follower);
        return follower;
    }

    private SnapshotFollower follower(
            WarmGate gate, IntPredicate owned, boolean warm, Duration deadline) {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        gate,
                        owned,
                        warm,
                        deadline);
        closeables.add(follower);
        return follower;
    }

    private GenerationCache newCache(RangeReader reader) {
        return GenerationCache.builder(reader, allocator)
                .warmOnOpen(false)
                .maintenanceExecutor(Runnable::run)
                .build();
    }

    /** Looks ids {@code [from, to)} up in the follower's snapshot and checks them all. */
    private void assertAnswers(SnapshotFollower follower, long version, long from, long to) {
        List<byte[]> keys = new ArrayList<>();
        for (long id = from; id < to; id++) {
            keys.add(table.key(id));
        }
        List<LookupResult> answers = follower.current().lookupAll(keys).join();
        for (long id = from; id < to; id++) {
            LookupResult answer = answers.get((int) (id - from));
            Long expected = table.valueAt(version, id);
            if (expected == null) {
                assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.ABSENT);
            } else {
                assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.FOUND);
                assertThat(answer.values().get(2)).as("id %d", id).isEqualTo(expected);
            }
        }
    }
}
