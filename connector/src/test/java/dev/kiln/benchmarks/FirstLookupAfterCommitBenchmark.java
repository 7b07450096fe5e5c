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

import dev.kiln.format.GenerationStats;
import dev.kiln.format.KeyCodec;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
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
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The first lookup after a commit, with and without warm-before-commit: each measured invocation is
 * the first lookup of a random key in a generation that a fresh {@link GenerationCache} has either
 * never seen ({@code cold}) or has warmed ({@code warmed}, as the commit path does before it
 * publishes). Storage requests carry an injected latency; the benchmark also prints how many
 * storage requests the first lookups made, which is exact.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 20)
@Measurement(iterations = 200)
@Fork(1)
public class FirstLookupAfterCommitBenchmark {

    private static final int ROWS = 50_000;

    @Param({"cold", "warmed"})
    public String cache;

    @Param("5")
    public long storageLatencyMillis;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private ExecutorService ioPool;
    private InstrumentedRangeReader io;
    private Path path;
    private KeyCodec codec;
    private final Random random = new Random(42);

    private GenerationCache generations;
    private byte[] key;
    private long firstLookupRequests;
    private long lookups;
    private long fileBytes;

    @Setup(Level.Trial)
    public void writeGeneration() throws Exception {
        dir = Files.createTempDirectory("kiln-bench-first-lookup");
        allocator = new RootAllocator();
        ioPool = Executors.newFixedThreadPool(8);
        io = InstrumentedRangeReader.wrap(RangeReader.onFileSystem(ioPool));
        path = new Path(dir.resolve("g.arrow").toUri());
        GenerationStats stats = GenerationFixture.write(path, ROWS, allocator);
        fileBytes = stats.fileBytes();
        codec = GenerationFixture.codec();
        io.latency(Duration.ofMillis(storageLatencyMillis));
        System.out.println("generation: " + stats);
    }

    @Setup(Level.Iteration)
    public void commit() {
        generations =
                GenerationCache.builder(io, allocator)
                        .warmOnOpen(false)
                        .warmDeadline(Duration.ofMinutes(1))
                        .build();
        if (cache.equals("warmed")) {
            WarmOutcome outcome =
                    generations.warmGate().warm(new GenerationFile(path, fileBytes)).join();
            if (outcome != WarmOutcome.WARMED) {
                throw new IllegalStateException("warm did not complete: " + outcome);
            }
        }
        key = codec.encode((long) random.nextInt(ROWS));
        io.resetCounters();
    }

    @Benchmark
    public LookupResult firstLookup() {
        return generations.lookup(path, key).join();
    }

    @TearDown(Level.Iteration)
    public void release() {
        firstLookupRequests += io.totalRequests() + io.lengthRequests(path);
        lookups++;
        generations.close();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        System.out.printf(
                "%n# %s: storage requests per first lookup %.2f%n",
                cache, (double) firstLookupRequests / lookups);
        allocator.close();
        ioPool.shutdownNow();
        GenerationFixture.deleteRecursively(dir);
    }
}
