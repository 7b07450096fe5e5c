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

package dev.kiln.benchmarks;

import dev.kiln.format.Generation;
import dev.kiln.format.GenerationStats;
import dev.kiln.io.ByteRange;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.RootAllocator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Reading k missing pages of one generation (~24 MiB, ~190 pages of 128 KiB) through the
 * instrumented reader with 2 ms injected latency per request, coalesced (default limits: 1 MiB
 * holes, 32 MiB ranges) or one request per page. {@code maxRequests} bounds the requests in flight
 * (a connection pool); 256 is effectively unbounded. The k pages are drawn once per trial with a
 * fixed seed, so the number of merged requests is the same in every run (printed at setup).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CoalescedReadBenchmark {

    private static final int ROWS = 400_000;

    @Param({"8", "32"})
    public int k;

    @Param({"4", "256"})
    public int maxRequests;

    private java.nio.file.Path dir;
    private ExecutorService io;
    private Generation generation;
    private int[] pages;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-bench-coalesce");
        io = Executors.newFixedThreadPool(16);
        Path path = new Path(dir.resolve("g.arrow").toUri());
        GenerationStats stats;
        try (RootAllocator allocator = new RootAllocator()) {
            stats = GenerationFixture.write(path, ROWS, allocator);
        }
        InstrumentedRangeReader reader =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io))
                        .latency(Duration.ofMillis(2))
                        .maxConcurrentRequests(maxRequests);
        generation = Generation.open(reader, path, stats.fileBytes()).join();
        Random random = new Random(7);
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < k) {
            chosen.add(random.nextInt(generation.pageCount()));
        }
        pages = chosen.stream().mapToInt(Integer::intValue).toArray();
        List<ByteRange> ranges = new ArrayList<>();
        for (int p : pages) {
            ranges.add(generation.pageRange(p));
        }
        System.out.println(
                "generation: "
                        + stats
                        + "; k="
                        + k
                        + " pages -> "
                        + RangeCoalescer.defaults().plan(ranges).merged().size()
                        + " coalesced requests");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        io.shutdownNow();
        GenerationFixture.deleteRecursively(dir);
    }

    @Benchmark
    public List<byte[]> coalesced() {
        return generation.readPages(pages, RangeCoalescer.defaults()).join();
    }

    @Benchmark
    public List<byte[]> onePerPage() {
        List<CompletableFuture<byte[]>> reads = new ArrayList<>(pages.length);
        for (int p : pages) {
            reads.add(generation.readPage(p));
        }
        List<byte[]> bytes = new ArrayList<>(pages.length);
        for (CompletableFuture<byte[]> read : reads) {
            bytes.add(read.join());
        }
        return bytes;
    }
}
