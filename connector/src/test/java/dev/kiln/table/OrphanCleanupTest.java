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

package dev.kiln.table;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Orphan cleanup racing commits: it tolerates what vanishes, and never breaks a commit. */
class OrphanCleanupTest {

    private static final Duration GRACE = Duration.ofHours(1);

    @TempDir java.nio.file.Path dir;

    private Path root;
    private Instant now;
    private ExecutorService threads;

    @BeforeEach
    void setUp() {
        root = new Path(dir.resolve("table").toUri());
        now = Instant.now();
        threads = Executors.newFixedThreadPool(3);
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
    }

    private List<Path> removeOrphans(KilnTable table) throws IOException {
        return table.removeOrphans(GRACE, Clock.fixed(now, ZoneOffset.UTC));
    }

    private java.nio.file.Path local(String relative) {
        return dir.resolve("table").resolve(relative);
    }

    /** Writes a 100-byte file at {@code relative}, last modified {@code age} ago. */
    private GenerationRef stored(String relative, int bucket, Duration age) throws IOException {
        java.nio.file.Path file = local(relative);
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[100]);
        Files.setLastModifiedTime(file, FileTime.from(now.minus(age)));
        return ref(relative, bucket);
    }

    /** Every generation of every version present is stored: a manifest never names a lost file. */
    private void assertEveryNamedFileIsStored(KilnTable table) throws IOException {
        for (long v = 0; v <= table.latestManifest().version(); v++) {
            for (GenerationRef g : table.manifest(v).generations()) {
                assertThat(Files.exists(local(g.path())))
                        .as("%s named by version %s", g.path(), v)
                        .isTrue();
            }
        }
    }

    @Test
    void cleanupsRacingCommitsAndEachOtherOnALocalDiskTolerateVanishingFiles() throws Exception {
        // Flink's local listStatus stats every name after listing the folder; meanwhile each
        // publish deletes its temporary file and the other cleanup deletes orphans.
        KilnTable table = KilnTable.create(root, options(1));
        long checkpoint = 0;
        for (int round = 0; round < 10; round++) {
            java.util.Set<Path> orphans = new java.util.HashSet<>();
            for (int i = 0; i < 100; i++) {
                orphans.add(
                        table.resolve(
                                stored(
                                                "data/bucket-0/r" + round + "-" + i + ".arrow",
                                                0,
                                                Duration.ofHours(2))
                                        .path()));
            }
            long first = checkpoint + 1;
            checkpoint += 10;
            long last = checkpoint;
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Void> committer =
                    CompletableFuture.runAsync(
                            () -> {
                                dev.kiln.Latches.await(start);
                                try {
                                    for (long k = first; k <= last; k++) {
                                        table.commit(commit("w", k, List.of(), List.of()));
                                    }
                                } catch (IOException e) {
                                    throw new IllegalStateException(e);
                                }
                            },
                            threads);
            List<CompletableFuture<List<Path>>> cleanups = new java.util.ArrayList<>();
            for (int c = 0; c < 2; c++) {
                cleanups.add(
                        CompletableFuture.supplyAsync(
                                () -> {
                                    dev.kiln.Latches.await(start);
                                    try {
                                        return removeOrphans(table);
                                    } catch (IOException e) {
                                        throw new IllegalStateException(e);
                                    }
                                },
                                threads));
            }
            start.countDown();
            committer.get(60, TimeUnit.SECONDS);
            List<Path> removed = new java.util.ArrayList<>();
            for (CompletableFuture<List<Path>> cleanup : cleanups) {
                removed.addAll(cleanup.get(60, TimeUnit.SECONDS));
            }

            assertThat(removed).as("round %s", round).hasSameElementsAs(orphans);
            assertThat(removed).as("round %s", round).doesNotHaveDuplicates();
            assertThat(table.latestManifest().committed()).containsEntry("w", last);
        }
    }

    @Test
    void lateCommitsRacingCleanupsNeverLeaveAManifestNamingALostFile() throws Exception {
        KilnTable table = KilnTable.create(root, options(1));
        AtomicInteger committed = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        long checkpoint = 0;
        for (int round = 0; round < 6; round++) {
            List<GenerationRef> late = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                late.add(
                        stored(
                                "data/bucket-0/late-" + round + "-" + i + ".arrow",
                                0,
                                Duration.ofHours(2)));
            }
            long first = checkpoint + 1;
            checkpoint += late.size();
            AtomicBoolean committing = new AtomicBoolean(true);
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            CompletableFuture<Void> committer =
                    CompletableFuture.runAsync(
                            () -> {
                                dev.kiln.Latches.await(start);
                                try {
                                    for (int i = 0; i < late.size(); i++) {
                                        try {
                                            table.commit(
                                                    commit(
                                                            "w",
                                                            first + i,
                                                            List.of(late.get(i)),
                                                            List.of()));
                                            committed.incrementAndGet();
                                        } catch (MissingGenerationException e) {
                                            refused.incrementAndGet();
                                        }
                                    }
                                } catch (IOException e) {
                                    throw new IllegalStateException(e);
                                } finally {
                                    committing.set(false);
                                }
                            },
                            threads);
            CompletableFuture<Integer> cleaner =
                    CompletableFuture.supplyAsync(
                            () -> {
                                dev.kiln.Latches.await(start);
                                int runs = 0;
                                try {
                                    while (committing.get() || runs == 0) {
                                        removeOrphans(table);
                                        runs++;
                                    }
                                } catch (IOException e) {
                                    throw new IllegalStateException(e);
                                }
                                return runs;
                            },
                            threads);
            start.countDown();
            committer.get(60, TimeUnit.SECONDS);
            assertThat(cleaner.get(60, TimeUnit.SECONDS)).isPositive();

            assertEveryNamedFileIsStored(table);
        }
        assertThat(committed.get() + refused.get()).isEqualTo(120);
    }

    @Test
    void aListingThatFailsOnAVanishedEntryIsRetried() throws IOException {
        ObservedFileSystem fs = ObservedFileSystem.remote();
        KilnTable table = KilnTable.create(fs, root, options(1));
        GenerationRef orphan = stored("data/bucket-0/orphan.arrow", 0, Duration.ofHours(2));
        AtomicInteger failures = new AtomicInteger();
        fs.hook(
                (call, path) -> {
                    if (call.equals("listStatus") && failures.getAndIncrement() < 2) {
                        throw new FileNotFoundException(
                                "File "
                                        + path
                                        + "/.tmp-x does not exist or the user running"
                                        + " Flink has insufficient permissions to access it.");
                    }
                });

        List<Path> removed = removeOrphans(table);

        assertThat(failures.get()).isGreaterThan(2);
        assertThat(removed).containsExactly(table.resolve(orphan.path()));
    }

    @ParameterizedTest(name = "host clock off by {0} h")
    @ValueSource(longs = {24, -24})
    void aCleanupHostsSkewedClockDoesNotMoveTheCutoffOffTheStoragesClock(long skewHours)
            throws IOException {
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef old = stored("data/bucket-0/old.arrow", 0, Duration.ofHours(2));
        GenerationRef young = stored("data/bucket-0/young.arrow", 0, Duration.ofMinutes(30));
        GenerationRef fresh = stored("data/bucket-0/fresh.arrow", 0, Duration.ZERO);
        Clock skewed = Clock.offset(Clock.systemUTC(), Duration.ofHours(skewHours));

        long before = System.currentTimeMillis();
        List<Path> removed = table.removeOrphans(GRACE, skewed);
        long after = System.currentTimeMillis();

        assertThat(removed)
                .as("what is older than the grace period by the storage's clock")
                .containsExactly(table.resolve(old.path()));
        assertThat(table.latestManifest().orphanCutoffMillis())
                .isBetween(before - GRACE.toMillis() - 1000, after - GRACE.toMillis());
        GenerationRef afterwards = stored("data/bucket-0/afterwards.arrow", 0, Duration.ZERO);
        Manifest next = table.commit(commit("w", 1, List.of(fresh, young, afterwards), List.of()));
        assertThat(next.generations()).containsExactly(fresh, young, afterwards);
        assertThat(dir.resolve("table").resolve("_kiln/tmp").toFile().list())
                .as("no clock marker is left behind")
                .noneMatch(name -> name.startsWith(TablePaths.CLOCK_MARKER_PREFIX));
        assertEveryNamedFileIsStored(table);
    }

    @Test
    void aCleanupThatDeletesGenerationsPublishesItsCutoffOnceAndLaterCommitsHonourIt()
            throws IOException {
        // The storage's clock stands still at now: every cleanup here claims the same cutoff.
        KilnTable table =
                KilnTable.create(
                        new StorageClockFileSystem(() -> now.toEpochMilli()), root, options(1));
        GenerationRef retired = stored("data/bucket-0/retired.arrow", 0, Duration.ofHours(3));
        table.commit(commit("w", 1, List.of(retired), List.of()));
        table.commit(commit("w", 2, List.of(), List.of(retired.path())));
        long cutoff = now.minus(GRACE).toEpochMilli();

        assertThat(removeOrphans(table)).isEmpty();
        assertThat(table.latestVersion()).as("nothing to delete: no version").isEqualTo(2);

        GenerationRef orphan = stored("data/bucket-0/orphan.arrow", 0, Duration.ofHours(2));
        assertThat(removeOrphans(table)).containsExactly(table.resolve(orphan.path()));
        Manifest claim = table.latestManifest();
        assertThat(claim.version()).isEqualTo(3);
        assertThat(claim.orphanCutoffMillis()).isEqualTo(cutoff);
        assertThat(claim.generations()).isEqualTo(table.manifest(2).generations());
        assertThat(claim.committed()).isEqualTo(table.manifest(2).committed());
        assertThat(Files.exists(local(retired.path()))).isTrue();

        stored("data/bucket-0/orphan2.arrow", 0, Duration.ofHours(2));
        assertThat(removeOrphans(table)).hasSize(1);
        assertThat(table.latestVersion()).as("the cutoff is claimed already").isEqualTo(3);

        GenerationRef stale = stored("data/bucket-0/stale.arrow", 0, Duration.ofHours(2));
        GenerationRef fresh = stored("data/bucket-0/fresh.arrow", 0, Duration.ZERO);
        assertThatThrownBy(() -> table.commit(commit("w", 3, List.of(stale), List.of())))
                .isInstanceOf(MissingGenerationException.class)
                .hasMessageContaining(stale.path())
                .hasMessageContaining("orphan cutoff " + cutoff + " of version 3");
        Manifest next = table.commit(commit("w", 3, List.of(fresh), List.of()));
        assertThat(next.orphanCutoffMillis()).isEqualTo(cutoff);
        assertThat(next.generations()).contains(fresh);
    }

    @Test
    void cleanupBetweenACommitsCheckAndItsPublishOnALocalDisk() throws IOException {
        cleanupBetweenACommitsCheckAndItsPublish(ObservedFileSystem.local());
    }

    @Test
    void cleanupBetweenACommitsCheckAndItsPublishOnARemoteStore() throws IOException {
        cleanupBetweenACommitsCheckAndItsPublish(ObservedFileSystem.remote());
    }

    /** Never leaves a manifest naming a lost file. */
    private void cleanupBetweenACommitsCheckAndItsPublish(ObservedFileSystem fs)
            throws IOException {
        KilnTable table = KilnTable.create(fs, root, options(1));
        GenerationRef late = stored("data/bucket-0/late.arrow", 0, Duration.ofHours(2));
        AtomicBoolean fired = new AtomicBoolean();
        AtomicReference<List<Path>> removed = new AtomicReference<>();
        // The commit has checked its file and is about to publish: cleanup runs now.
        fs.hook(
                (call, path) -> {
                    if (call.equals("create")
                            && path.getName().contains("manifest-")
                            && fired.compareAndSet(false, true)) {
                        removed.set(removeOrphans(table));
                    }
                });

        try {
            table.commit(commit("w", 1, List.of(late), List.of()));
            assertThat(removed.get()).isEmpty();
        } catch (MissingGenerationException e) {
            assertThat(e).hasMessageContaining(late.path());
            assertThat(removed.get()).containsExactly(table.resolve(late.path()));
        }

        assertThat(fired).isTrue();
        assertEveryNamedFileIsStored(table);
    }

    @Test
    void aCommitBetweenCleanupsListingAndItsDeleteNeverLeavesAManifestNamingALostFile()
            throws IOException {
        ObservedFileSystem fs = ObservedFileSystem.remote();
        KilnTable table = KilnTable.create(fs, root, options(1));
        GenerationRef late = stored("data/bucket-0/late.arrow", 0, Duration.ofHours(2));
        AtomicBoolean fired = new AtomicBoolean();
        AtomicReference<Object> committed = new AtomicReference<>();
        // Cleanup has decided that the file is an orphan and is about to delete it: a late commit
        // of that file runs now.
        fs.hook(
                (call, path) -> {
                    if (call.equals("delete")
                            && path.getName().equals("late.arrow")
                            && fired.compareAndSet(false, true)) {
                        try {
                            committed.set(table.commit(commit("w", 1, List.of(late), List.of())));
                        } catch (IOException e) {
                            committed.set(e);
                        }
                    }
                });

        List<Path> removed = removeOrphans(table);

        assertThat(fired).isTrue();
        assertThat(removed).containsExactly(table.resolve(late.path()));
        assertThat(committed.get())
                .isInstanceOf(MissingGenerationException.class)
                .asString()
                .contains(late.path());
        assertEveryNamedFileIsStored(table);
    }
}
