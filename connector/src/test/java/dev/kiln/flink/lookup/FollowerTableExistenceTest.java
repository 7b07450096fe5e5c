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

import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.IncompatibleTableException;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.TableNotFoundException;
import dev.kiln.table.TableReplacedException;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;
import org.apache.flink.util.FileUtils;

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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SnapshotFollower} and {@link LookupEngine} when the table at their root does not exist
 * yet, is deleted, or is deleted and created again: real tables in a temporary folder.
 */
class FollowerTableExistenceTest {

    private static final Duration LONG = Duration.ofMinutes(1);

    @TempDir java.nio.file.Path dir;

    private final ExecutorService io = Executors.newFixedThreadPool(4);
    private final BufferAllocator allocator = new RootAllocator();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private InstrumentedRangeReader storage;
    private GenerationCache cache;
    private java.nio.file.Path root;

    @BeforeEach
    void setUp() {
        storage = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        cache =
                GenerationCache.builder(storage, allocator)
                        .warmOnOpen(false)
                        .maintenanceExecutor(Runnable::run)
                        .build();
        root = dir.resolve("t");
    }

    @AfterEach
    void tearDown() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        cache.close();
        io.shutdownNow();
        allocator.close();
    }

    /**
     * Lookups that need storage when the table has been deleted fail at once with the typed error
     * naming the root: the missing manifest is not taken for an expired version whose retry would
     * wait for a swap that never comes. Every later lookup fails with it too, cached or not.
     */
    @Test
    void lookupsOfADeletedTableFailPromptlyWithTheTypedError() throws Exception {
        TestTable table = table();
        table.upsert(1, LongStream.range(0, 100).toArray());
        SnapshotFollower follower = follower(table.table, false);
        follower.initialize();
        LookupEngine engine = engine(table.table, follower);
        assertThat(engine.lookup(table.key(0)).get(1, TimeUnit.MINUTES).status())
                .isEqualTo(LookupResult.Status.FOUND);

        FileUtils.deleteDirectory(root.toFile());

        assertThatThrownBy(() -> engine.lookup(table.key(99)).get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(table.root().toString());
        assertThat(follower.lost()).isInstanceOf(TableNotFoundException.class);
        assertThatThrownBy(() -> engine.lookup(table.key(0)).get(1, TimeUnit.MINUTES))
                .as("a key the cache holds")
                .cause()
                .isInstanceOf(TableNotFoundException.class);
        assertThat(follower.versionAfter(follower.version())).isCompletedExceptionally();
        assertThat(follower.expiredVersions()).isZero();
    }

    /**
     * Lookups that found their version expired wait for the follower to move on; if the table is
     * deleted meanwhile, the follower's poll fails them with the typed error instead of leaving
     * them to wait for a swap that never comes.
     */
    @Test
    void lookupsWaitingToLeaveAnExpiredVersionFailWhenTheTableIsDeleted() throws Exception {
        TestTable table = table();
        Manifest first = table.upsert(1, LongStream.range(0, 100).toArray());
        SnapshotFollower follower = follower(table.table, false);
        follower.initialize();
        LookupEngine engine = engine(table.table, follower);
        for (int b = 0; b < 4; b++) {
            table.compact(b);
        }
        table.upsert(2, LongStream.range(100, 120).toArray());
        Clock later = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
        assertThat(table.table.expireVersions(1, Duration.ZERO, later)).contains(first.version());
        assertThat(table.removeOrphansAnHourOld()).isNotEmpty();
        CompletableFuture<LookupResult> waiting = engine.lookup(table.key(1));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (follower.expiredVersions() == 0) {
            assertThat(System.nanoTime()).as("no expired version reported").isLessThan(deadline);
            Thread.onSpinWait();
        }
        assertThat(waiting).isNotDone();

        FileUtils.deleteDirectory(root.toFile());
        assertThat(follower.poll()).isFalse();

        assertThatThrownBy(() -> waiting.get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(table.root().toString());
    }

    /**
     * A poll that finds the table deleted stops the follower: lookups the cache could still answer
     * fail with the typed error, and the deleted table's generations leave the cache.
     */
    @Test
    void aPollThatFindsTheTableDeletedStopsAnsweringAndEvictsItsGenerations() throws Exception {
        TestTable table = table();
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        SnapshotFollower follower = follower(table.table, true);
        follower.initialize();
        LookupEngine engine = engine(table.table, follower);
        assertThat(cache.cachedGenerations()).isEqualTo(written.generations().size());

        FileUtils.deleteDirectory(root.toFile());
        assertThat(follower.poll()).isFalse();

        assertThat(follower.lost())
                .isInstanceOf(TableNotFoundException.class)
                .hasMessageContaining(table.root().toString());
        storage.resetCounters();
        for (long id = 0; id < 100; id += 9) {
            long key = id;
            assertThatThrownBy(() -> engine.lookup(table.key(key)).get(1, TimeUnit.MINUTES))
                    .cause()
                    .isInstanceOf(TableNotFoundException.class);
        }
        assertThat(storage.totalRequests()).isZero();
        assertOldGenerationsEvicted(table, written);
        assertThat(follower.poll()).isFalse();
        assertThat(follower.readFailures()).isZero();
    }

    /**
     * A table deleted and created again with as many versions is told apart by its identity: the
     * follower never answers the old table's rows once it has seen the new table.
     */
    @Test
    void aTableRecreatedWithAsManyVersionsIsToldApartByItsIdentity() throws Exception {
        TestTable old = table();
        Manifest written = old.upsert(1, LongStream.range(0, 100).toArray());
        SnapshotFollower follower = follower(old.table, true);
        follower.initialize();
        LookupEngine engine = engine(old.table, follower);

        TestTable recreated = recreate(old);
        assertThat(recreated.upsert(2, LongStream.range(0, 100).toArray()).version())
                .isEqualTo(written.version());
        assertThat(follower.poll()).isFalse();

        assertThat(follower.lost())
                .isInstanceOf(TableReplacedException.class)
                .hasMessageContaining(old.root().toString())
                .hasMessageContaining(old.table.tableId());
        assertThatThrownBy(() -> engine.lookup(old.key(5)).get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(TableReplacedException.class);
        assertOldGenerationsEvicted(old, written);
    }

    /** A table whose versions went back was deleted and created again. */
    @Test
    void aTableRecreatedWithFewerVersionsIsReplacedNotIgnored() throws Exception {
        TestTable old = table();
        old.upsert(1, LongStream.range(0, 50).toArray());
        Manifest written = old.upsert(2, LongStream.range(50, 100).toArray());
        SnapshotFollower follower = follower(old.table, true);
        follower.initialize();
        LookupEngine engine = engine(old.table, follower);

        recreate(old).upsert(3, LongStream.range(0, 100).toArray());
        assertThat(follower.poll()).isFalse();

        assertThat(follower.lost())
                .isInstanceOf(TableReplacedException.class)
                .hasMessageContaining("read version " + written.version());
        assertThatThrownBy(() -> engine.lookup(old.key(60)).get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(TableReplacedException.class);
        assertOldGenerationsEvicted(old, written);
    }

    /**
     * A lookup started before its table exists answers every key absent, without reading storage,
     * and follows the table once it is created: the first answers from it are hits, warmed before
     * the swap.
     */
    @Test
    void aLookupStartedBeforeItsTableExistsAnswersAbsentThenFollowsItWarmed() throws Exception {
        KilnTable expected = KilnTable.expect(new Path(root.toUri()), TestTable.options(4));
        SnapshotFollower follower = follower(expected, true);
        follower.initialize();
        LookupEngine.Metrics metrics = new LookupEngine.Metrics();
        LookupEngine engine = engine(expected, follower, metrics);
        assertThat(follower.version()).isEqualTo(-1);
        for (long id = 0; id < 100; id += 7) {
            assertThat(engine.lookup(expected.options().keyCodec().encode(id)).get().status())
                    .isEqualTo(LookupResult.Status.ABSENT);
        }
        assertThat(follower.poll()).isFalse();

        TestTable table = table();
        Manifest written = table.upsert(1, LongStream.range(0, 100).toArray());
        assertThat(follower.poll()).isTrue();

        assertThat(follower.version()).isEqualTo(written.version());
        storage.resetCounters();
        long coldBefore = metrics.coldReads();
        for (long id = 0; id < 100; id++) {
            LookupResult answer = engine.lookup(table.key(id)).get(1, TimeUnit.MINUTES);
            assertThat(answer.status()).as("id %d", id).isEqualTo(LookupResult.Status.FOUND);
            assertThat(answer.values().get(2)).isEqualTo(1L);
        }
        assertThat(storage.totalRequests()).as("storage requests after the swap").isZero();
        assertThat(metrics.coldReads() - coldBefore).isZero();
        assertThat(follower.coldGenerations()).isZero();
        assertThat(follower.readFailures()).isZero();
        assertThat(expected.tableId()).isEqualTo(table.table.tableId());
    }

    /**
     * A lookup that starts while its table is being created (its metadata written, its first
     * manifest not yet) starts as before the table existed and follows it once it is complete.
     */
    @Test
    void aLookupStartedWhileItsTableIsBeingCreatedStartsAndFollowsIt() throws Exception {
        TestTable table = table();
        java.nio.file.Path manifests = root.resolve("_kiln/manifests");
        java.nio.file.Path aside = dir.resolve("manifests-aside");
        java.nio.file.Files.move(manifests, aside);
        java.nio.file.Files.delete(root.resolve("_kiln/version-hint"));
        KilnTable expected = KilnTable.expect(new Path(root.toUri()), TestTable.options(4));
        SnapshotFollower follower = follower(expected, true);

        follower.initialize();

        assertThat(follower.version()).isEqualTo(-1);
        assertThat(follower.readFailures()).isOne();
        assertThat(follower.current().lookup(table.key(3)).get().status())
                .isEqualTo(LookupResult.Status.ABSENT);
        java.nio.file.Files.move(aside, manifests);
        Manifest written = table.upsert(1, LongStream.range(0, 20).toArray());
        assertThat(follower.poll()).isTrue();
        assertThat(follower.version()).isEqualTo(written.version());
        assertThat(follower.current().lookup(table.key(3)).get().values().get(2)).isEqualTo(1L);
    }

    /** A table created with other options than the lookup expects is not read. */
    @Test
    void aTableCreatedWithOtherBucketsThanExpectedFailsLookupsWithTheTypedError() throws Exception {
        KilnTable expected = KilnTable.expect(new Path(root.toUri()), TestTable.options(4));
        SnapshotFollower follower = follower(expected, true);
        follower.initialize();
        LookupEngine engine = engine(expected, follower);

        TestTable table = TestTable.create(root, 2);
        closeables.add(table);
        table.upsert(1, LongStream.range(0, 10).toArray());
        assertThat(follower.poll()).isFalse();

        assertThat(follower.lost())
                .isInstanceOf(IncompatibleTableException.class)
                .hasMessageContaining("2 buckets, expected 4");
        assertThatThrownBy(() -> engine.lookup(table.key(1)).get(1, TimeUnit.MINUTES))
                .cause()
                .isInstanceOf(IncompatibleTableException.class);
    }

    private void assertOldGenerationsEvicted(TestTable old, Manifest written) {
        for (GenerationRef ref : written.generations()) {
            Path path = old.table.resolve(ref.path());
            assertThat(cache.holdsOf(path)).as("holds of %s", path).isZero();
            assertThat(cache.warmGate().isWarm(path)).as("warm %s", path).isFalse();
        }
        assertThat(cache.cachedGenerations()).isZero();
        assertThat(cache.cachedPages()).isZero();
    }

    /**
     * A commit made in this JVM wakes a started follower: with a poll interval of an hour, it swaps
     * to each committed version at once; once closed, it no longer listens.
     */
    @Test
    void aCommitInThisJvmIsSwappedInWithoutWaitingForThePoll() throws Exception {
        TestTable table = table();
        table.upsert(1, LongStream.range(0, 10).toArray());
        SnapshotFollower follower = follower(KilnTable.open(table.table.root()), true);
        follower.initialize();
        follower.start(Duration.ofHours(1));
        for (long round = 2; round <= 5; round++) {
            long before = follower.version();
            Manifest committed = table.upsert(round, LongStream.range(0, 10).toArray());
            follower.versionAfter(before).get(1, TimeUnit.MINUTES);
            assertThat(follower.version()).isEqualTo(committed.version());
        }
        follower.close();
        long closedAt = follower.version();
        table.upsert(6, LongStream.range(0, 10).toArray());
        assertThat(follower.version()).as("a closed follower hears nothing").isEqualTo(closedAt);
    }

    private TestTable table() throws IOException {
        TestTable table = TestTable.create(root, 4);
        closeables.add(table);
        return table;
    }

    private TestTable recreate(TestTable old) throws IOException {
        FileUtils.deleteDirectory(root.toFile());
        TestTable table = table();
        assertThat(table.table.tableId()).isNotNull().isNotEqualTo(old.table.tableId());
        return table;
    }

    private SnapshotFollower follower(KilnTable table, boolean warm) {
        SnapshotFollower follower =
                new SnapshotFollower(
                        table,
                        SnapshotFollower.VersionSource.of(table),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        warm,
                        LONG);
        closeables.add(follower);
        return follower;
    }

    private LookupEngine engine(KilnTable table, SnapshotFollower follower) {
        return engine(table, follower, new LookupEngine.Metrics());
    }

    private LookupEngine engine(
            KilnTable table, SnapshotFollower follower, LookupEngine.Metrics metrics) {
        LookupEngine engine =
                new LookupEngine(table, cache, follower, b -> true, 8, Duration.ZERO, metrics);
        closeables.add(engine);
        return engine;
    }
}
