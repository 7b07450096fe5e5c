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

import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;
import org.apache.flink.testutils.logging.LoggerAuditingExtension;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.kiln.warm.GenerationCacheTest.assertAnswer;
import static dev.kiln.warm.TestGenerations.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link GenerationCache} with a local-disk tier over a generation several times larger than its
 * page-cache bound, read through an instrumented reader whose counters are exact: the disk tier
 * answers what memory cannot hold, warms fill it, retirement and close delete the copies.
 */
class GenerationCacheDiskTest {

    private static final long ROWS = 40_000;
    private static final int DELETE_EVERY = 7;
    private static final long PAGE_BYTES = 64L << 10;

    @TempDir java.nio.file.Path dir;

    @RegisterExtension
    final LoggerAuditingExtension logs = new LoggerAuditingExtension(DiskTier.class, Level.WARN);

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private Path gen;
    private long fileLength;
    private final List<GenerationCache> caches = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4, KilnThreads.factory("test-io"));
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        gen = new Path(dir.resolve("gen.arrow").toUri());
        TestGenerations.write(gen, 0, ROWS, DELETE_EVERY, allocator);
        fileLength = TestGenerations.fileOf(gen).length();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        caches.forEach(GenerationCache::close);
        ioPool.shutdownNow();
        assertThat(ioPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        allocator.close();
    }

    private GenerationCache cache(long diskBytes) {
        return cache(diskBytes, DiskTier.CopyWriter.FILES);
    }

    private GenerationCache cache(long diskBytes, DiskTier.CopyWriter writer) {
        GenerationCache.Builder builder =
                GenerationCache.builder(io, allocator)
                        .maximumPageBytes(PAGE_BYTES)
                        .warmOnOpen(false)
                        .warmPageBudgetBytes(0);
        if (diskBytes > 0) {
            builder.diskTier(dir.resolve("disk"), diskBytes, ioPool)
                    .diskBlockBytes(16 << 10)
                    .diskWriter(writer);
        }
        GenerationCache cache = builder.build();
        caches.add(cache);
        return cache;
    }

    /** Looks up {@code n} skewed keys (and some absent ones), checking every answer. */
    private void lookUp(GenerationCache cache, int n, long seed) throws Exception {
        Random random = new Random(seed);
        for (int i = 0; i < n; i++) {
            // Skewed: a quarter of the keys take half the lookups.
            long id =
                    random.nextBoolean()
                            ? random.nextInt((int) ROWS / 4)
                            : random.nextInt((int) ROWS + 100);
            assertAnswer(
                    id,
                    cache.lookupAll(gen, fileLength, List.of(key(id)))
                            .get(10, TimeUnit.SECONDS)
                            .get(0),
                    0,
                    ROWS,
                    DELETE_EVERY);
        }
    }

    @Test
    void aTableLargerThanMemoryIsAnsweredFromDiskWithoutStorageReadsOnceCopied() throws Exception {
        assertThat(fileLength).isGreaterThan(5 * PAGE_BYTES);

        GenerationCache memoryOnly = cache(0);
        assertThat(memoryOnly.hasDiskTier()).isFalse();
        lookUp(memoryOnly, 2000, 1);
        io.resetCounters();
        lookUp(memoryOnly, 2000, 2);
        long memoryOnlyRequests = io.totalRequests();
        assertThat(memoryOnlyRequests).as("memory alone cannot hold the table").isPositive();
        memoryOnly.close();

        GenerationCache tiered = cache(fileLength * 2);
        assertThat(tiered.hasDiskTier()).isTrue();
        io.resetCounters();
        lookUp(tiered, 2000, 1);
        long firstPass = io.totalRequests();
        io.resetCounters();
        lookUp(tiered, 2000, 2);
        DiskTierStats stats = tiered.diskStats();
        assertThat(io.totalRequests())
                .as("second pass: blocks not copied in the first only (vs %s)", memoryOnlyRequests)
                .isLessThan(memoryOnlyRequests);
        assertThat(stats.hits()).isPositive();
        assertThat(stats.copyFailures()).isZero();
        assertThat(stats.damagedCopies()).isZero();
        assertThat(stats.storageReads()).isEqualTo(firstPass + io.totalRequests());
        // A third pass over the keys already looked up reads no storage at all.
        io.resetCounters();
        lookUp(tiered, 2000, 1);
        lookUp(tiered, 2000, 2);
        assertThat(io.totalRequests()).isZero();
        assertThat(tiered.cachedPageBytes()).isLessThanOrEqualTo(PAGE_BYTES);
        assertThat(tiered.diskStats().bytes()).isLessThanOrEqualTo(fileLength);
    }

    @Test
    void aWarmCopiesTheGenerationToDiskSoNoLookupReadsStorage() throws Exception {
        GenerationCache cache = cache(fileLength * 4);
        assertThat(cache.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(cache.diskStats().bytes()).isEqualTo(fileLength);
        io.resetCounters();
        lookUp(cache, 3000, 3);
        assertThat(io.totalRequests()).isZero();
        assertThat(cache.diskStats().hits()).isPositive();
    }

    @Test
    void aWarmCopiesWithinHalfTheDiskBound() throws Exception {
        long bound = fileLength / 2;
        GenerationCache cache = cache(bound);
        cache.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS);
        long copied = cache.diskStats().copies() * (16 << 10);
        // The file's first half of the bound, plus the blocks of the tail the open read (64 KiB).
        assertThat(copied).isBetween(bound / 2, bound / 2 + (16 << 10) + (96 << 10));
        assertThat(cache.diskStats().bytes()).isLessThanOrEqualTo(bound);
    }

    @Test
    void retiringAGenerationAndClosingTheCacheDeleteItsCopies() throws Exception {
        GenerationCache cache = cache(fileLength * 2);
        lookUp(cache, 500, 4);
        java.nio.file.Path folder = cache.diskTier().directory();
        assertThat(filesIn(folder)).isPositive();

        cache.evictPaths(Set.of(gen)).get(10, TimeUnit.SECONDS);
        assertThat(cache.diskStats().bytes()).isZero();
        assertThat(filesIn(folder)).isZero();

        lookUp(cache, 500, 4);
        assertThat(filesIn(folder)).isPositive();
        cache.retainPaths(Set.of()).get(10, TimeUnit.SECONDS);
        assertThat(filesIn(folder)).isZero();

        lookUp(cache, 100, 5);
        cache.close();
        assertThat(folder).doesNotExist();
    }

    /**
     * A disk that fills up (the tier's bound says there is room, the file system says there is not)
     * and that lies (every fifth copy written with a byte flipped, reported as written): every
     * lookup, and a warm, still answer right, from storage where the disk fails them; the failures
     * are counted, the refused copies leave no torn file, and one warning is logged.
     */
    @Test
    void aFullAndLyingDiskNeverFailsALookupNorServesACorruptAnswer() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        disk.capacity = fileLength / 4;
        disk.corruptEvery = 5;
        GenerationCache cache = cache(fileLength * 2, disk);
        java.nio.file.Path folder = cache.diskTier().directory();

        assertThat(cache.warmGate().warm(TestGenerations.fileOf(gen)).get(30, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        lookUp(cache, 2000, 6);
        lookUp(cache, 2000, 6);
        DiskTierStats stats = cache.diskStats();
        assertThat(disk.refused.get()).isPositive();
        assertThat(stats.copyFailures()).isEqualTo(disk.refused.get());
        assertThat(disk.corrupted.get()).isPositive();
        assertThat(stats.damagedCopies())
                .as("lying copies caught by their checksum when read")
                .isPositive()
                .isLessThanOrEqualTo(disk.corrupted.get());
        assertThat(stats.hits()).isPositive();
        assertThat(stats.copies()).isPositive();
        // What the disk holds is whole copies the tier counts, within the disk's room.
        assertThat(FaultyDisk.bytesIn(folder))
                .isEqualTo(stats.bytes())
                .isLessThanOrEqualTo(disk.capacity);
        // One warning (sampled) for the first of the injected faults; which comes first depends
        // on the order of the blocks read (the open reads the key index before the footer).
        assertThat(logs.getEvents()).hasSize(1);
        assertThat(logs.getEvents().get(0).getThrown().getMessage())
                .matches("No space left on device|copy .* fails its checksum");

        // Room again: the blocks read are copied, and a second pass over them reads no storage.
        disk.capacity = Long.MAX_VALUE;
        disk.corruptEvery = 0;
        lookUp(cache, 2000, 7);
        io.resetCounters();
        lookUp(cache, 2000, 7);
        assertThat(io.totalRequests()).isZero();
        assertThat(logs.getEvents()).hasSize(1);
    }

    /**
     * A short read from storage fails the lookup that made it (as without the tier) and is not
     * copied: the next lookup of the same key is right.
     */
    @Test
    void aShortStorageReadFailsOneLookupAndDoesNotStayOnDisk() throws Exception {
        GenerationCache cache = cache(fileLength * 2);
        cache.open(gen, fileLength).get(10, TimeUnit.SECONDS);
        long id = ROWS / 2;
        io.truncateNextReads(1);
        assertThat(cache.lookupAll(gen, fileLength, List.of(key(id))))
                .failsWithin(10, TimeUnit.SECONDS);
        for (int i = 0; i < 3; i++) {
            assertAnswer(
                    id,
                    cache.lookupAll(gen, fileLength, List.of(key(id)))
                            .get(10, TimeUnit.SECONDS)
                            .get(0),
                    0,
                    ROWS,
                    DELETE_EVERY);
        }
        assertThat(cache.diskStats().damagedCopies()).isZero();
    }

    private static long filesIn(java.nio.file.Path folder) throws Exception {
        try (Stream<java.nio.file.Path> files = java.nio.file.Files.list(folder)) {
            return files.count();
        }
    }
}
