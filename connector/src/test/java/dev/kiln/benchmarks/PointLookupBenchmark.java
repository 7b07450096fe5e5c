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
import dev.kiln.format.KeyCodec;
import dev.kiln.format.LookupResult;
import dev.kiln.format.Page;
import dev.kiln.io.RangeReader;

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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.file.Files;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Point lookups in an open generation (200,000 rows, 128 KiB pages): with the key's page already
 * decoded (what a warm page cache gives), decoded from its bytes each time (bytes cached, pages
 * not), and read from the local file system and decoded each time (a cold page).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PointLookupBenchmark {

    private static final int ROWS = 200_000;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private ExecutorService io;
    private Generation generation;
    private Page[] pages;
    private byte[][] pageBytes;
    private byte[][] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-bench-lookup");
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(4);
        Path path = new Path(dir.resolve("g.arrow").toUri());
        GenerationStats stats = GenerationFixture.write(path, ROWS, allocator);
        generation = Generation.open(RangeReader.onFileSystem(io), path, stats.fileBytes()).join();
        pages = new Page[generation.pageCount()];
        pageBytes = new byte[generation.pageCount()][];
        for (int p = 0; p < pages.length; p++) {
            pageBytes[p] = generation.readPage(p).join();
            pages[p] = generation.decodePage(p, pageBytes[p], allocator);
        }
        KeyCodec codec = generation.keyCodec();
        Random random = new Random(42);
        keys = new byte[4096][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = codec.encode((long) random.nextInt(ROWS));
        }
        System.out.println(
                "generation: " + stats + ", rows per page ~" + ROWS / generation.pageCount());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        for (Page page : pages) {
            page.close();
        }
        allocator.close();
        io.shutdownNow();
        GenerationFixture.deleteRecursively(dir);
    }

    private byte[] nextKey() {
        byte[] key = keys[next];
        next = (next + 1) & (keys.length - 1);
        return key;
    }

    @Benchmark
    public LookupResult pageCached() {
        byte[] key = nextKey();
        return pages[generation.pageOf(key)].lookup(key);
    }

    @Benchmark
    public LookupResult pageDecodedEachTime() throws Exception {
        byte[] key = nextKey();
        int p = generation.pageOf(key);
        try (Page page = generation.decodePage(p, pageBytes[p], allocator)) {
            return page.lookup(key);
        }
    }

    @Benchmark
    public LookupResult pageReadAndDecodedEachTime() {
        return generation.lookup(nextKey(), allocator).join();
    }
}
