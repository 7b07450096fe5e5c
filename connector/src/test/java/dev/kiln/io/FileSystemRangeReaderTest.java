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

package dev.kiln.io;

import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.FileNotFoundException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileSystemRangeReaderTest {

    private final ExecutorService io =
            Executors.newFixedThreadPool(2, r -> new Thread(r, "kiln-test-io"));

    @TempDir java.nio.file.Path dir;

    @AfterEach
    void shutdown() {
        io.shutdownNow();
    }

    private Path file(byte[] content) throws Exception {
        java.nio.file.Path file = dir.resolve("f.bin");
        Files.write(file, content);
        return new Path(file.toUri());
    }

    @Test
    void readsTheExactRangeAndTheLength() throws Exception {
        byte[] content = RangeCoalescerTest.bytes(10_000, 1);
        Path path = file(content);
        RangeReader reader = RangeReader.onFileSystem(io);

        assertThat(reader.read(path, ByteRange.of(1234, 4321)).join())
                .isEqualTo(Arrays.copyOfRange(content, 1234, 1234 + 4321));
        assertThat(reader.read(path, ByteRange.of(9_990, 10)).join())
                .isEqualTo(Arrays.copyOfRange(content, 9_990, 10_000));
        assertThat(reader.read(path, ByteRange.of(5, 0)).join()).isEmpty();
        assertThat(reader.length(path).join()).isEqualTo(10_000L);
    }

    @Test
    void runsOnTheIoExecutorAndNeverOnTheCaller() throws Exception {
        Path path = file(new byte[100]);
        CountDownLatch release = new CountDownLatch(1);
        io.execute(
                () -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        io.execute(
                () -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
        // Both I/O threads are busy: the read can only be queued, so it returns undone.
        CompletableFuture<byte[]> read =
                RangeReader.onFileSystem(io).read(path, ByteRange.of(0, 10));
        assertThat(read).isNotDone();
        AtomicReference<String> thread = new AtomicReference<>();
        CompletableFuture<Void> observed =
                read.thenRun(() -> thread.set(Thread.currentThread().getName()));
        release.countDown();
        observed.get(10, TimeUnit.SECONDS);
        assertThat(thread.get()).isEqualTo("kiln-test-io");
    }

    @Test
    void aRangePastTheEndFailsWithEofNamingThePath() throws Exception {
        Path path = file(new byte[100]);
        CompletableFuture<byte[]> read =
                RangeReader.onFileSystem(io).read(path, ByteRange.of(90, 20));
        assertThatThrownBy(read::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(EOFException.class)
                .hasMessageContaining(path.toString())
                .hasMessageContaining("100");
    }

    @Test
    void aHugeStatedLengthIsAShortReadNotAnOutOfMemoryError() throws Exception {
        Path path = file(new byte[100]);
        CompletableFuture<byte[]> read =
                RangeReader.onFileSystem(io).read(path, ByteRange.of(10, ByteRange.MAX_LENGTH));
        assertThatThrownBy(read::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(ShortReadException.class)
                .hasMessageContaining(path.toString());
        assertThat(((ShortReadException) catchCause(read)).endOffset()).isEqualTo(100);
    }

    @Test
    void aRangeLongerThanTheInitialBufferIsReadWhole() throws Exception {
        int size = 3 * FileSystemRangeReader.INITIAL_BUFFER_BYTES + 123;
        byte[] content = RangeCoalescerTest.bytes(size, 7);
        Path path = file(content);
        RangeReader reader = RangeReader.onFileSystem(io);
        assertThat(reader.read(path, ByteRange.of(5, size - 5)).join())
                .isEqualTo(Arrays.copyOfRange(content, 5, size));
        assertThat(
                        ((ShortReadException) catchCause(reader.read(path, ByteRange.of(5, size))))
                                .endOffset())
                .isEqualTo(size);
    }

    @Test
    void anOffsetNearLongMaxValueIsAShortRead() throws Exception {
        Path path = file(new byte[100]);
        RangeReader reader = RangeReader.onFileSystem(io);
        for (ByteRange range :
                new ByteRange[] {
                    ByteRange.of(Long.MAX_VALUE, 0),
                    ByteRange.of(Long.MAX_VALUE - 1, 1),
                    ByteRange.of(Long.MAX_VALUE - ByteRange.MAX_LENGTH, ByteRange.MAX_LENGTH),
                    ByteRange.of(1L << 40, 16)
                }) {
            assertThat(catchCause(reader.read(path, range)))
                    .as("read of %s", range)
                    .isInstanceOf(ShortReadException.class)
                    .hasMessageContaining(path.toString());
        }
        // The end of the file is a valid place for an empty range.
        assertThat(reader.read(path, ByteRange.of(100, 0)).join()).isEmpty();
    }

    private static Throwable catchCause(CompletableFuture<?> future) {
        try {
            future.join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the future to fail");
    }

    @Test
    void aMissingFileFails() {
        Path path = new Path(dir.resolve("missing.bin").toUri());
        assertThatThrownBy(() -> RangeReader.onFileSystem(io).read(path, ByteRange.of(0, 1)).join())
                .cause()
                .isInstanceOf(FileNotFoundException.class);
        assertThatThrownBy(() -> RangeReader.onFileSystem(io).length(path).join())
                .cause()
                .isInstanceOf(FileNotFoundException.class);
    }
}
