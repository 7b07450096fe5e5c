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

import dev.kiln.Latches;
import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Expiry and orphan cleanup racing a writer (flushes, compactions, abandoned files), a standalone
 * compactor (as {@code CompactAction} runs beside a job) and a reader pinned to recent versions, on
 * real generation files on the local disk. Time is logical: every file the writer makes is stamped
 * with the tick it was made at, the storage's clock the cleanup reads ({@link
 * StorageClockFileSystem}) reads the same ticks, and a tick passes only after a commit, so the
 * grace period ({@value #GRACE_TICKS} ticks) always exceeds the time between writing a generation
 * and committing it.
 */
class ExpiryRaceTest {

    private static final int BUCKETS = 2;
    private static final int KEYS = 64;
    private static final int COMMITS = 300;
    private static final int KEEP_LAST = 3;
    private static final int GRACE_TICKS = 3;
    private static final Duration GRACE = Duration.ofSeconds(GRACE_TICKS);
    private static final Clock EXPIRY_CLOCK =
            Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1));

    @TempDir java.nio.file.Path dir;

    private final long base = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    private final AtomicLong ticks = new AtomicLong();
    private final Map<String, Long> stampedAt = new ConcurrentHashMap<>();

    /** What each version the writer published holds; a cleanup's version holds its base's. */
    private final ConcurrentSkipListMap<Long, Map<Long, String>> model =
            new ConcurrentSkipListMap<>();

    private final AtomicLong lastModelled = new AtomicLong();
    private final List<String> violations = new CopyOnWriteArrayList<>();

    private BufferAllocator allocator;
    private ExecutorService io;
    private ExecutorService threads;
    private KilnTable table;
    private GenerationLookup direct;

    @BeforeEach
    void setUp() throws IOException {
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(4);
        threads = Executors.newFixedThreadPool(4);
        direct = GenerationLookup.direct(RangeReader.onFileSystem(io), allocator);
        table =
                KilnTable.create(
                        new StorageClockFileSystem(this::now),
                        new Path(dir.resolve("table").toUri()),
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                .bucketCount(BUCKETS)
                                .targetPageBytes(256)
                                .build());
        model.put(0L, Map.of());
    }

    @AfterEach
    void tearDown() {
        threads.shutdownNow();
        io.shutdownNow();
        allocator.close();
    }

    @Test
    void nothingLiveIsDeletedAndStorageReturnsToWhatRetainedVersionsName() throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger retainedReads = new AtomicInteger();
        AtomicInteger expiredReads = new AtomicInteger();
        AtomicInteger expiredVersions = new AtomicInteger();
        AtomicInteger removedFiles = new AtomicInteger();
        AtomicInteger actionCommits = new AtomicInteger();

        CompletableFuture<Void> writer =
                CompletableFuture.runAsync(
                        () -> {
                            Latches.await(start);
                            try {
                                write();
                            } catch (IOException e) {
                                violations.add("writer failed: " + e);
                            } finally {
                                writing.set(false);
                            }
                        },
                        threads);
        CompletableFuture<Void> reader =
                CompletableFuture.runAsync(
                        () -> {
                            Latches.await(start);
                            Random random = new Random(7);
                            do {
                                long version =
                                        Math.max(0, lastModelled.get() - random.nextInt(KEEP_LAST));
                                if (read(version)) {
                                    retainedReads.incrementAndGet();
                                } else {
                                    expiredReads.incrementAndGet();
                                }
                            } while (writing.get());
                        },
                        threads);
        // A standalone compactor (CompactAction's loop) beside the writer: their compactions go
        // stale against each other, and its rounds may find their base expired and an input gone.
        CompletableFuture<Void> action =
                CompletableFuture.runAsync(
                        () -> {
                            Latches.await(start);
                            Compactor compactor =
                                    new Compactor(
                                            table,
                                            RangeReader.onFileSystem(io),
                                            allocator,
                                            CompactionPolicy.builder()
                                                    .maxGenerations(2)
                                                    .tierFactor(3)
                                                    .build());
                            long round = 0;
                            do {
                                try {
                                    if (compactor.compact("action", ++round).isPresent()) {
                                        actionCommits.incrementAndGet();
                                    }
                                } catch (StaleCompactionException e) {
                                    // Lost every round to the writer: the next call plans again.
                                } catch (IOException e) {
                                    violations.add("the standalone compactor failed: " + e);
                                }
                            } while (writing.get());
                        },
                        threads);
        CompletableFuture<Void> cleaner =
                CompletableFuture.runAsync(
                        () -> {
                            Latches.await(start);
                            try {
                                do {
                                    expiredVersions.addAndGet(
                                            table.expireVersions(
                                                            KEEP_LAST, Duration.ZERO, EXPIRY_CLOCK)
                                                    .size());
                                    removedFiles.addAndGet(cleanUp(false));
                                } while (writing.get());
                            } catch (IOException e) {
                                violations.add("cleanup failed: " + e);
                            }
                        },
                        threads);
        start.countDown();
        CompletableFuture.allOf(writer, reader, action, cleaner).get(5, TimeUnit.MINUTES);

        System.out.printf(
                "ExpiryRaceTest: %d reads of retained versions, %d of versions that expired, %d"
                        + " versions expired, %d files removed during the race, %d commits of"
                        + " the standalone compactor%n",
                retainedReads.get(),
                expiredReads.get(),
                expiredVersions.get(),
                removedFiles.get(),
                actionCommits.get());
        assertThat(violations).isEmpty();
        assertThat(retainedReads.get()).as("reads of versions retained throughout").isPositive();
        assertThat(expiredVersions.get()).as("versions expired during the race").isPositive();
        assertThat(removedFiles.get()).as("files removed during the race").isPositive();
        assertThat(actionCommits.get()).as("commits of the standalone compactor").isPositive();

        // Once everything unnamed has aged past the grace period, storage holds exactly the
        // files the retained versions name.
        // (The standalone compactor's outputs carry the disk's clock, a day past the ticks.)
        ticks.addAndGet(Duration.ofDays(2).toSeconds());
        table.expireVersions(KEEP_LAST, Duration.ZERO, EXPIRY_CLOCK);
        cleanUp(true);
        assertThat(violations).isEmpty();
        assertThat(dataFiles()).isEqualTo(namedByRetainedVersions());
        assertThat(namedByRetainedVersions())
                .containsAll(
                        table.latestManifest().generations().stream()
                                .map(GenerationRef::path)
                                .toList());
    }

    /**
     * Commits {@value #COMMITS} random upserts and deletes; compacts every fourth commit; abandons
     * a written generation every tenth (a writer that failed before its commit).
     */
    private void write() throws IOException {
        Random random = new Random(3);
        Compactor compactor =
                new Compactor(
                        table,
                        RangeReader.onFileSystem(io),
                        allocator,
                        CompactionPolicy.builder().maxGenerations(3).tierFactor(2).build());
        Map<Long, String> reference = new TreeMap<>();
        for (int c = 1; c <= COMMITS; c++) {
            Map<Long, String> batch = new HashMap<>();
            for (int i = 0; i < 8; i++) {
                long id = random.nextInt(KEYS);
                batch.put(id, random.nextInt(4) == 0 ? null : "c" + c + "-" + id);
            }
            List<GenerationRef> added = new ArrayList<>();
            for (int b = 0; b < BUCKETS; b++) {
                GenerationRef g = GenerationFiles.write(table, allocator, b, batch);
                if (g != null) {
                    added.add(stamp(g));
                }
            }
            if (c % 10 == 0) {
                stamp(GenerationFiles.write(table, allocator, 0, Map.of(0L, "abandoned")));
            }
            batch.forEach(reference::put);
            committed(table.commit(new Commit("writer", c, added, List.of())), reference);
            if (c % 4 == 0) {
                try {
                    List<Compaction> compactions = compactor.rewrite(table.latestManifest(), null);
                    for (Compaction compaction : compactions) {
                        if (compaction.output() != null) {
                            stamp(compaction.output());
                        }
                    }
                    committed(
                            table.commit(
                                    new Commit("compactor", c, List.of(), List.of(), compactions)),
                            reference);
                } catch (StaleCompactionException e) {
                    // The standalone compactor took an input first (the outputs are orphans), or
                    // expiry and cleanup removed one while this round read it: the sink's writer
                    // drops such a round and plans again at its next checkpoint.
                }
            }
        }
    }

    private GenerationRef stamp(GenerationRef generation) throws IOException {
        long now = now();
        Files.setLastModifiedTime(local(generation.path()), FileTime.fromMillis(now));
        stampedAt.put(generation.path(), now);
        return generation;
    }

    private void committed(Manifest version, Map<Long, String> reference) {
        model.put(version.version(), new HashMap<>(reference));
        lastModelled.set(version.version());
        ticks.incrementAndGet();
    }

    /**
     * Reads every key of {@code version}. Returns whether the version was still retained after the
     * read; a retained version's answers must all be right, an expired one's either right or a
     * {@link VersionExpiredException} naming it.
     */
    private boolean read(long version) {
        Map<Long, String> expected = model.floorEntry(version).getValue();
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < KEYS; id++) {
            keys.add(table.options().keyCodec().encode(id));
        }
        Throwable failure = null;
        try {
            List<LookupResult> answers =
                    table.snapshot(version, direct).lookupAll(keys).get(1, TimeUnit.MINUTES);
            for (int id = 0; id < KEYS; id++) {
                LookupResult answer = answers.get(id);
                String value =
                        answer.status() == LookupResult.Status.FOUND
                                ? answer.values().get(1).toString()
                                : null;
                if (!java.util.Objects.equals(value, expected.get((long) id))) {
                    violations.add("version " + version + " answered " + value + " for key " + id);
                }
            }
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (Exception e) {
            failure = e;
        }
        boolean retained = isRetained(version);
        if (failure != null
                && (retained
                        || !(failure instanceof VersionExpiredException expired)
                        || expired.version() != version)) {
            violations.add(
                    "reading version "
                            + version
                            + " (retained after: "
                            + retained
                            + ") failed with "
                            + failure);
        }
        return retained;
    }

    private boolean isRetained(long version) {
        try {
            table.manifest(version);
            return true;
        } catch (VersionExpiredException e) {
            return false;
        } catch (IOException e) {
            violations.add("reading manifest " + version + " failed: " + e);
            return false;
        }
    }

    /**
     * Removes orphans at the current tick; checks that each removed file was older than the grace
     * period when the cleanup ended (it reads the storage's clock at some tick until then) and that
     * no retained version names it. Files the test did not stamp (the standalone compactor's, a day
     * younger than any tick of the race) may only go in the {@code last} run.
     */
    private int cleanUp(boolean last) throws IOException {
        List<Path> removed =
                table.removeOrphans(
                        GRACE, Clock.fixed(Instant.ofEpochMilli(now()), ZoneOffset.UTC));
        long now = now();
        Set<String> named = namedByRetainedVersions();
        int generations = 0;
        for (Path file : removed) {
            String relative = relative(file);
            if (!relative.startsWith("data/")) {
                continue;
            }
            generations++;
            Long stamped = stampedAt.get(relative);
            if (stamped == null ? !last : stamped >= now - GRACE.toMillis()) {
                violations.add("removed " + relative + " stamped at " + stamped + ", now " + now);
            }
            if (named.contains(relative)) {
                violations.add("removed " + relative + ", which a retained version names");
            }
        }
        return generations;
    }

    /** The generations the versions present name, read newest first until one has expired. */
    private Set<String> namedByRetainedVersions() throws IOException {
        Set<String> named = new HashSet<>();
        for (long v = table.latestVersion(); v >= 0; v--) {
            try {
                table.manifest(v).generations().forEach(g -> named.add(g.path()));
            } catch (VersionExpiredException e) {
                break;
            }
        }
        return named;
    }

    private Set<String> dataFiles() throws IOException {
        java.nio.file.Path data = dir.resolve("table").resolve("data");
        try (Stream<java.nio.file.Path> files = Files.walk(data)) {
            Set<String> found = new HashSet<>();
            files.filter(Files::isRegularFile)
                    .forEach(f -> found.add("data/" + data.relativize(f).toString()));
            return found;
        }
    }

    private long now() {
        return base + ticks.get() * 1000;
    }

    private java.nio.file.Path local(String relative) {
        return dir.resolve("table").resolve(relative);
    }

    private String relative(Path file) {
        String root = table.root().toUri().getPath();
        String path = file.toUri().getPath();
        return path.substring(root.endsWith("/") ? root.length() : root.length() + 1);
    }
}
