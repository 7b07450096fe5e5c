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

import dev.kiln.format.BufferRounding;
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.LookupResult;
import dev.kiln.io.ByteRange;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.AllocationListener;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Write-through ({@link GenerationCache#handover}): a warm of a file its writer handed over makes
 * no storage request, a different file at the same path is never served from what was handed over,
 * and what is staged stays within its bound and is released on failure, expiry, retirement and
 * close (the root allocator's leak check in {@link #tearDown}). Real files, read through an
 * instrumented reader over the real file system that counts every request.
 */
class GenerationCacheWriteThroughTest {

    private static final int ROWS = 3000;
    private static final long TIMEOUT_SECONDS = 10;

    @TempDir java.nio.file.Path dir;

    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private final List<GenerationCache> caches = new ArrayList<>();

    @BeforeEach
    void setUp() {
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(4);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        caches.forEach(GenerationCache::close);
        ioPool.shutdownNow();
        assertThat(ioPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        // Fails if any staged or cached page's Arrow memory was not released.
        allocator.close();
    }

    @Test
    void aWarmOfAFileHandedOverMakesNoStorageRequest() throws Exception {
        GenerationCache cache = cache(builder());
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        assertThat(handover.checksum()).isNotEqualTo(GenerationFile.NO_CHECKSUM);
        assertThat(cache.writeThroughFiles()).isEqualTo(1);
        assertThat(cache.writeThroughBytes()).isPositive();

        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isZero();
        assertThat(io.lengthRequests(gen)).isZero();
        assertThat(cache.warmStorageReads()).isZero();
        assertThat(cache.writeThroughFiles()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        int pageCount = cache.open(gen, file.length()).get().pageCount();
        assertThat(pageCount).isGreaterThan(10);
        assertThat(cache.cachedPages()).isEqualTo(pageCount);
        // Every key answers from what was handed over, as the file says, still without a request.
        assertAnswers(cache, gen, TestGenerations::name);
        assertThat(io.requests(gen)).isZero();
    }

    /**
     * The warm of a file handed over holds its footer: it plans the pages past what was staged from
     * it, and never opens the file again, even when the open-generation tier dropped the footer the
     * moment it was adopted (here a bound smaller than any footer).
     */
    @Test
    void aWarmOfAFileHandedOverNeverReadsItsFooterBackEvenIfTheTierDroppedIt() throws Exception {
        GenerationCache cache = cache(builder().maximumGenerationBytes(1));
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());

        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isZero();
        assertThat(io.lengthRequests(gen)).isZero();
        assertThat(cache.warmStorageReads()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(cache.cachedPages()).isGreaterThan(10);
    }

    /** The control: the same warm of the same file, not handed over, reads it. */
    @Test
    void aWarmOfAFileNotHandedOverReadsItAndCountsTheReads() throws Exception {
        GenerationCache cache = cache(builder());
        Path gen = path("gen-1");
        TestGenerations.write(gen, 0, ROWS, 7, allocator);

        assertThat(warm(cache, TestGenerations.fileOf(gen))).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isPositive();
        assertThat(cache.warmStorageReads()).isEqualTo(io.requests(gen));
        assertThat(cache.warmStorageReads(WarmReadCause.NOT_HANDED_OVER))
                .isEqualTo(io.requests(gen));
    }

    /**
     * A file warmed ahead of its commit (as the writer's compaction round warms its outputs) keeps
     * its footer for the commit's warm: when the open-generation tier drops it meanwhile (which
     * unmarks the path), the commit's warm puts it back without a storage request.
     */
    @Test
    void aFooterHeldForItsCommitIsPutBackWithoutAReadAfterTheTierDroppedIt() throws Exception {
        // The tier holds one footer of these generations, not two.
        GenerationCache cache = cache(builder().maximumGenerationBytes(footerBytes() * 3 / 2));
        Path ahead = path("compacted");
        GenerationFile aheadFile = handOver(cache, ahead);
        assertThat(cache.warmAheadOfCommit(aheadFile).get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isEqualTo(WarmOutcome.WARMED);
        assertThat(cache.heldForCommitBytes()).isEqualTo(footerBytes());
        // A flush's warm puts its footer in the tier, which drops the compacted one's.
        assertThat(warm(cache, handOver(cache, path("flushed")))).isEqualTo(WarmOutcome.WARMED);
        assertThat(cache.warmGate().isWarm(ahead)).isFalse();

        assertThat(warm(cache, aheadFile)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(ahead)).isZero();
        assertThat(io.lengthRequests(ahead)).isZero();
        assertThat(cache.warmStorageReads()).isZero();
        assertThat(cache.heldForCommitBytes()).as("the commit's warm lets it go").isZero();
        assertAnswers(cache, ahead, TestGenerations::name);
    }

    /**
     * A commit's warm that joins the warm ahead of it still in flight (a writer warms what it
     * flushes on a thread of its own, the warm step asks moments later) lets the held footer go
     * once that warm is done, as one that finds the generation warm does: otherwise flushes'
     * footers would stay held until they expire, crowding out those of compaction outputs.
     */
    @Test
    void aCommitsWarmThatJoinsTheWarmAheadLetsTheHeldFooterGo() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService blocked = Executors.newSingleThreadExecutor();
        try {
            blocked.execute(
                    () -> {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
            InstrumentedRangeReader slow =
                    InstrumentedRangeReader.wrap(RangeReader.onFileSystem(blocked));
            GenerationCache cache =
                    cache(
                            GenerationCache.builder(slow, allocator)
                                    .warmOnOpen(false)
                                    .maxConcurrentWarms(1));
            // The gate's one slot: a warm of a file nothing was handed over of, its reads queued.
            Path other = path("other");
            TestGenerations.write(other, 0, ROWS, 7, allocator);
            CompletableFuture<WarmOutcome> reading =
                    cache.warmGate().warm(TestGenerations.fileOf(other));
            Path flushed = path("flushed");
            GenerationFile file = handOver(cache, flushed);
            CompletableFuture<WarmOutcome> ahead = cache.warmAheadOfCommit(file);
            CompletableFuture<WarmOutcome> commits = cache.warmGate().warm(file);
            assertThat(cache.warmGate().stats().joined()).isEqualTo(1);

            release.countDown();
            assertThat(reading.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .isEqualTo(WarmOutcome.WARMED);
            assertThat(ahead.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo(WarmOutcome.WARMED);
            assertThat(commits.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .isEqualTo(WarmOutcome.WARMED);
            assertThat(cache.heldForCommitBytes()).as("let go by the joined request").isZero();
            assertThat(slow.requests(flushed)).isZero();
        } finally {
            release.countDown();
            blocked.shutdownNow();
        }
    }

    /**
     * Footers held for their commit stay within the open-generation bound (the oldest goes first,
     * and its commit's warm reads storage, counted), a commit's warm that finds the generation warm
     * lets its footer go, and retirement lets go those of its paths.
     */
    @Test
    void footersHeldForTheirCommitStayWithinTheBoundAndGoOnCommitOrRetirement() throws Exception {
        long bound = footerBytes() * 3 / 2;
        GenerationCache cache = cache(builder().maximumGenerationBytes(bound));
        Path first = path("compacted-1");
        Path second = path("compacted-2");
        GenerationFile firstFile = handOver(cache, first);
        GenerationFile secondFile = handOver(cache, second);
        cache.warmAheadOfCommit(firstFile).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        cache.warmAheadOfCommit(secondFile).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(cache.heldForCommitBytes()).isEqualTo(footerBytes()).isLessThan(bound);

        assertThat(warm(cache, firstFile)).isEqualTo(WarmOutcome.WARMED);
        assertThat(io.requests(first)).isPositive();
        assertThat(cache.warmStorageReads(WarmReadCause.NOT_HANDED_OVER))
                .isEqualTo(io.requests(first));
        // Whether the tier dropped the second's footer for the first's or not: no read.
        assertThat(warm(cache, secondFile)).isIn(WarmOutcome.WARMED, WarmOutcome.ALREADY_WARM);
        assertThat(io.requests(second)).isZero();
        assertThat(cache.heldForCommitBytes()).isZero();

        // With room in the tier the commit's warm finds the generation warm, and lets go.
        GenerationCache roomy = cache(builder());
        Path third = path("compacted-3");
        GenerationFile thirdFile = handOver(roomy, third);
        roomy.warmAheadOfCommit(thirdFile).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(roomy.heldForCommitBytes()).isPositive();
        assertThat(warm(roomy, thirdFile)).isEqualTo(WarmOutcome.ALREADY_WARM);
        assertThat(roomy.heldForCommitBytes()).as("found warm: let go").isZero();

        Path fourth = path("compacted-4");
        roomy.warmAheadOfCommit(handOver(roomy, fourth)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(roomy.heldForCommitBytes()).isPositive();
        roomy.evictPaths(Set.of(fourth)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(roomy.heldForCommitBytes()).isZero();
        assertThat(io.requests(third) + io.requests(fourth)).isZero();
    }

    /**
     * Footers held for the coming checkpoint's commit (flushes) have a bound of their own, a
     * quarter of the held bound: however many flushes are warmed ahead meanwhile, they never push
     * out the footer of a compaction output waiting for a later commit, whose warm then reads
     * nothing.
     */
    @Test
    void flushesHeldForTheNextCommitNeverPushOutAnOutputsHeldFooter() throws Exception {
        long footer = footerBytes();
        // Outputs' footers: 4.5 of these footers; flushes': a quarter of that, room for one.
        GenerationCache cache = cache(builder().maximumGenerationBytes(footer * 9 / 2));
        Path output = path("compacted");
        GenerationFile outputFile = handOver(cache, output);
        cache.warmAheadOfCommit(outputFile).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        GenerationFile lastFlush = null;
        for (int i = 0; i < 5; i++) {
            lastFlush = handOver(cache, path("flushed-" + i));
            assertThat(
                            cache.warmAheadOfNextCommit(lastFlush)
                                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .isEqualTo(WarmOutcome.WARMED);
        }
        // The output's footer and the last flush's; the flushes before it let go in their bound.
        assertThat(cache.heldForCommitBytes()).isEqualTo(2 * footer);

        assertThat(warm(cache, lastFlush)).isIn(WarmOutcome.WARMED, WarmOutcome.ALREADY_WARM);
        assertThat(warm(cache, outputFile)).isIn(WarmOutcome.WARMED, WarmOutcome.ALREADY_WARM);
        assertThat(io.requests(output)).isZero();
        assertThat(io.requests(path("flushed-4"))).isZero();
        assertThat(cache.heldForCommitBytes()).isZero();
        assertAnswers(cache, output, TestGenerations::name);
    }

    @Test
    void aDifferentFileAtTheSamePathIsNeverServedFromWhatWasHandedOver() throws Exception {
        GenerationCache cache = cache(builder());
        Path gen = path("gen-1");
        Handover first = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, first, TestGenerations::name);
        long firstLength = TestGenerations.fileOf(gen).length();

        // Another file at that path, of the same length, written by a writer elsewhere.
        gen.getFileSystem().delete(gen, false);
        LongFunction<String> other = id -> "NAME OF " + id;
        GenerationCache elsewhere = cache(builder());
        Handover second = elsewhere.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, second, other);
        GenerationFile file = TestGenerations.fileOf(gen);
        assertThat(file.length()).isEqualTo(firstLength);
        assertThat(second.checksum()).isNotEqualTo(first.checksum());
        assertThat(cache.writeThroughFiles()).isEqualTo(1);

        assertThat(warm(cache, file.withChecksum(second.checksum()))).isEqualTo(WarmOutcome.WARMED);

        assertThat(cache.writeThroughFiles()).as("the first file's entry is dropped").isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(io.requests(gen)).isPositive();
        assertAnswers(cache, gen, other);
    }

    @Test
    void aWarmWithoutChecksumReadsStorageAndLeavesTheEntry() throws Exception {
        GenerationCache cache = cache(builder());
        Path gen = path("gen-1");
        TestGenerations.write(
                gen, 0, ROWS, 7, allocator, cache.handover(gen), TestGenerations::name);

        assertThat(warm(cache, TestGenerations.fileOf(gen))).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isPositive();
        assertThat(cache.writeThroughFiles()).isEqualTo(1);
        // Retiring the path drops it.
        cache.evictPaths(Set.of(gen)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(cache.writeThroughFiles()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
    }

    @Test
    void whatDoesNotFitTheBoundIsReadFromStorageAndOnlyThat() throws Exception {
        // 32 KiB of page memory: a quarter (8 KiB) for loads, which staged pages reserve from,
        // and half the cached pages' 24 KiB lendable past it.
        GenerationCache cache = cache(builder().maximumPageBytes(32 << 10));
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        assertThat(cache.writeThroughBytes()).isGreaterThan(8 << 10).isLessThanOrEqualTo(20 << 10);

        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.lengthRequests(gen)).isZero();
        assertThat(cache.warmStorageReads()).isEqualTo(io.requests(gen));
        assertThat(cache.warmStorageReads(WarmReadCause.PAST_STAGED_PAGES))
                .isPositive()
                .isEqualTo(io.requests(gen));
        assertThat(cache.writeThroughBytes()).isZero();
        assertAnswers(cache, gen, TestGenerations::name);
    }

    /**
     * A file larger than the loads' quarter (a large compaction output) is staged whole, with room
     * the cached pages' bound lends it (evicting the coldest cached pages), and its warm reads
     * nothing; once its pages are in the cache the bound is whole again and the cache holds no more
     * than it.
     */
    @Test
    void aFileLargerThanTheLoadsQuarterIsStagedWholeWithRoomTheCachedPagesLend() throws Exception {
        long size = stagedBytesOfOneFile();
        // A quarter of 0.6 files for loads and staging, 1.8 files of cached pages, 0.9 lendable.
        long maximum = size * 12 / 5;
        GenerationCache cache = cache(builder().maximumPageBytes(maximum));
        long cachedBound = maximum - maximum / 4;
        for (String name : List.of("old-1", "old-2")) {
            Path old = path(name);
            TestGenerations.write(old, 0, ROWS, 7, allocator);
            assertThat(warm(cache, TestGenerations.fileOf(old))).isEqualTo(WarmOutcome.WARMED);
        }
        long cachedBefore = cache.cachedPages();

        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        assertThat(cache.writeThroughBytes()).isEqualTo(size).isGreaterThan(maximum / 4);
        assertThat(cache.cachedPages())
                .as("cold pages evicted for the lent room")
                .isLessThan(cachedBefore);
        assertThat(cache.pageAllocator().getAllocatedMemory()).isLessThanOrEqualTo(maximum);

        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isZero();
        assertThat(cache.warmStorageReads(WarmReadCause.PAST_STAGED_PAGES)).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(cache.cachedPageBytes()).isLessThanOrEqualTo(cachedBound);
        assertAnswers(cache, gen, TestGenerations::name);
    }

    /**
     * Staging reserves before it copies: a page whose copy would not fit the bound is never
     * allocated (not copied, then refused), and its warm reads it, counted.
     */
    @Test
    void aPageThatDoesNotFitTheBoundIsNeverCopied() throws Exception {
        // 4 KiB of page memory: a quarter (1 KiB) for loads and staging, less than any page.
        GenerationCache cache = cache(builder().maximumPageBytes(4 << 10));
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);

        assertThat(cache.pageAllocator().getPeakMemoryAllocation()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);
        assertThat(cache.warmStorageReads()).isPositive().isEqualTo(io.requests(gen));
    }

    /**
     * What a staged page reserves is what its copy takes, never less, with Arrow's default rounding
     * and with Kiln's ({@link BufferRounding}); with Kiln's, a page of the default 128 KiB target
     * takes its size, not twice it.
     */
    @Test
    void aStagedPageReservesWhatItTakesAndTakesItsSize() throws Exception {
        int rows = 5000; // a body of about 136 KiB: above 128 KiB, as a default page's is
        try (BufferAllocator source = allocator.newChildAllocator("rows", 0, Long.MAX_VALUE);
                VectorSchemaRoot page = VectorSchemaRoot.create(TestGenerations.SCHEMA, source)) {
            org.apache.arrow.vector.BigIntVector id =
                    (org.apache.arrow.vector.BigIntVector) page.getVector("id");
            org.apache.arrow.vector.VarCharVector name =
                    (org.apache.arrow.vector.VarCharVector) page.getVector("name");
            for (int i = 0; i < rows; i++) {
                id.setSafe(i, i);
                name.setSafe(i, ("name of row " + i).getBytes(StandardCharsets.UTF_8));
            }
            page.setRowCount(rows);
            long body;
            long[] taken = new long[2];
            BufferAllocator[] roots = {
                new RootAllocator(),
                new RootAllocator(AllocationListener.NOOP, 1L << 30, BufferRounding.INSTANCE)
            };
            try (org.apache.arrow.vector.ipc.message.ArrowRecordBatch batch =
                    new org.apache.arrow.vector.VectorUnloader(page).getRecordBatch()) {
                body = batch.computeBodyLength();
                for (int r = 0; r < 2; r++) {
                    try (BufferAllocator root = roots[r];
                            VectorSchemaRoot copy =
                                    WriteThrough.copyOf(batch, page.getSchema(), root)) {
                        taken[r] = root.getAllocatedMemory();
                        assertThat(SharedPage.arrowBytes(copy)).isEqualTo(taken[r]);
                        assertThat(WriteThrough.copyBytesAtMost(batch, root.getRoundingPolicy()))
                                .isGreaterThanOrEqualTo(taken[r]);
                    }
                }
            }
            assertThat(body).isBetween(128L << 10, 160L << 10);
            assertThat(taken[0]).as("Arrow's default rounding").isGreaterThanOrEqualTo(256L << 10);
            assertThat(taken[1]).as("Kiln's rounding").isLessThan(body * 11 / 10);
        }
    }

    @Test
    void aFailedWriteStagesNothingAndReleasesWhatItCopied() throws Exception {
        GenerationCache cache = cache(builder());
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        GenerationWriter.Listener failing =
                new GenerationWriter.Listener() {
                    @Override
                    public void pageWritten(int page, VectorSchemaRoot rows, ByteRange block) {
                        handover.pageWritten(page, rows, block);
                        if (page == 3) {
                            assertThat(handover.copiedPages()).isEqualTo(4);
                            assertThat(cache.writeThroughBytes()).isPositive();
                            throw new IllegalStateException("injected");
                        }
                    }

                    @Override
                    public void written(long fileLength, byte[] tail) {
                        handover.written(fileLength, tail);
                    }

                    @Override
                    public void failed() {
                        handover.failed();
                    }
                };

        assertThatThrownBy(
                        () ->
                                TestGenerations.write(
                                        gen, 0, ROWS, 7, allocator, failing, TestGenerations::name))
                .hasMessageContaining("injected");

        assertThat(handover.checksum()).isEqualTo(GenerationFile.NO_CHECKSUM);
        assertThat(cache.writeThroughFiles()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
        assertThat(cache.pageAllocator().getAllocatedMemory()).isZero();
    }

    @Test
    void anEntryNotTakenInTimeIsDroppedAndTheWarmReads() throws Exception {
        GenerationCache cache = cache(builder().writeThroughTimeToLive(Duration.ofNanos(1)));
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);

        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.requests(gen)).isPositive();
        assertThat(cache.writeThroughFiles()).isZero();
        assertThat(cache.writeThroughBytes()).isZero();
    }

    @Test
    void offStagesTheFooterOnly() throws Exception {
        GenerationCache cache = cache(builder().writeThrough(false));
        Path gen = path("gen-1");
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        assertThat(cache.writeThroughBytes()).isZero();

        GenerationFile file = TestGenerations.fileOf(gen).withChecksum(handover.checksum());
        assertThat(warm(cache, file)).isEqualTo(WarmOutcome.WARMED);

        assertThat(io.lengthRequests(gen)).isZero();
        assertThat(io.requests(gen)).isPositive();
        assertThat(cache.warmStorageReads()).isEqualTo(io.requests(gen));
        assertAnswers(cache, gen, TestGenerations::name);
    }

    @Test
    void closingWithEntriesStagedReleasesThem() throws Exception {
        GenerationCache cache = cache(builder());
        for (int g = 0; g < 3; g++) {
            Path gen = path("gen-" + g);
            TestGenerations.write(
                    gen, 0, ROWS, 7, allocator, cache.handover(gen), TestGenerations::name);
        }
        assertThat(cache.writeThroughFiles()).isEqualTo(3);

        cache.closeAsync().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

        assertThat(cache.writeThroughBytes()).isZero();
        // A handover after the close stages nothing.
        Path late = path("late");
        TestGenerations.write(
                late, 0, ROWS, 7, allocator, cache.handover(late), TestGenerations::name);
        assertThat(cache.writeThroughFiles()).isZero();
    }

    // ------------------------------------------------------------------------------------------

    private GenerationCache.Builder builder() {
        return GenerationCache.builder(io, allocator).warmOnOpen(false);
    }

    private GenerationCache cache(GenerationCache.Builder builder) {
        GenerationCache cache = builder.build();
        caches.add(cache);
        return cache;
    }

    /** Writes a generation at {@code gen}, handing it over to {@code cache}; returns its file. */
    private GenerationFile handOver(GenerationCache cache, Path gen) throws Exception {
        Handover handover = cache.handover(gen);
        TestGenerations.write(gen, 0, ROWS, 7, allocator, handover, TestGenerations::name);
        return TestGenerations.fileOf(gen).withChecksum(handover.checksum());
    }

    /** The Arrow memory the pages of a generation these tests write take when staged. */
    private long stagedBytesOfOneFile() throws Exception {
        GenerationCache probe = cache(builder());
        Path gen = path("probe-staged");
        TestGenerations.write(
                gen, 0, ROWS, 7, allocator, probe.handover(gen), TestGenerations::name);
        long bytes = probe.writeThroughBytes();
        probe.evictPaths(Set.of(gen)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        return bytes;
    }

    /** The footer bytes of the generations these tests write, as the tier weighs them. */
    private long footerBytes() throws Exception {
        Path probe = path("probe");
        if (!probe.getFileSystem().exists(probe)) {
            TestGenerations.write(probe, 0, ROWS, 7, allocator);
        }
        try (BufferAllocator own = new RootAllocator();
                GenerationCache reader =
                        GenerationCache.builder(RangeReader.onFileSystem(ioPool), own).build()) {
            return OpenGenerations.footerBytes(
                    reader.open(probe).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        }
    }

    private Path path(String name) {
        return new Path(dir.resolve(name).toUri());
    }

    private static WarmOutcome warm(GenerationCache cache, GenerationFile file) throws Exception {
        return cache.warmGate().warm(file).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Looks every key up and checks its answer against what was written. */
    private static void assertAnswers(GenerationCache cache, Path gen, LongFunction<String> names)
            throws Exception {
        List<byte[]> keys = new ArrayList<>();
        for (long id = 0; id < ROWS; id++) {
            keys.add(TestGenerations.key(id));
        }
        List<LookupResult> answers =
                cache.lookupAll(gen, keys).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        for (int id = 0; id < ROWS; id++) {
            LookupResult answer = answers.get(id);
            if (id % 7 == 0) {
                assertThat(answer.status()).as("key %s", id).isEqualTo(LookupResult.Status.DELETED);
            } else {
                assertThat(answer.values().get(1).toString()).isEqualTo(names.apply(id));
            }
        }
    }
}
