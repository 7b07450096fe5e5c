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

import dev.kiln.format.LookupResult;
import dev.kiln.format.PageCompression;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Compaction over real generation files and a real commit history. */
class CompactorTest {

    private static final int BUCKETS = 4;
    private static final long KEYS = 400;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private RangeReader io;
    private GenerationLookup direct;
    private KilnTable table;

    @BeforeEach
    void setUp() throws IOException {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        io = RangeReader.onFileSystem(ioPool);
        direct = GenerationLookup.direct(io, allocator);
        table =
                KilnTable.create(
                        new Path(dir.resolve("table").toUri()),
                        TableOptions.builder(KilnTableTest.SCHEMA, List.of("id"))
                                .bucketCount(BUCKETS)
                                .targetPageBytes(2048)
                                // Size-tiered merges depend on file sizes; the bound test below
                                // is calibrated on uncompressed ones.
                                .compression(PageCompression.NONE)
                                .build());
    }

    @AfterEach
    void tearDown() {
        ioPool.shutdownNow();
        allocator.close();
    }

    /**
     * Random upserts and deletes over many commits, compacted after each: the table always equals
     * the reference (every key, deleted ones too), and no bucket ever holds more live generations
     * than the policy allows.
     */
    @Test
    void compactedTablesAlwaysEqualTheReferenceAndStayBounded() throws Exception {
        CompactionPolicy policy =
                CompactionPolicy.builder().maxGenerations(4).tierFactor(2).build();
        Compactor compactor = new Compactor(table, io, allocator, policy);
        Map<Long, String> reference = new TreeMap<>();
        Random random = new Random(11);
        long ingested = 0;
        long written = 0;
        for (int commit = 1; commit <= 40; commit++) {
            Map<Long, String> batch = new HashMap<>();
            for (int i = 0; i < 40; i++) {
                long id = random.nextInt((int) KEYS);
                batch.put(id, random.nextInt(4) == 0 ? null : "c" + commit + "-" + id);
            }
            List<GenerationRef> added = new ArrayList<>();
            for (int b = 0; b < BUCKETS; b++) {
                GenerationRef g = write(b, batch);
                if (g != null) {
                    added.add(g);
                    ingested += g.sizeBytes();
                }
            }
            table.commit(new Commit("writer", commit, added, List.of()));
            batch.forEach(reference::put);

            Optional<Manifest> compacted = compactor.compact("compactor", commit);
            Manifest latest = table.latestManifest();
            if (compacted.isPresent()) {
                written += sizeOfAdded(compacted.get(), latest);
            }
            for (int b = 0; b < BUCKETS; b++) {
                assertThat(latest.newestFirst(b)).hasSizeLessThanOrEqualTo(4);
            }
            assertTableEquals(reference);
        }
        // Size-tiered: each row is rewritten a few times, not once per commit.
        assertThat((double) written / ingested).isLessThan(8.0);
    }

    /**
     * The sink's cadence at the core: a flush per bucket and commit, {@link Compactor#compact}
     * after each, over 1,000 commits of new keys and updates (so generations climb several tiers
     * and the hard bound engages too). After every commit every bucket holds at most {@code
     * maxGenerations} live generations, and a lookup consults (asks the generation lookup about) at
     * most that many generations, counted exactly through the lookup it reads with.
     */
    @Test
    void liveAndConsultedGenerationsStayWithinTheBoundAtEveryCommitOfAThousand() throws Exception {
        CompactionPolicy policy =
                CompactionPolicy.builder().maxGenerations(8).tierFactor(4).build();
        Compactor compactor = new Compactor(table, io, allocator, policy);
        java.util.concurrent.atomic.AtomicInteger consulted =
                new java.util.concurrent.atomic.AtomicInteger();
        GenerationLookup counting =
                new GenerationLookup() {
                    @Override
                    public CompletableFuture<List<LookupResult>> lookupAll(
                            Path path, List<byte[]> keys) {
                        consulted.incrementAndGet();
                        return direct.lookupAll(path, keys);
                    }

                    @Override
                    public CompletableFuture<List<LookupResult>> lookupAll(
                            Path path, long fileLength, List<byte[]> keys) {
                        consulted.incrementAndGet();
                        return direct.lookupAll(path, fileLength, keys);
                    }
                };
        Map<Long, String> reference = new TreeMap<>();
        Random random = new Random(5);
        int mostLive = 0;
        int mostConsulted = 0;
        for (int commit = 1; commit <= 1000; commit++) {
            Map<Long, String> batch = new HashMap<>();
            for (long id = commit * 8L; id < commit * 8L + 8; id++) {
                batch.put(id, "c" + commit + "-" + id);
            }
            for (int i = 0; i < 4; i++) {
                long id = random.nextInt(commit * 8);
                batch.put(id, random.nextInt(2) == 0 ? null : "c" + commit + "-" + id);
            }
            List<GenerationRef> added = new ArrayList<>();
            for (int b = 0; b < BUCKETS; b++) {
                GenerationRef g = write(b, batch);
                if (g != null) {
                    added.add(g);
                }
            }
            table.commit(new Commit("writer", commit, added, List.of()));
            batch.forEach(reference::put);
            compactor.compact("compactor", commit);

            Manifest latest = table.latestManifest();
            for (int b = 0; b < BUCKETS; b++) {
                int live = latest.newestFirst(b).size();
                assertThat(live)
                        .as("live generations of bucket %d after commit %d", b, commit)
                        .isLessThanOrEqualTo(policy.maxGenerations());
                mostLive = Math.max(mostLive, live);
            }
            Snapshot snapshot = new Snapshot(table, latest, counting);
            for (long id = commit % 16; id < commit * 8L + 8; id += commit / 2 + 16) {
                consulted.set(0);
                LookupResult result =
                        snapshot.lookup(table.options().keyCodec().encode(id))
                                .get(30, TimeUnit.SECONDS);
                assertThat(consulted.get())
                        .as("generations consulted for key %d after commit %d", id, commit)
                        .isLessThanOrEqualTo(policy.maxGenerations());
                mostConsulted = Math.max(mostConsulted, consulted.get());
                assertThat(name(result))
                        .as("key %d after commit %d", id, commit)
                        .isEqualTo(reference.get(id));
            }
        }
        List<byte[]> every = new ArrayList<>();
        for (long id = 0; id < 1000 * 8L + 8; id++) {
            every.add(table.options().keyCodec().encode(id));
        }
        List<LookupResult> results =
                new Snapshot(table, table.latestManifest(), direct)
                        .lookupAll(every)
                        .get(1, TimeUnit.MINUTES);
        for (int id = 0; id < every.size(); id++) {
            LookupResult result = results.get(id);
            assertThat(name(result))
                    .as("key %d at the end", id)
                    .isEqualTo(reference.get((long) id));
        }
        System.out.printf(
                "1,000 commits: at most %d live generations per bucket, %d consulted per lookup"
                        + " (bound %d)%n",
                mostLive, mostConsulted, policy.maxGenerations());
        assertThat(mostLive).as("buckets grew to the bound").isEqualTo(policy.maxGenerations());
    }

    @Test
    void aCompactionOutputTakesThePlaceOfItsNewestInput() throws Exception {
        long one = idInBucket(0);
        long two = idInBucket(0, one);
        GenerationRef g1 = write(0, Map.of(one, "one", two, "two"));
        GenerationRef g2 = write(0, Map.of(one, "one again"));
        GenerationRef g3 = write(0, Map.of(two, "two again"));
        table.commit(new Commit("w", 1, List.of(g1, g2, g3), List.of()));
        GenerationMerger merger = new GenerationMerger(table, io, allocator);

        Compaction merged = merger.merge(0, List.of(g1, g2), true);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(merged)));

        assertThat(after.generations()).containsExactly(merged.output(), g3);
        assertThat(after.retired()).containsExactlyInAnyOrder(g1.path(), g2.path());
        assertThat(lookup(after, one)).isEqualTo("one again");
        assertThat(lookup(after, two)).as("g3 is newer than the merge").isEqualTo("two again");
    }

    @Test
    void tombstonesGoOnlyWhenTheMergeStartsAtTheOldestGeneration() throws Exception {
        long id = idInBucket(0);
        GenerationRef old = write(0, Map.of(id, "old"));
        GenerationRef deleted = write(0, mapOf(id, null));
        GenerationRef unrelated = write(0, Map.of(idInBucket(0, id), "x"));
        table.commit(new Commit("w", 1, List.of(old, deleted, unrelated), List.of()));
        GenerationMerger merger = new GenerationMerger(table, io, allocator);

        Compaction newest = merger.merge(0, List.of(deleted, unrelated), false);
        Manifest v2 = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(newest)));
        assertThat(newest.output().rowCount()).as("the tombstone is kept").isEqualTo(2);
        assertThat(lookup(v2, id)).isNull();

        Compaction all = merger.merge(0, v2.generations(), true);
        Manifest v3 = table.commit(new Commit("c", 2, List.of(), List.of(), List.of(all)));
        assertThat(all.output().rowCount()).as("the tombstone and what it hid are gone").isOne();
        assertThat(v3.generations()).containsExactly(all.output());
        assertThat(lookup(v3, id)).isNull();
    }

    @Test
    void aMergeThatKeepsNothingRetiresItsInputs() throws Exception {
        long id = idInBucket(1);
        GenerationRef put = write(1, Map.of(id, "v"));
        GenerationRef delete = write(1, mapOf(id, null));
        table.commit(new Commit("w", 1, List.of(put, delete), List.of()));

        Compaction empty =
                new GenerationMerger(table, io, allocator).merge(1, List.of(put, delete), true);
        Manifest after = table.commit(new Commit("c", 1, List.of(), List.of(), List.of(empty)));

        assertThat(empty.output()).isNull();
        assertThat(after.generations()).isEmpty();
        assertThat(lookup(after, id)).isNull();
    }

    @Test
    void compactionsOfInputsThatAreGoneOrNotConsecutiveAreStale() throws Exception {
        GenerationRef a = write(0, Map.of(idInBucket(0), "a"));
        GenerationRef b = write(0, Map.of(idInBucket(0), "b"));
        GenerationRef c = write(0, Map.of(idInBucket(0), "c"));
        table.commit(new Commit("w", 1, List.of(a, b, c), List.of()));
        GenerationMerger merger = new GenerationMerger(table, io, allocator);

        Compaction skipsB = merger.merge(0, List.of(a, c), false);
        assertThatThrownBy(
                        () ->
                                table.commit(
                                        new Commit("c", 1, List.of(), List.of(), List.of(skipsB))))
                .isInstanceOf(StaleCompactionException.class)
                .hasMessageContaining(b.path());

        Compaction ab = merger.merge(0, List.of(a, b), false);
        table.commit(new Commit("other", 1, List.of(), List.of(a.path()), List.of()));
        assertThatThrownBy(
                        () -> table.commit(new Commit("c", 2, List.of(), List.of(), List.of(ab))))
                .isInstanceOf(StaleCompactionException.class)
                .hasMessageContaining(a.path());
        assertThat(table.latestManifest().generations()).containsExactly(b, c);
    }

    /**
     * Two compactors and a writer race on one table over many rounds: every compactor call either
     * compacts, finds nothing to do, or loses and plans again; the table always equals the
     * reference and no generation is ever live twice.
     */
    @Test
    void compactorsRacingEachOtherAndAWriterLoseNothing() throws Exception {
        CompactionPolicy policy =
                CompactionPolicy.builder().maxGenerations(2).tierFactor(2).build();
        ExecutorService racers = Executors.newFixedThreadPool(3);
        try {
            Map<Long, String> reference = new TreeMap<>();
            for (int round = 1; round <= 15; round++) {
                for (int w = 0; w < 3; w++) {
                    Map<Long, String> batch = new HashMap<>();
                    for (long id = 0; id < 40; id++) {
                        batch.put(id * 7 % KEYS, "r" + round + "w" + w);
                    }
                    List<GenerationRef> added = new ArrayList<>();
                    for (int b = 0; b < BUCKETS; b++) {
                        GenerationRef g = write(b, batch);
                        if (g != null) {
                            added.add(g);
                        }
                    }
                    table.commit(new Commit("writer", round * 10L + w, added, List.of()));
                    reference.putAll(batch);
                }
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<?>> work = new ArrayList<>();
                int r = round;
                for (int c = 0; c < 2; c++) {
                    String id = "compactor-" + c;
                    Compactor compactor = new Compactor(table, io, allocator, policy);
                    work.add(
                            CompletableFuture.runAsync(
                                    () -> {
                                        await(start);
                                        try {
                                            compactor.compact(id, r);
                                        } catch (IOException e) {
                                            throw new java.io.UncheckedIOException(e);
                                        }
                                    },
                                    racers));
                }
                start.countDown();
                CompletableFuture.allOf(work.toArray(new CompletableFuture<?>[0]))
                        .get(60, TimeUnit.SECONDS);
                Manifest latest = table.latestManifest();
                Set<String> paths = new HashSet<>();
                latest.generations().forEach(g -> assertThat(paths.add(g.path())).isTrue());
                assertTableEquals(reference);
            }
        } finally {
            racers.shutdownNow();
        }
    }

    private long sizeOfAdded(Manifest published, Manifest latest) {
        Set<String> retired = new HashSet<>(published.retired());
        long bytes = 0;
        for (GenerationRef g : published.generations()) {
            if (!retired.contains(g.path()) && isNewIn(published, g)) {
                bytes += g.sizeBytes();
            }
        }
        return bytes;
    }

    /** A generation a compaction output is: published in this version, not by the writer. */
    private boolean isNewIn(Manifest published, GenerationRef g) throws RuntimeException {
        try {
            Manifest previous = table.manifest(published.version() - 1);
            return previous.generations().stream().noneMatch(p -> p.path().equals(g.path()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void assertTableEquals(Map<Long, String> reference) throws Exception {
        Manifest latest = table.latestManifest();
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < KEYS; id++) {
            keys.add(table.options().keyCodec().encode(id));
        }
        List<LookupResult> results =
                new Snapshot(table, latest, direct).lookupAll(keys).get(30, TimeUnit.SECONDS);
        for (int id = 0; id < KEYS; id++) {
            LookupResult result = results.get(id);
            assertThat(name(result))
                    .as("key %d in version %d", id, latest.version())
                    .isEqualTo(reference.get((long) id));
        }
    }

    private String lookup(Manifest manifest, long id) throws Exception {
        Snapshot snapshot = new Snapshot(table, manifest, direct);
        LookupResult result =
                snapshot.lookup(table.options().keyCodec().encode(id)).get(10, TimeUnit.SECONDS);
        return name(result);
    }

    private long idInBucket(int bucket, long... not) {
        outer:
        for (long id = 0; ; id++) {
            for (long n : not) {
                if (n == id) {
                    continue outer;
                }
            }
            if (table.options().bucketOf(table.options().keyCodec().encode(id)) == bucket) {
                return id;
            }
        }
    }

    private static Map<Long, String> mapOf(long id, String value) {
        Map<Long, String> map = new HashMap<>();
        map.put(id, value);
        return map;
    }

    /** Writes the entries of {@code rows} in {@code bucket} (null: delete); null if none. */
    private GenerationRef write(int bucket, Map<Long, String> rows) throws IOException {
        return GenerationFiles.write(table, allocator, bucket, rows);
    }

    /** The name a lookup found, or {@code null} for an absent key. */
    private static String name(LookupResult result) {
        return result.status() == LookupResult.Status.FOUND
                ? result.values().get(1).toString()
                : null;
    }
}
