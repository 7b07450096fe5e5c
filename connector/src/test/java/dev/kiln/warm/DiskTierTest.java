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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        DiskTier tier = DiskTier.open(held, dir.resolve("disk"), maximumBytes, BLOCK, executor);
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
