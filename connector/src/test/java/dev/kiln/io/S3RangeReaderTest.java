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

import dev.kiln.s3.FaultProxy;
import dev.kiln.s3.FaultProxy.Fault;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;

import org.apache.flink.core.fs.FileSystem.WriteMode;
import org.apache.flink.core.fs.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Range reads on {@code s3://} through Flink's S3 file system, counted on the wire: one ranged GET
 * (and the HEAD of the open) per requested or merged range, whatever its offset.
 */
class S3RangeReaderTest {

    private static final int IO_THREADS = 4;
    private static final int FILE_BYTES = 3 << 20;

    @RegisterExtension static final S3Loopback S3 = new S3Loopback(IO_THREADS);

    private static ExecutorService io;
    private static Path file;
    private static byte[] content;

    @BeforeAll
    static void writeFile() throws IOException {
        io = Executors.newFixedThreadPool(4 * IO_THREADS, r -> new Thread(r, "kiln-test-io"));
        content = RangeCoalescerTest.bytes(FILE_BYTES, 7);
        file = new Path(S3.root("io"), "g.arrow");
        try (OutputStream out = file.getFileSystem().create(file, WriteMode.NO_OVERWRITE)) {
            out.write(content);
        }
    }

    @AfterAll
    static void shutdown() {
        io.shutdownNow();
    }

    @BeforeEach
    void clear() {
        S3.proxy().clearFaults();
        S3.proxy().clear();
    }

    private static FaultProxy proxy() {
        return S3.proxy();
    }

    private static byte[] slice(long offset, long length) {
        return Arrays.copyOfRange(content, (int) offset, (int) (offset + length));
    }

    private static String rangeHeader(ByteRange range) {
        return "bytes=" + range.offset() + "-" + (range.offset() + range.length() - 1);
    }

    @Test
    void aRangeInsideTheFirstMebibyteIsOneGet() {
        // Flink's S3 stream turns a forward seek of at most 1 MiB into reading and discarding
        // the skipped bytes: GETs for bytes nobody asked for, one per small chunk without
        // readahead. A positioned read is one GET of exactly the range.
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        ByteRange range = ByteRange.of(600_000, 5_000);

        assertThat(reader.read(file, range).join()).isEqualTo(slice(600_000, 5_000));

        assertThat(proxy().requests().stream().filter(Request::isGet).map(Request::range))
                .containsExactly(rangeHeader(range));
        assertThat(proxy().count(Request::isHead)).isEqualTo(1);
        assertThat(reader.requests(file)).isEqualTo(1);
    }

    @Test
    void aRangeLongerThanTheInitialBufferIsStillOneGet() {
        // The buffer grows with the bytes that arrive (a range is never trusted to fit the file);
        // each growth step was a positioned read of its own, a GET each. The stream knows the
        // object's length from its open, so a range inside the file is read in one.
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        ByteRange range = ByteRange.of(100_000, (5 << 20) / 2);

        assertThat(reader.read(file, range).join())
                .isEqualTo(slice(range.offset(), range.length()));

        assertThat(proxy().requests().stream().filter(Request::isGet).map(Request::range))
                .containsExactly(rangeHeader(range));
    }

    @Test
    void eachRangeIsOneRangedGetOfExactlyItsBytes() {
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        List<ByteRange> ranges = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            ranges.add(ByteRange.of(i * 120_000L + i, 1_000 + i));
        }
        for (ByteRange range : ranges) {
            assertThat(reader.read(file, range).join())
                    .isEqualTo(slice(range.offset(), range.length()));
        }

        assertThat(proxy().requests().stream().filter(Request::isGet).map(Request::range))
                .containsExactlyElementsOf(
                        ranges.stream().map(S3RangeReaderTest::rangeHeader).toList());
        assertThat(proxy().count(Request::isHead)).isEqualTo(ranges.size());
        assertThat(reader.requests(file)).isEqualTo(ranges.size());
    }

    @Test
    void coalescedReadsAreOneGetPerMergedRange() {
        InstrumentedRangeReader reader = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io));
        List<ByteRange> pages = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            // groups of three nearby pages, far apart from the next group
            pages.add(ByteRange.of((i / 3) * 700_000L + (i % 3) * 20_000L, 8_000));
        }
        RangeCoalescer coalescer = RangeCoalescer.of(64 << 10, 32 << 20);
        RangeCoalescer.Plan plan = coalescer.plan(pages);
        assertThat(plan.merged()).hasSize(4);

        List<byte[]> read = coalescer.read(reader, file, pages).join();

        for (int i = 0; i < pages.size(); i++) {
            assertThat(read.get(i)).isEqualTo(slice(pages.get(i).offset(), 8_000));
        }
        assertThat(proxy().count(Request::isGet)).isEqualTo(plan.merged().size());
        assertThat(proxy().requests().stream().filter(Request::isGet).map(Request::range))
                .containsExactlyInAnyOrderElementsOf(
                        plan.merged().stream().map(S3RangeReaderTest::rangeHeader).toList());
        assertThat(reader.requests(file)).isEqualTo(plan.merged().size());
    }

    @Test
    void concurrentGetsAreBoundedByTheConnectionPool() {
        proxy().delay(Request::isGet, Integer.MAX_VALUE, Duration.ofMillis(50));
        RangeReader reader = RangeReader.onFileSystem(io);
        List<CompletableFuture<byte[]>> reads = new ArrayList<>();
        for (int i = 0; i < 4 * IO_THREADS; i++) {
            reads.add(reader.read(file, ByteRange.of(i * 150_000L, 4_000)));
        }
        for (int i = 0; i < reads.size(); i++) {
            assertThat(reads.get(i).join()).isEqualTo(slice(i * 150_000L, 4_000));
        }

        assertThat(proxy().count(Request::isGet)).isEqualTo(reads.size());
        assertThat(proxy().peakInDelay()).isLessThanOrEqualTo(S3.connections());
    }

    @Test
    void aThrottledGetIsRetriedByTheClient() {
        proxy().inject(Fault.SLOW_DOWN_503, Request::isGet, 1);
        RangeReader reader = RangeReader.onFileSystem(io);

        assertThat(reader.read(file, ByteRange.of(10, 1_000)).join()).isEqualTo(slice(10, 1_000));

        assertThat(proxy().injected()).isEqualTo(1);
        assertThat(proxy().count(Request::isGet)).isEqualTo(2);
    }

    @Test
    void aConnectionDroppedMidBodyIsResumedWithTheRightBytes() {
        proxy().dropMidBody(Request::isGet, 1, 500);
        RangeReader reader = RangeReader.onFileSystem(io);

        assertThat(reader.read(file, ByteRange.of(10, 100_000)).join())
                .isEqualTo(slice(10, 100_000));

        assertThat(proxy().injected()).isEqualTo(1);
        assertThat(proxy().count(Request::isGet)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void connectionsThatAlwaysDropFailTheReadWithAnIoException() {
        proxy().dropMidBody(Request::isGet, Integer.MAX_VALUE, 0);
        RangeReader reader = RangeReader.onFileSystem(io);

        assertThatThrownBy(() -> reader.read(file, ByteRange.of(10, 100_000)).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(IOException.class);
    }

    @Test
    void aRangePastTheEndIsAShortRead() {
        RangeReader reader = RangeReader.onFileSystem(io);

        assertThatThrownBy(() -> reader.read(file, ByteRange.of(FILE_BYTES - 100, 1_000)).join())
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOfSatisfying(
                        ShortReadException.class,
                        e -> {
                            assertThat(e.getMessage()).contains(file.toString());
                            assertThat(e.endOffset()).isEqualTo(FILE_BYTES);
                        });
        assertThatThrownBy(() -> reader.read(file, ByteRange.of(FILE_BYTES + 5L, 10)).join())
                .cause()
                .isInstanceOf(ShortReadException.class);
    }
}
