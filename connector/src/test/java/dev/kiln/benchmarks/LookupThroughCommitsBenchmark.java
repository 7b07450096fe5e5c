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

import dev.kiln.flink.lookup.LookupEngine;
import dev.kiln.flink.lookup.SnapshotFollower;
import dev.kiln.format.LookupResult;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Lookup latency through commits: one caller looks random keys up through the lookup path ({@link
 * LookupEngine}) while, in {@code commits} mode, a committer rewrites every key every {@value
 * #COMMIT_EVERY_MS} ms (so each version's generations are new to the reader) and the follower polls
 * every {@value #POLL_MS} ms; {@code steady} has no commits. Storage requests carry an injected
 * latency. Compare the p99 of {@code commits} to that of {@code steady}, with warm before swap on
 * and off; the tear-down prints cold reads per lookup, which are exact.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class LookupThroughCommitsBenchmark {

    static final int KEYS = 20_000;
    static final long COMMIT_EVERY_MS = 250;
    static final long POLL_MS = 20;

    @Param({"true", "false"})
    public boolean warmBeforeSwap;

    @Param({"steady", "commits"})
    public String load;

    @Param("2")
    public long storageLatencyMillis;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private ExecutorService io;
    private ScheduledExecutorService committer;
    private GenerationCache cache;
    private SnapshotFollower follower;
    private LookupEngine engine;
    private byte[][] keys;
    private int next;
    private final AtomicLong version = new AtomicLong();
    private final LookupEngine.Metrics metrics = new LookupEngine.Metrics();

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-commits-bench");
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(16);
        LookupTable table = new LookupTable(dir, 4, KEYS, allocator);
        table.rewrite(version.incrementAndGet());
        InstrumentedRangeReader storage =
                InstrumentedRangeReader.wrap(RangeReader.onFileSystem(io))
                        .latency(Duration.ofMillis(storageLatencyMillis));
        cache = GenerationCache.builder(storage, allocator).build();
        follower =
                new SnapshotFollower(
                        table.table,
                        SnapshotFollower.VersionSource.of(table.table),
                        cache,
                        cache.warmGate(),
                        b -> true,
                        warmBeforeSwap,
                        Duration.ofSeconds(10));
        follower.initialize();
        if (!warmBeforeSwap) {
            // The first version warm in both modes: only what commits bring differs.
            table.table
                    .latestManifest()
                    .generations()
                    .forEach(
                            ref ->
                                    cache.warmGate()
                                            .warm(dev.kiln.warm.GenerationFile.of(table.table, ref))
                                            .join());
        }
        follower.start(Duration.ofMillis(POLL_MS));
        engine =
                new LookupEngine(
                        table.table, cache, follower, b -> true, 128, Duration.ZERO, metrics);
        keys = new byte[KEYS][];
        for (int id = 0; id < KEYS; id++) {
            keys[id] = table.key(id);
        }
        committer = Executors.newSingleThreadScheduledExecutor();
        if (load.equals("commits")) {
            committer.scheduleWithFixedDelay(
                    () -> {
                        try {
                            table.rewrite(version.incrementAndGet());
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    },
                    COMMIT_EVERY_MS,
                    COMMIT_EVERY_MS,
                    TimeUnit.MILLISECONDS);
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        committer.shutdownNow();
        committer.awaitTermination(1, TimeUnit.MINUTES);
        System.out.printf(
                "%n  versions %d, swaps %d, lookups %,d, cold reads %,d (%.5f per lookup),"
                        + " cold generations %d%n",
                version.get(),
                follower.swaps(),
                metrics.lookups(),
                metrics.coldReads(),
                metrics.coldReads() / (double) Math.max(1, metrics.lookups()),
                follower.coldGenerations());
        engine.close();
        follower.close();
        cache.close();
        io.shutdownNow();
        allocator.close();
        GenerationFixture.deleteRecursively(dir);
    }

    @Benchmark
    public LookupResult lookup() {
        int k = next;
        next = k + 1 == KEYS ? 0 : k + 1;
        return engine.lookup(keys[(k * 7919) % KEYS]).join();
    }
}
