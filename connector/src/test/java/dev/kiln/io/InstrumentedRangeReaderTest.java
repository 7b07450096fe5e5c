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

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InstrumentedRangeReaderTest {

    private final ExecutorService io = Executors.newFixedThreadPool(4);

    @TempDir java.nio.file.Path dir;

    @AfterEach
    void shutdown() {
        io.shutdownNow();
    }

    private Path file(String name, byte[] content) throws Exception {
        java.nio.file.Path file = dir.resolve(name);
        Files.write(file, content);
        return new Path(file.toUri());
    }

    @Test
    void countsRequestsBytesAndLengthsPerFileExactly() throws Exception {
        Path a = file("a", RangeCoalescerTest.bytes(1000, 1));
        Path b = file("b", RangeCoalescerTest.bytes(1000, 2));
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));

        reader.read(a, ByteRange.of(0, 100)).join();
        reader.read(a, ByteRange.of(500, 50)).join();
        reader.read(b, ByteRange.of(10, 7)).join();
        reader.length(b).join();

        assertThat(reader.requests(a)).isEqualTo(2);
        assertThat(reader.bytesRead(a)).isEqualTo(150);
        assertThat(reader.lengthRequests(a)).isZero();
        assertThat(reader.requests(b)).isEqualTo(1);
        assertThat(reader.bytesRead(b)).isEqualTo(7);
        assertThat(reader.lengthRequests(b)).isEqualTo(1);
        assertThat(reader.ranges(a)).containsExactly(ByteRange.of(0, 100), ByteRange.of(500, 50));
        assertThat(reader.totalRequests()).isEqualTo(3);
        assertThat(reader.totalBytesRead()).isEqualTo(157);

        reader.resetCounters();
        assertThat(reader.totalRequests()).isZero();
        assertThat(reader.requests(a)).isZero();
    }

    @Test
    void aLongQueueOfRequestsThatFailAtOnceDrainsWithoutDeepeningTheStack() throws Exception {
        Path a = file("a", RangeCoalescerTest.bytes(1000, 1));
        RangeReader real = RangeReader.onFileSystem(io);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        RangeReader heldUntilGate =
                new RangeReader() {
                    @Override
                    public CompletableFuture<byte[]> read(Path path, ByteRange range) {
                        return gate.thenCompose(x -> real.read(path, range));
                    }

                    @Override
                    public CompletableFuture<Long> length(Path path) {
                        return real.length(path);
                    }
                };
        InstrumentedRangeReader reader =
                InstrumentedRangeReader.wrap(heldUntilGate).maxConcurrentRequests(1);
        CompletableFuture<byte[]> first = reader.read(a, ByteRange.of(0, 10));
        int queued = 20_000;
        reader.failNextReads(queued);
        List<CompletableFuture<byte[]>> failing = new ArrayList<>();
        for (int i = 0; i < queued; i++) {
            failing.add(reader.read(a, ByteRange.of(0, 10)));
        }

        // Each queued request fails at once as the one before it completes: with recursive
        // draining this overflowed the stack and left the rest incomplete.
        gate.complete(null);

        assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(10);
        for (CompletableFuture<byte[]> f : failing) {
            assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IOException.class);
        }
    }

    @Test
    void latencyDelaysEveryRequestWithoutBlockingTheCaller() throws Exception {
        Path a = file("a", RangeCoalescerTest.bytes(1000, 1));
        InstrumentedRangeReader reader =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io))
                        .latency(Duration.ofMillis(200));
        long start = System.nanoTime();
        CompletableFuture<byte[]> read = reader.read(a, ByteRange.of(0, 10));
        assertThat(read).isNotDone();
        read.join();
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(200));
    }

    @Test
    void concurrencyBoundQueuesRequestsBehindTheirLatency() throws Exception {
        Path a = file("a", RangeCoalescerTest.bytes(1000, 1));
        InstrumentedRangeReader reader =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io))
                        .latency(Duration.ofMillis(50))
                        .maxConcurrentRequests(1);
        long start = System.nanoTime();
        List<CompletableFuture<byte[]>> reads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            reads.add(reader.read(a, ByteRange.of(i * 10L, 10)));
        }
        CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
        // One slot: the four 50 ms latencies cannot overlap.
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(reader.requests(a)).isEqualTo(4);
        assertThatThrownBy(() -> reader.maxConcurrentRequests(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxConcurrentRequests");
    }

    @Test
    void injectsFailuresAndShortReadsForTheNextRequestsOnly() throws Exception {
        byte[] content = RangeCoalescerTest.bytes(1000, 1);
        Path a = file("a", content);
        InstrumentedRangeReader reader =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io)).failNextReads(1);

        assertThatThrownBy(() -> reader.read(a, ByteRange.of(0, 10)).join())
                .cause()
                .isInstanceOf(IOException.class)
                .hasMessageContaining("injected failure");
        assertThat(reader.read(a, ByteRange.of(0, 10)).join())
                .isEqualTo(Arrays.copyOf(content, 10));

        reader.truncateNextReads(1);
        assertThat(reader.read(a, ByteRange.of(0, 10)).join()).hasSize(5);
        assertThat(reader.read(a, ByteRange.of(0, 10)).join()).hasSize(10);
        assertThat(reader.requests(a)).isEqualTo(4);
        assertThat(reader.bytesRead(a)).isEqualTo(25);
    }
}
