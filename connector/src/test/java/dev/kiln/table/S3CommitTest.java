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

import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;

import org.apache.flink.core.fs.BlockLocation;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

import static dev.kiln.table.KilnTableTest.commit;
import static dev.kiln.table.KilnTableTest.options;
import static dev.kiln.table.KilnTableTest.ref;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The commit protocol on {@code s3://} through Flink's S3 file system, against an S3 API server on
 * loopback: conditional PUTs keep racing committers exact, a publish whose answer is lost is
 * recognised and never repeated, throttling is retried, and requests per commit are counted.
 */
class S3CommitTest {

    @RegisterExtension static final S3Loopback S3 = new S3Loopback();

    private ExecutorService threads;

    @BeforeEach
    void setUp() {
        threads = Executors.newFixedThreadPool(6);
        S3.proxy().clearFaults();
        S3.proxy().clear();
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        S3.proxy().clearFaults();
    }

    private static Predicate<Request> manifestPut(long version) {
        String name = String.format("manifest-%020d.json", version);
        return r -> r.isPut() && r.path().endsWith(name);
    }

    private static GenerationRef stored(Path root, String path, int bucket) throws IOException {
        Path file = new Path(root, path);
        try (OutputStream out = file.getFileSystem().create(file, FileSystem.WriteMode.OVERWRITE)) {
            out.write(new byte[100]);
        }
        return ref(path, bucket);
    }

    @Test
    void s3PublishesByConditionalPut() throws IOException {
        Path root = S3.root("mode");
        assertThat(ManifestPublisher.forFileSystem(root.getFileSystem(), root).mode())
                .isEqualTo(ManifestPublisher.Mode.CONDITIONAL_PUT);
        assertThat(
                        ManifestPublisher.forFileSystem(
                                        new HiddenFileSystem(root.getFileSystem()), root)
                                .mode())
                .isEqualTo(ManifestPublisher.Mode.RENAME_VERIFIED);
    }

    @Test
    void racingCommittersOnOneBaseHaveExactlyOneWinner() throws Exception {
        Path root = S3.root("race");
        KilnTable table = KilnTable.create(root, options(1));
        int racers = 4;
        for (int iteration = 0; iteration < 8; iteration++) {
            Manifest base = table.latestManifest();
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<Boolean>> won = new ArrayList<>();
            for (int r = 0; r < racers; r++) {
                GenerationRef mine =
                        stored(root, "data/bucket-0/i" + iteration + "-r" + r + ".arrow", 0);
                won.add(
                        CompletableFuture.supplyAsync(
                                () -> {
                                    try {
                                        start.await();
                                        table.commitOn(
                                                base,
                                                commit(
                                                        "w" + mine.path(),
                                                        1,
                                                        List.of(mine),
                                                        List.of()));
                                        return true;
                                    } catch (ManifestConflictException e) {
                                        return false;
                                    } catch (IOException | InterruptedException e) {
                                        throw new IllegalStateException(e);
                                    }
                                },
                                threads));
            }
            start.countDown();
            assertThat(won.stream().filter(CompletableFuture::join).count()).isEqualTo(1);
            Manifest published = table.manifest(base.version() + 1);
            assertThat(published.generations()).hasSize(base.generations().size() + 1);
            assertThat(table.latestVersion()).isEqualTo(base.version() + 1);
        }
    }

    @Test
    void losersRetryOnTheNewBaseAndEveryGenerationIsCommittedOnce() throws Exception {
        Path root = S3.root("retry");
        KilnTable table = KilnTable.create(root, options(2));
        int committers = 4;
        int commitsEach = 3;
        CountDownLatch start = new CountDownLatch(1);
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int c = 0; c < committers; c++) {
            String committer = "committer-" + c;
            List<GenerationRef> mine = new ArrayList<>();
            for (int k = 1; k <= commitsEach; k++) {
                mine.add(stored(root, "data/bucket-" + (k % 2) + "/" + committer + "-" + k, k % 2));
            }
            done.add(
                    CompletableFuture.runAsync(
                            () -> {
                                try {
                                    start.await();
                                    for (int k = 1; k <= commitsEach; k++) {
                                        table.commit(
                                                commit(
                                                        committer,
                                                        k,
                                                        List.of(mine.get(k - 1)),
                                                        List.of()),
                                                committers * commitsEach);
                                    }
                                } catch (IOException | InterruptedException e) {
                                    throw new IllegalStateException(e);
                                }
                            },
                            threads));
        }
        start.countDown();
        CompletableFuture.allOf(done.toArray(new CompletableFuture<?>[0]))
                .get(120, TimeUnit.SECONDS);

        Manifest latest = table.latestManifest();
        assertThat(latest.version()).isEqualTo(committers * commitsEach);
        assertThat(new HashSet<>(latest.generations())).hasSize(committers * commitsEach);
        for (int c = 0; c < committers; c++) {
            assertThat(latest.committed()).containsEntry("committer-" + c, (long) commitsEach);
        }
    }

    @Test
    void aLostPublishAnswerIsRecognisedAndNothingIsPublishedTwice() throws IOException {
        // The SDK retries the PUT whose answer was lost; the retry finds the object its first
        // attempt wrote (412), and the commit finds its own checkpoint in that version.
        Path root = S3.root("lost");
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef g = stored(root, "data/bucket-0/g1.arrow", 0);
        S3.proxy().clear();
        S3.proxy().inject(Fault.LOSE_RESPONSE, manifestPut(1), 1);

        Manifest committed = table.commit(commit("w", 7, List.of(g), List.of()));

        assertThat(committed.version()).isEqualTo(1);
        assertThat(committed.generations()).containsExactly(g);
        assertThat(S3.proxy().injected()).isEqualTo(1);
        assertThat(S3.proxy().count(manifestPut(1))).isEqualTo(2);
        assertThat(S3.proxy().count(manifestPut(2))).isZero();
        assertThat(table.latestVersion()).isEqualTo(1);
        assertThat(table.commit(commit("w", 7, List.of(g), List.of())).version()).isEqualTo(1);
    }

    @Test
    void aLostPublishAnswerWithoutClientRetriesIsRecognised() throws IOException {
        // No SDK retry: the PUT fails with an I/O error although the manifest landed; the commit
        // reads the table again and finds its checkpoint there.
        Path root = S3.root(S3Loopback.NO_RETRY_BUCKET, "lost");
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef g = stored(root, "data/bucket-0/g1.arrow", 0);
        S3.proxy().clear();
        S3.proxy().inject(Fault.LOSE_RESPONSE, manifestPut(1), 1);

        Manifest committed = table.commit(commit("w", 7, List.of(g), List.of()));

        assertThat(committed.version()).isEqualTo(1);
        assertThat(committed.generations()).containsExactly(g);
        assertThat(S3.proxy().count(manifestPut(1))).isEqualTo(1);
        assertThat(S3.proxy().count(manifestPut(2))).isZero();
        assertThat(table.latestVersion()).isEqualTo(1);
    }

    @Test
    void aFailedPublishThatDidNotLandFailsTheCommit() throws IOException {
        Path root = S3.root(S3Loopback.NO_RETRY_BUCKET, "failed");
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef g = stored(root, "data/bucket-0/g1.arrow", 0);
        S3.proxy().inject(Fault.SLOW_DOWN_503, manifestPut(1), 1);

        assertThatThrownBy(() -> table.commit(commit("w", 7, List.of(g), List.of())))
                .isInstanceOf(IOException.class)
                .isNotInstanceOf(KilnTableException.class)
                .hasMessageContaining("manifest-00000000000000000001.json");
        assertThat(table.latestVersion()).isZero();
        assertThat(table.commit(commit("w", 7, List.of(g), List.of())).version()).isEqualTo(1);
    }

    @Test
    void aThrottledPublishIsRetriedAndCommitsOnce() throws IOException {
        Path root = S3.root("throttled");
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef g = stored(root, "data/bucket-0/g1.arrow", 0);
        S3.proxy().clear();
        S3.proxy().inject(Fault.SLOW_DOWN_503, manifestPut(1), 2);

        assertThat(table.commit(commit("w", 7, List.of(g), List.of())).version()).isEqualTo(1);

        assertThat(S3.proxy().injected()).isEqualTo(2);
        assertThat(S3.proxy().count(manifestPut(1))).isEqualTo(3);
        assertThat(table.latestVersion()).isEqualTo(1);
        assertThat(table.manifest(1).generations()).containsExactly(g);
    }

    /**
     * Orphan cleanup on S3 takes its now from the server (a marker object's Last-Modified), not
     * from the host: a host a day ahead removes nothing young and leaves commits of files written
     * before it working; a host a day behind still removes what is old by the server's clock.
     */
    @Test
    void orphanCleanupOnS3ReadsTheServersClockAndRemovesOnlyUnnamedFiles() throws Exception {
        Path root = S3.root("orphans");
        KilnTable table = KilnTable.create(root, options(2));
        GenerationRef live = stored(root, "data/bucket-0/live.arrow", 0);
        table.commit(commit("w", 1, List.of(live), List.of()));
        Path orphan = new Path(root, "data/bucket-1/orphan.arrow");
        stored(root, "data/bucket-1/orphan.arrow", 1);
        GenerationRef pending = stored(root, "data/bucket-0/pending.arrow", 0);

        Clock dayAhead = Clock.offset(Clock.systemUTC(), Duration.ofDays(1));
        assertThat(table.removeOrphans(Duration.ofMinutes(1), dayAhead)).isEmpty();
        assertThat(table.commit(commit("w", 2, List.of(pending), List.of())).generations())
                .containsExactly(live, pending);
        assertThat(TableFiles.of(root.getFileSystem()).list(root, TablePaths.TEMP_DIR))
                .as("no clock marker is left behind")
                .noneMatch(e -> e.name().startsWith(TablePaths.CLOCK_MARKER_PREFIX));

        long orphanModified =
                TableFiles.of(root.getFileSystem()).list(root, "data/bucket-1").stream()
                        .filter(e -> e.name().equals("orphan.arrow"))
                        .findFirst()
                        .orElseThrow()
                        .modificationTime();
        // With no grace period, the server's clock (whole seconds here) must pass the orphan's
        // time.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (table.storageMillis() <= orphanModified) {
            assertThat(System.nanoTime()).as("the server's clock advances").isLessThan(deadline);
        }
        Clock dayBehind = Clock.offset(Clock.systemUTC(), Duration.ofDays(-1));
        List<Path> removed = table.removeOrphans(Duration.ZERO, dayBehind);

        assertThat(removed).containsExactly(orphan);
        FileSystem fs = root.getFileSystem();
        assertThat(fs.exists(orphan)).isFalse();
        assertThat(fs.exists(new Path(root, live.path()))).isTrue();
        assertThat(fs.exists(new Path(root, pending.path()))).isTrue();
        assertThat(table.latestManifest().generations()).containsExactly(live, pending);
    }

    @Test
    void storageRequestsPerCommitAreCounted() throws IOException {
        Path root = S3.root("count");
        KilnTable table = KilnTable.create(root, options(1));
        GenerationRef g1 = stored(root, "data/bucket-0/g1.arrow", 0);
        GenerationRef g2 = stored(root, "data/bucket-0/g2.arrow", 0);
        GenerationRef g3 = stored(root, "data/bucket-0/g3.arrow", 0);
        table.commit(commit("w", 1, List.of(g1), List.of()));
        S3.proxy().clear();

        table.commit(commit("w", 2, List.of(g2, g3), List.of()));

        // latest version: hint (HEAD + GET), N+1 absent (HEAD + LIST), N (HEAD + GET); one HEAD
        // per added generation; the manifest (one conditional PUT); the hint (LIST + PUT).
        assertThat(byKind()).isEqualTo(Map.of("GET", 2L, "HEAD", 3L + 2, "LIST", 2L, "PUT", 2L));
        assertThat(S3.proxy().requests()).hasSize(9 + 2);
    }

    @Test
    void aSecondCommitterOnAStoreWithoutCreateIfAbsentIsDetected() throws IOException {
        Path root = S3.root("single");
        AtomicBoolean raced = new AtomicBoolean();
        String target = String.format("manifest-%020d.json", 1);
        HiddenFileSystem fs =
                new HiddenFileSystem(root.getFileSystem()) {
                    @Override
                    public FSDataInputStream open(Path f) throws IOException {
                        if (f.getName().equals(target) && raced.compareAndSet(false, true)) {
                            // Another committer's rename lands between this one's and its read.
                            try (OutputStream out = create(f, WriteMode.OVERWRITE)) {
                                out.write("another".getBytes(StandardCharsets.UTF_8));
                            }
                        }
                        return super.open(f);
                    }
                };
        KilnTable table = KilnTable.create(fs, root, options(1));
        GenerationRef g = stored(root, "data/bucket-0/g1.arrow", 0);

        assertThatThrownBy(
                        () ->
                                table.commitOn(
                                        table.latestManifest(),
                                        commit("w", 1, List.of(g), List.of())))
                .isInstanceOf(ConcurrentCommitterException.class)
                .hasMessageContaining(target)
                .hasMessageContaining("single committer");
        assertThatThrownBy(() -> table.commit(commit("w", 1, List.of(g), List.of())))
                .isInstanceOf(InvalidManifestException.class)
                .hasMessageContaining(target);
    }

    private static Map<String, Long> byKind() {
        Map<String, Long> kinds = new TreeMap<>();
        for (Request r : S3.proxy().requests()) {
            String kind =
                    r.isList()
                            ? "LIST"
                            : r.isCopy()
                                    ? "COPY"
                                    : r.method() + (r.target().contains("?") ? "?" : "");
            kinds.merge(kind, 1L, Long::sum);
        }
        return kinds;
    }

    /** Another file system's object behind a plain delegate: no way to reach S3A. */
    static class HiddenFileSystem extends FileSystem {
        private final FileSystem inner;

        HiddenFileSystem(FileSystem inner) {
            this.inner = inner;
        }

        @Override
        public Path getWorkingDirectory() {
            return inner.getWorkingDirectory();
        }

        @Override
        public Path getHomeDirectory() {
            return inner.getHomeDirectory();
        }

        @Override
        public URI getUri() {
            return inner.getUri();
        }

        @Override
        public FileStatus getFileStatus(Path f) throws IOException {
            return inner.getFileStatus(f);
        }

        @Override
        public BlockLocation[] getFileBlockLocations(FileStatus file, long start, long len)
                throws IOException {
            return inner.getFileBlockLocations(file, start, len);
        }

        @Override
        public FSDataInputStream open(Path f, int bufferSize) throws IOException {
            return open(f);
        }

        @Override
        public FSDataInputStream open(Path f) throws IOException {
            return inner.open(f);
        }

        @Override
        public FileStatus[] listStatus(Path f) throws IOException {
            return inner.listStatus(f);
        }

        @Override
        public boolean delete(Path f, boolean recursive) throws IOException {
            return inner.delete(f, recursive);
        }

        @Override
        public boolean mkdirs(Path f) throws IOException {
            return inner.mkdirs(f);
        }

        @Override
        public FSDataOutputStream create(Path f, WriteMode overwriteMode) throws IOException {
            return inner.create(f, overwriteMode);
        }

        @Override
        public boolean rename(Path src, Path dst) throws IOException {
            return inner.rename(src, dst);
        }

        @Override
        public boolean isDistributedFS() {
            return true;
        }
    }
}
