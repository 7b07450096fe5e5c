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

import dev.kiln.format.LookupResult;
import dev.kiln.io.RangeReader;
import dev.kiln.table.Commit;
import dev.kiln.table.CompactionPolicy;
import dev.kiln.table.Compactor;
import dev.kiln.table.GenerationLookup;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.Manifest;
import dev.kiln.table.Snapshot;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

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

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A table after many commits, compacted after each (as the sink's writers do at every checkpoint)
 * or never: point lookups of random keys through a warm {@link GenerationCache} and cold (straight
 * from storage, every candidate generation opened), sampled for percentiles. Storage and write
 * amplification, exact counters, are printed at setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class CompactionBenchmark {

    private static final Schema SCHEMA =
            new Schema(
                    List.of(
                            new Field(
                                    "id", FieldType.notNullable(new ArrowType.Int(64, true)), null),
                            new Field("name", FieldType.nullable(ArrowType.Utf8.INSTANCE), null)));

    private static final int KEYS = 20_000;
    private static final int ROWS_PER_COMMIT = 200;

    @Param({"1000"})
    public int commits;

    @Param({"true", "false"})
    public boolean compaction;

    private java.nio.file.Path dir;
    private BufferAllocator allocator;
    private ExecutorService io;
    private GenerationCache cache;
    private Snapshot cached;
    private Snapshot cold;
    private byte[][] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kiln-bench-compaction");
        allocator = new RootAllocator();
        io = Executors.newFixedThreadPool(4);
        RangeReader reader = RangeReader.onFileSystem(io);
        KilnTable table =
                KilnTable.create(
                        new Path(dir.resolve("t").toUri()),
                        TableOptions.builder(SCHEMA, List.of("id")).bucketCount(1).build());
        Compactor compactor =
                new Compactor(
                        table,
                        RangeReader.onFileSystem(Runnable::run),
                        allocator,
                        CompactionPolicy.defaults());
        Random random = new Random(7);
        long flushed = 0;
        long rewritten = 0;
        int maxLive = 0;
        long start = System.nanoTime();
        for (int c = 1; c <= commits; c++) {
            GenerationRef g = write(table, random, c);
            flushed += g.sizeBytes();
            table.commit(new Commit("writer", c, List.of(g), List.of()));
            if (compaction) {
                Optional<Manifest> published = compactor.compact("compactor", c);
                if (published.isPresent()) {
                    Manifest m = published.get();
                    for (GenerationRef live : m.generations()) {
                        if (live.path().equals(g.path())) {
                            continue;
                        }
                        if (!table.manifest(m.version() - 1).generations().contains(live)) {
                            rewritten += live.sizeBytes();
                        }
                    }
                }
            }
            maxLive = Math.max(maxLive, table.latestManifest().generations().size());
        }
        Manifest latest = table.latestManifest();
        long live = latest.generations().stream().mapToLong(GenerationRef::sizeBytes).sum();
        System.out.printf(
                "%n%d commits, compaction %s (built in %d s): %d live generations (at most %d);"
                        + " live bytes %d; bytes flushed %d, rewritten by compaction %d: write"
                        + " amplification %.2f%n",
                commits,
                compaction ? "on" : "off",
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
                latest.generations().size(),
                maxLive,
                live,
                flushed,
                rewritten,
                (double) (flushed + rewritten) / flushed);
        cache = GenerationCache.builder(reader, allocator).build();
        cached = table.snapshot(cache);
        cold = table.snapshot(GenerationLookup.direct(reader, allocator));
        keys = new byte[4096][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = table.options().keyCodec().encode((long) random.nextInt(KEYS));
        }
        for (byte[] key : keys) {
            cached.lookup(key).join();
        }
    }

    private GenerationRef write(KilnTable table, Random random, int commit) throws Exception {
        String path = table.newGenerationPath(0);
        java.util.TreeMap<Long, Boolean> rows = new java.util.TreeMap<>();
        for (int i = 0; i < ROWS_PER_COMMIT; i++) {
            rows.put((long) random.nextInt(KEYS), random.nextInt(5) == 0);
        }
        try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator)) {
            BigIntVector id = (BigIntVector) root.getVector("id");
            VarCharVector name = (VarCharVector) root.getVector("name");
            BitSet deletes = new BitSet();
            int row = 0;
            for (var e : rows.entrySet()) {
                id.setSafe(row, e.getKey());
                if (e.getValue()) {
                    deletes.set(row);
                    name.setNull(row);
                } else {
                    name.setSafe(
                            row,
                            ("value-" + commit + "-" + e.getKey())
                                    .getBytes(StandardCharsets.UTF_8));
                }
                row++;
            }
            root.setRowCount(row);
            return GenerationRef.of(
                    path,
                    0,
                    table.options()
                            .newWriter()
                            .write(table.resolve(path), root, deletes, allocator));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        cache.close();
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
    public LookupResult lookupWarm() {
        return cached.lookup(nextKey()).join();
    }

    @Benchmark
    public LookupResult lookupCold() {
        return cold.lookup(nextKey()).join();
    }
}
