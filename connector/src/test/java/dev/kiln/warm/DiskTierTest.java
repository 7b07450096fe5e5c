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

import dev.kiln.io.ByteRange;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;
import org.apache.flink.testutils.logging.LoggerAuditingExtension;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link DiskTier} over real files read through an instrumented file-system reader: what it reads
 * from storage (exactly), what it keeps on disk, and how it survives damaged copies, a failing disk
 * and retirement.
 */
class DiskTierTest {

    private static final int BLOCK = 1000;
    private static final int FILE_BYTES = 20_500;

    @TempDir java.nio.file.Path dir;

    @RegisterExtension
    final LoggerAuditingExtension logs = new LoggerAuditingExtension(DiskTier.class, Level.WARN);

    private final ExecutorService ioPool =
            Executors.newFixedThreadPool(4, KilnThreads.factory("t"));
    private InstrumentedRangeReader storage;
    private HeldReader held;
    private byte[] content;
    private Path file;
    private final List<DiskTier> tiers = new ArrayList<>();

    @BeforeEach
    void writeFile() throws IOException {
        content = new byte[FILE_BYTES];
        new Random(7).nextBytes(content);
        java.nio.file.Path local = dir.resolve("data.bin");
        Files.write(local, content);
        file = new Path(local.toUri());
        storage = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(Runnable::run));
        held = new HeldReader(storage);
    }

    @AfterEach
    void close() {
        tiers.forEach(DiskTier::close);
        ioPool.shutdownNow();
    }

    private DiskTier tier(long maximumBytes) {
        return tier(maximumBytes, Runnable::run);
    }

    private DiskTier tier(long maximumBytes, java.util.concurrent.Executor executor) {
        return tier(maximumBytes, executor, DiskTier.CopyWriter.FILES);
    }

    private DiskTier tier(
            long maximumBytes, java.util.concurrent.Executor executor, DiskTier.CopyWriter writer) {
        DiskTier tier =
                DiskTier.open(held, dir.resolve("disk"), maximumBytes, BLOCK, executor, writer);
        assertThat(tier).isNotNull();
        tiers.add(tier);
        return tier;
    }

    private byte[] read(DiskTier tier, long offset, long length) throws Exception {
        return tier.read(file, FILE_BYTES, ByteRange.of(offset, length)).get(10, TimeUnit.SECONDS);
    }

    private byte[] expected(long offset, long length) {
        return Arrays.copyOfRange(content, (int) offset, (int) (offset + length));
    }

    private static long filesIn(java.nio.file.Path directory) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.list(directory)) {
            return files.count();
        }
    }

    private static long bytesIn(java.nio.file.Path directory) throws IOException {
        try (Stream<java.nio.file.Path> files = Files.list(directory)) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        }
    }

    @Test
    void aRangeIsReadFromStorageOnceAsOneRequestThenFromDisk() throws Exception {
        DiskTier tier = tier(1L << 20);

        assertThat(read(tier, 1500, 2700)).isEqualTo(expected(1500, 2700));
        // Blocks 1..4, one run: one request of exactly those blocks.
        assertThat(storage.ranges(file)).containsExactly(ByteRange.of(1000, 4000));
        assertThat(tier.copies()).isEqualTo(4);

        assertThat(read(tier, 1500, 2700)).isEqualTo(expected(1500, 2700));
        assertThat(read(tier, 2000, 10)).isEqualTo(expected(2000, 10));
        assertThat(storage.requests(file)).isEqualTo(1);
        assertThat(tier.hits()).isEqualTo(5);

        // Overlapping blocks 3..5: only block 5 goes to storage.
        assertThat(read(tier, 3900, 2100)).isEqualTo(expected(3900, 2100));
        assertThat(storage.ranges(file))
                .containsExactly(ByteRange.of(1000, 4000), ByteRange.of(5000, 1000));
        // The last block is short: bounded by the file's length.
        assertThat(read(tier, 20_000, 500)).isEqualTo(expected(20_000, 500));
        assertThat(storage.ranges(file)).last().isEqualTo(ByteRange.of(20_000, 500));
        assertThat(filesIn(tier.directory())).isEqualTo(6);
        assertThat(bytesIn(tier.directory())).isEqualTo(tier.bytes()).isEqualTo(5500);
    }

    @Test
    void theCopiesStayWithinTheByteBoundEvictingForRoomAndDeletingTheirFiles() throws Exception {
        DiskTier tier = tier(5 * BLOCK);
        for (int b = 0; b < 20; b++) {
            assertThat(read(tier, (long) b * BLOCK, BLOCK)).isEqualTo(expected(b * BLOCK, BLOCK));
            assertThat(tier.bytes()).isLessThanOrEqualTo(5 * BLOCK);
            assertThat(bytesIn(tier.directory())).isEqualTo(tier.bytes());
        }
        assertThat(tier.copies()).isEqualTo(20);
        assertThat(tier.evictions()).isEqualTo(20 - tier.blocks());
        assertThat(tier.evictions()).isGreaterThanOrEqualTo(15);
        assertThat(filesIn(tier.directory())).isEqualTo(tier.blocks());
        assertThat(storage.requests(file)).isEqualTo(20);
    }

    @Test
    void concurrentReadersOfOverlappingRangesReadEachBlockFromStorageOnce() throws Exception {
        DiskTier tier = tier(1L << 20, ioPool);
        storage = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        held = new HeldReader(storage);
        tier.close();
        tier = tier(1L << 20, ioPool);
        ExecutorService callers = Executors.newFixedThreadPool(8, KilnThreads.factory("caller"));
        try {
            Random random = new Random(11);
            for (int iteration = 0; iteration < 100; iteration++) {
                tier.invalidateAll(p -> true);
                storage.resetCounters();
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<Boolean>> answers = new ArrayList<>();
                boolean[] covered = new boolean[FILE_BYTES / BLOCK + 1];
                for (int c = 0; c < 8; c++) {
                    long offset = random.nextInt(FILE_BYTES - 1);
                    long length = 1 + random.nextInt((int) Math.min(6000, FILE_BYTES - offset));
                    for (long b = offset / BLOCK; b <= (offset + length - 1) / BLOCK; b++) {
                        covered[(int) b] = true;
                    }
                    DiskTier t = tier;
                    answers.add(
                            CompletableFuture.supplyAsync(
                                            () -> {
                                                await(start);
                                                return t.read(
                                                        file,
                                                        FILE_BYTES,
                                                        ByteRange.of(offset, length));
                                            },
                                            callers)
                                    .thenCompose(f -> f)
                                    .thenApply(
                                            bytes ->
                                                    Arrays.equals(
                                                            bytes, expected(offset, length))));
                }
                start.countDown();
                for (CompletableFuture<Boolean> answer : answers) {
                    assertThat(answer.get(10, TimeUnit.SECONDS)).isTrue();
                }
                // Each block covered was read from storage exactly once: the ranges read are
                // disjoint and add up to the blocks covered.
                long blockBytes = 0;
                for (int b = 0; b < covered.length; b++) {
                    if (covered[b]) {
                        blockBytes += Math.min(BLOCK, FILE_BYTES - (long) b * BLOCK);
                    }
                }
                List<ByteRange> ranges = new ArrayList<>(storage.ranges(file));
                ranges.sort(java.util.Comparator.comparingLong(ByteRange::offset));
                for (int i = 1; i < ranges.size(); i++) {
                    assertThat(ranges.get(i).offset())
                            .isGreaterThanOrEqualTo(ranges.get(i - 1).end());
                }
                assertThat(ranges.stream().mapToLong(ByteRange::length).sum())
                        .as("iteration %d", iteration)
                        .isEqualTo(blockBytes);
            }
        } finally {
            callers.shutdownNow();
        }
    }

    @Test
    void aCallerThatFindsABlockBeingCopiedWaitsForItInsteadOfReadingStorage() throws Exception {
        DiskTier tier = tier(1L << 20);
        HeldReader.Hold hold = held.holdRead(1);
        CompletableFuture<byte[]> first = tier.read(file, FILE_BYTES, ByteRange.of(0, 2500));
        hold.reached.get(10, TimeUnit.SECONDS);
        CompletableFuture<byte[]> second = tier.read(file, FILE_BYTES, ByteRange.of(1200, 100));
        CompletableFuture<byte[]> third = tier.read(file, FILE_BYTES, ByteRange.of(2100, 1500));
        assertThat(second).isNotDone();
        hold.release();
        assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(expected(0, 2500));
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(expected(1200, 100));
        assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(expected(2100, 1500));
        // Blocks 0..2 once (held), block 3 once (the third reader owned it).
        assertThat(storage.ranges(file))
                .containsExactlyInAnyOrder(ByteRange.of(0, 3000), ByteRange.of(3000, 1000));
    }

    @Test
    void aDamagedOrMissingCopyIsDroppedAndItsBlockReadFromStorage() throws Exception {
        DiskTier tier = tier(1L << 20);
        read(tier, 0, 3000);
        List<java.nio.file.Path> copies;
        try (Stream<java.nio.file.Path> files = Files.list(tier.directory())) {
            copies = files.sorted().toList();
        }
        assertThat(copies).hasSize(3);
        // A flipped byte (same length), a torn copy (short), a lost copy.
        flipByte(copies.get(0), 17);
        try (FileChannel torn = FileChannel.open(copies.get(1), StandardOpenOption.WRITE)) {
            torn.truncate(BLOCK / 2);
        }
        Files.delete(copies.get(2));
        storage.resetCounters();

        assertThat(read(tier, 0, 3000)).isEqualTo(expected(0, 3000));
        assertThat(tier.damagedCopies()).isEqualTo(3);
        assertThat(storage.requests(file)).isEqualTo(3);
        assertThat(tier.blocks()).isZero();

        // The next read copies them again; the one after reads the copies.
        assertThat(read(tier, 0, 3000)).isEqualTo(expected(0, 3000));
        assertThat(read(tier, 0, 3000)).isEqualTo(expected(0, 3000));
        assertThat(storage.requests(file)).isEqualTo(4);
        assertThat(tier.damagedCopies()).isEqualTo(3);
    }

    private static void flipByte(java.nio.file.Path copy, int at) throws IOException {
        byte[] bytes = Files.readAllBytes(copy);
        bytes[at] ^= 0x5A;
        Files.write(copy, bytes);
    }

    @Test
    void aFailingDiskDegradesToStorageForTheOwnerAndTheCallersThatJoinedIt() throws Exception {
        DiskTier tier = tier(1L << 20);
        HeldReader.Hold hold = held.holdRead(1);
        CompletableFuture<byte[]> owner = tier.read(file, FILE_BYTES, ByteRange.of(0, 2000));
        hold.reached.get(10, TimeUnit.SECONDS);
        CompletableFuture<byte[]> joiner = tier.read(file, FILE_BYTES, ByteRange.of(500, 1000));
        // The disk fails: the tier's folder is gone, so every copy fails to be written.
        Files.delete(tier.directory());
        hold.release();

        assertThat(owner.get(10, TimeUnit.SECONDS)).isEqualTo(expected(0, 2000));
        assertThat(joiner.get(10, TimeUnit.SECONDS)).isEqualTo(expected(500, 1000));
        assertThat(storage.requests(file)).isEqualTo(1);
        assertThat(tier.copyFailures()).isEqualTo(2);
        assertThat(tier.copies()).isZero();
        assertThat(tier.blocks()).as("a failed copy is not kept").isZero();

        // Still failing: every read is answered from storage.
        assertThat(read(tier, 0, 2000)).isEqualTo(expected(0, 2000));
        assertThat(storage.requests(file)).isEqualTo(2);
        assertThat(tier.copyFailures()).isEqualTo(4);
    }

    @Test
    void aCopyOnAFailingDiskKeepsNothing() throws Exception {
        DiskTier tier = tier(1L << 20);
        Files.delete(tier.directory());
        tier.copy(file, FILE_BYTES, ByteRange.of(0, 5000)).get(10, TimeUnit.SECONDS);
        assertThat(tier.copyFailures()).isEqualTo(5);
        assertThat(tier.blocks()).as("failed copies hold their bytes: none is kept").isZero();
        assertThat(storage.requests(file)).isEqualTo(1);
    }

    @Test
    void aStorageFailureFailsTheReadCachesNothingAndTheNextReadSucceeds() throws Exception {
        DiskTier tier = tier(1L << 20);
        storage.failNextReads(1);
        assertThatThrownBy(() -> read(tier, 0, 2000)).hasRootCauseInstanceOf(IOException.class);
        assertThat(tier.blocks()).isZero();
        assertThat(read(tier, 0, 2000)).isEqualTo(expected(0, 2000));
        assertThat(storage.requests(file)).isEqualTo(2);
    }

    @Test
    void retiringAPathDeletesItsCopiesAndThoseOfItsCopiesInFlight() throws Exception {
        DiskTier tier = tier(1L << 20);
        read(tier, 0, 5000);
        assertThat(filesIn(tier.directory())).isEqualTo(5);

        tier.invalidateAll(p -> p.equals(file.toString()));
        assertThat(filesIn(tier.directory())).isZero();
        assertThat(tier.bytes()).isZero();

        HeldReader.Hold hold = held.holdRead(1);
        CompletableFuture<byte[]> inFlight = tier.read(file, FILE_BYTES, ByteRange.of(0, 3000));
        hold.reached.get(10, TimeUnit.SECONDS);
        tier.invalidateAll(p -> true);
        hold.release();
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isEqualTo(expected(0, 3000));
        assertThat(filesIn(tier.directory())).as("copies written after retirement").isZero();
        assertThat(tier.blocks()).isZero();
    }

    @Test
    void aTierStartsCleanDeletingTheFoldersOfEndedProcessesButNotOfLiveTiers() throws Exception {
        DiskTier live = tier(1L << 20);
        read(live, 0, 3000);
        java.nio.file.Path root = dir.resolve("disk").resolve(DiskTier.ROOT_NAME);
        // What a TaskManager that died leaves: a folder with copies and an unlocked lock file.
        java.nio.file.Path stale = Files.createDirectory(root.resolve("stale"));
        Files.write(stale.resolve("1.blk"), new byte[10]);
        Files.write(root.resolve("stale.lock"), new byte[0]);
        java.nio.file.Path orphan = Files.createDirectory(root.resolve("orphan"));

        DiskTier next = tier(1L << 20);
        assertThat(stale).doesNotExist();
        assertThat(root.resolve("stale.lock")).doesNotExist();
        assertThat(orphan).doesNotExist();
        assertThat(filesIn(live.directory())).isEqualTo(3);
        assertThat(read(live, 0, 3000)).isEqualTo(expected(0, 3000));
        assertThat(storage.requests(file)).isEqualTo(1);

        next.close();
        live.close();
        assertThat(filesIn(root)).isZero();
        // Closed: reads go to storage.
        assertThat(read(live, 0, 3000)).isEqualTo(expected(0, 3000));
        assertThat(storage.requests(file)).isEqualTo(2);
    }

    @Test
    void aFullDiskLeavesNoTornCopyAnswersFromStorageAndLogsOnceAMinute() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        // Room for three blocks; the fourth copy is torn (400 bytes written), then refused.
        disk.capacity = 3 * BLOCK + 400;
        DiskTier tier = tier(1L << 20, Runnable::run, disk);
        int blocks = FILE_BYTES / BLOCK + 1;
        for (int pass = 1; pass <= 2; pass++) {
            for (int b = 0; b < blocks; b++) {
                long length = Math.min(BLOCK, FILE_BYTES - (long) b * BLOCK);
                assertThat(read(tier, (long) b * BLOCK, length))
                        .as("pass %d, block %d", pass, b)
                        .isEqualTo(expected((long) b * BLOCK, length));
            }
            assertThat(tier.copies()).isEqualTo(3);
            assertThat(tier.copyFailures()).isEqualTo(pass * (blocks - 3L));
            assertThat(storage.requests(file)).isEqualTo(blocks + (pass - 1) * (blocks - 3L));
        }
        assertThat(tier.hits()).as("the three copies, in the second pass").isEqualTo(3);
        assertThat(disk.refused.get()).isEqualTo(tier.copyFailures());
        // No torn copy left behind: the folder holds the three whole copies the tier counts.
        assertThat(filesIn(tier.directory())).isEqualTo(3).isEqualTo(tier.blocks());
        assertThat(bytesIn(tier.directory())).isEqualTo(tier.bytes()).isEqualTo(3 * BLOCK);
        assertThat(tier.damagedCopies()).isZero();
        // 36 failures, one warning (at most one a minute), naming the file and the disk's error.
        assertThat(logs.getEvents()).hasSize(1);
        assertThat(logs.getMessages().get(0))
                .contains("could not copy a block of " + file)
                .contains("(0 more since the last report)");
        assertThat(logs.getEvents().get(0).getThrown())
                .isInstanceOf(IOException.class)
                .hasMessage("No space left on device");

        // Room again: the blocks are copied at their next read, and read from disk after that.
        disk.capacity = Long.MAX_VALUE;
        storage.resetCounters();
        for (int pass = 1; pass <= 2; pass++) {
            assertThat(read(tier, 0, FILE_BYTES)).isEqualTo(expected(0, FILE_BYTES));
        }
        assertThat(storage.ranges(file))
                .as("one read, of the blocks not copied")
                .containsExactly(ByteRange.of(3 * BLOCK, FILE_BYTES - 3 * BLOCK));
        assertThat(tier.bytes()).isEqualTo(FILE_BYTES).isEqualTo(bytesIn(tier.directory()));
        assertThat(tier.copyFailures()).isEqualTo(2 * (blocks - 3L));
    }

    /**
     * A short read from storage (a faulty store or proxy) must not become a copy: the read fails as
     * it would without the tier, and the next read of the range is right. Were the short bytes
     * copied, the tier would answer that range with zeros after them until the copy is evicted.
     */
    @Test
    void aShortReadFromStorageIsNotCopied() throws Exception {
        DiskTier tier = tier(1L << 20);
        for (long length : new long[] {BLOCK, 3 * BLOCK}) {
            storage.truncateNextReads(1);
            assertThatThrownBy(() -> read(tier, 0, length))
                    .hasRootCauseInstanceOf(IOException.class)
                    .hasStackTraceContaining("short read");
            assertThat(tier.blocks()).isZero();
            assertThat(filesIn(tier.directory())).isZero();
            assertThat(read(tier, 0, length)).isEqualTo(expected(0, length));
            assertThat(read(tier, 0, length)).isEqualTo(expected(0, length));
            tier.invalidateAll(p -> true);
        }
        assertThat(tier.copyFailures()).isZero();
    }

    /**
     * A read whose blocks to load form two runs (the block between them is copied) and whose first
     * run's storage read fails fails as a whole; the copies its second run wrote are not kept, and
     * their files must not stay behind either, uncounted (the tier's bound would not hold).
     */
    @Test
    void aReadThatFailsInOneOfItsRunsLeavesNoCopyOfTheOthersBehind() throws Exception {
        DiskTier tier = tier(1L << 20);
        assertThat(read(tier, BLOCK, BLOCK)).isEqualTo(expected(BLOCK, BLOCK));
        storage.resetCounters();
        storage.failNextReads(1);
        assertThatThrownBy(() -> read(tier, 0, 3 * BLOCK))
                .hasRootCauseInstanceOf(IOException.class);
        assertThat(storage.ranges(file))
                .containsExactlyInAnyOrder(ByteRange.of(0, BLOCK), ByteRange.of(2 * BLOCK, BLOCK));
        assertThat(tier.blocks()).isOne();
        assertThat(filesIn(tier.directory())).isEqualTo(tier.blocks());
        assertThat(bytesIn(tier.directory())).isEqualTo(tier.bytes()).isEqualTo(BLOCK);

        assertThat(read(tier, 0, 3 * BLOCK)).isEqualTo(expected(0, 3 * BLOCK));
        assertThat(filesIn(tier.directory())).isEqualTo(3);
    }

    /**
     * A copy retired (or the tier closed) between a reader finding it and reading it, its file
     * deleted, is read from storage for that reader and counted as lost, not as damage. An eviction
     * takes the same path (the removal listener deletes the file either way); which copy Caffeine
     * evicts is not deterministic enough to aim at one.
     */
    @Test
    void aCopyDroppedWhileAReaderWaitsToReadItIsReadFromStorageAndNotCountedAsDamaged()
            throws Exception {
        java.util.concurrent.LinkedBlockingDeque<Runnable> diskTasks =
                new java.util.concurrent.LinkedBlockingDeque<>();
        DiskTier tier = tier(1L << 20, diskTasks::add);
        CompletableFuture<byte[]> copied = tier.read(file, FILE_BYTES, ByteRange.of(0, BLOCK));
        diskTasks.take().run(); // the write
        assertThat(copied.get(10, TimeUnit.SECONDS)).isEqualTo(expected(0, BLOCK));

        // Retired: the reader found the copy, its read is queued; retirement deletes the file.
        CompletableFuture<byte[]> retired = tier.read(file, FILE_BYTES, ByteRange.of(10, 100));
        tier.invalidateAll(p -> true);
        diskTasks.take().run();
        assertThat(retired.get(10, TimeUnit.SECONDS)).isEqualTo(expected(10, 100));
        assertThat(tier.lostToEviction()).isOne();

        // Closed likewise: the copy made again, found, then the tier closed before its read.
        CompletableFuture<byte[]> again = tier.read(file, FILE_BYTES, ByteRange.of(0, BLOCK));
        diskTasks.take().run();
        again.get(10, TimeUnit.SECONDS);
        CompletableFuture<byte[]> closing = tier.read(file, FILE_BYTES, ByteRange.of(500, 500));
        tier.close();
        diskTasks.take().run();
        assertThat(closing.get(10, TimeUnit.SECONDS)).isEqualTo(expected(500, 500));
        assertThat(tier.lostToEviction()).isEqualTo(2);

        assertThat(tier.damagedCopies()).isZero();
        assertThat(tier.hits()).isZero();
        assertThat(diskTasks).isEmpty();
        assertThat(tier.directory()).doesNotExist();
    }

    /**
     * A close while a copy is being written: the reader gets its bytes; the write finds the tier
     * closed (its folder gone), which is no disk failure (not counted, not logged), and nothing is
     * left on disk.
     */
    @Test
    void aCloseWhileACopyIsWrittenAnswersTheReaderAndLeavesNothing() throws Exception {
        FaultyDisk disk = new FaultyDisk();
        DiskTier tier = tier(1L << 20, ioPool, disk);
        HeldReader.Hold write = disk.holdNextWrite();
        CompletableFuture<byte[]> reading = tier.read(file, FILE_BYTES, ByteRange.of(0, 1500));
        write.reached.get(10, TimeUnit.SECONDS);
        tier.close();
        java.nio.file.Path root = dir.resolve("disk").resolve(DiskTier.ROOT_NAME);
        assertThat(filesIn(root)).isZero();
        write.release();
        assertThat(reading.get(10, TimeUnit.SECONDS)).isEqualTo(expected(0, 1500));
        assertThat(filesIn(root)).isZero();
        assertThat(tier.copyFailures()).isZero();
        assertThat(logs.getMessages()).isEmpty();
    }

    @Test
    void aTierThatCannotMakeItsFolderIsOff() throws Exception {
        java.nio.file.Path notADirectory = dir.resolve("file");
        Files.write(notADirectory, new byte[1]);
        assertThat(DiskTier.open(held, notADirectory, 1L << 20, BLOCK, Runnable::run)).isNull();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
