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
import dev.kiln.format.GenerationWriter;
import dev.kiln.format.LookupResult;
import dev.kiln.format.PageCompression;
import dev.kiln.io.InstrumentedRangeReader;
import dev.kiln.io.RangeReader;
import dev.kiln.warm.GenerationCache;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VectorSchemaRoot;

import java.nio.file.Files;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The key filter's trade (issue 22 goal 6): bytes per row of a generation against what a cold
 * lookup of an absent key costs, per false-positive rate the filter is sized for. Writes the {@code
 * issue} rows of {@link CompressionBenchmark} (zstd(3)) once per rate, then looks up keys on a
 * freshly opened generation with no page cache, as a lookup of a key in a generation not cached
 * does: an absent key the filter rejects costs no read; one it lets through reads and decodes a
 * page. Prints bytes per row, storage reads and bytes read per lookup and microseconds per lookup
 * (best of the repetitions), for absent and for present keys; then for absent keys again through a
 * {@link GenerationCache} holding every page they touch (cached: reads and µs per lookup). Args:
 * {@code [rows] [rates] [lookups] [repetitions]} (default 1,000,000, {@code 0.01,0.03,0.1,0.3,0.9},
 * 20,000, 3).
 */
public final class KeyFilterBenchmark {

    private KeyFilterBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        String rates = args.length > 1 ? args[1] : "0.01,0.03,0.1,0.3,0.9";
        int lookups = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int reps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        java.nio.file.Path dir = Files.createTempDirectory("kiln-filter-bench");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (BufferAllocator allocator = new RootAllocator();
                VectorSchemaRoot memtable =
                        CompressionBenchmark.memtable(
                                "issue", CompressionBenchmark.SMALL, rows, allocator)) {
            BigIntVector ids = (BigIntVector) memtable.getVector("id");
            Set<Long> present = new HashSet<>();
            for (int r = 0; r < rows; r++) {
                present.add(ids.get(r));
            }
            long[] presentKeys = new long[lookups];
            long[] absentKeys = new long[lookups];
            java.util.Random random = new java.util.Random(7);
            for (int i = 0; i < lookups; i++) {
                presentKeys[i] = ids.get(random.nextInt(rows));
                long k;
                do {
                    k = random.nextInt(2 * rows);
                } while (present.contains(k));
                absentKeys[i] = k;
            }
            System.out.printf(
                    "issue rows: %,d, zstd(3), %,d lookups of each kind, cold (no page cache)%n"
                            + "%-8s %10s %8s %12s %14s %12s %12s %14s %14s %12s%n",
                    rows,
                    lookups,
                    "fpp",
                    "bytes/row",
                    "pages",
                    "absent: reads",
                    "KiB read/lookup",
                    "µs/lookup",
                    "present: µs",
                    "reads/lookup",
                    "cached: reads",
                    "cached µs");
            for (String rate : rates.split(",")) {
                double fpp = Double.parseDouble(rate);
                GenerationWriter writer =
                        GenerationWriter.builder(memtable.getSchema(), List.of("id"))
                                .compression(PageCompression.zstd(3))
                                .filterFalsePositiveRate(fpp)
                                .build();
                Path path = new Path(dir.resolve("fpp-" + rate + ".arrow").toUri());
                GenerationStats stats = writer.write(path, memtable, new BitSet(), allocator);
                InstrumentedRangeReader io =
                        InstrumentedRangeReader.wrap(RangeReader.onFileSystem(pool));
                Generation g = Generation.open(io, path, stats.fileBytes()).join();
                double[] absent = lookups(g, io, absentKeys, allocator, reps, false);
                double[] found = lookups(g, io, presentKeys, allocator, reps, true);
                double[] cached;
                try (GenerationCache cache =
                        GenerationCache.builder(io, allocator).maximumPageBytes(1L << 30).build()) {
                    cached = cachedLookups(cache, path, io, absentKeys, reps);
                }
                System.out.printf(
                        "%-8s %10.2f %8d %12.4f %14.2f %12.2f %12.2f %14.4f %14.4f %12.2f%n",
                        rate,
                        (double) stats.fileBytes() / rows,
                        g.pageCount(),
                        absent[0],
                        absent[1] / 1024,
                        absent[2],
                        found[2],
                        found[0],
                        cached[0],
                        cached[1]);
                Files.delete(java.nio.file.Path.of(path.toUri()));
            }
        } finally {
            pool.shutdownNow();
            GenerationFixture.deleteRecursively(dir);
        }
    }

    /**
     * Storage reads per lookup and the best µs per lookup of absent {@code keys} through {@code
     * cache}, after a first pass that loads every page they touch.
     */
    private static double[] cachedLookups(
            GenerationCache cache, Path path, InstrumentedRangeReader io, long[] keys, int reps) {
        Generation g = cache.open(path).join();
        byte[][] encoded = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            encoded[i] = g.keyCodec().encode(keys[i]);
        }
        double best = Double.MAX_VALUE;
        double reads = 0;
        for (int r = 0; r <= reps; r++) { // the first loads the pages
            io.resetCounters();
            long start = System.nanoTime();
            for (byte[] key : encoded) {
                if (cache.lookup(path, key).join().status() == LookupResult.Status.FOUND) {
                    throw new AssertionError("an absent key was found");
                }
            }
            double micros = (System.nanoTime() - start) / 1e3 / keys.length;
            reads = (double) io.totalRequests() / keys.length;
            if (r > 0) {
                best = Math.min(best, micros);
            }
        }
        return new double[] {reads, best};
    }

    /** Storage reads and bytes per lookup, and the best µs per lookup over the repetitions. */
    private static double[] lookups(
            Generation g,
            InstrumentedRangeReader io,
            long[] keys,
            BufferAllocator allocator,
            int reps,
            boolean present) {
        byte[][] encoded = new byte[keys.length][];
        for (int i = 0; i < keys.length; i++) {
            encoded[i] = g.keyCodec().encode(keys[i]);
        }
        double best = Double.MAX_VALUE;
        double reads = 0;
        double bytes = 0;
        for (int r = 0; r <= reps; r++) { // the first is a warm-up
            io.resetCounters();
            long start = System.nanoTime();
            for (byte[] key : encoded) {
                LookupResult result = g.lookup(key, allocator).join();
                if ((result.status() == LookupResult.Status.FOUND) != present) {
                    throw new AssertionError(
                            (present ? "a present" : "an absent") + " key: " + result);
                }
            }
            double micros = (System.nanoTime() - start) / 1e3 / keys.length;
            reads = (double) io.totalRequests() / keys.length;
            bytes = (double) io.totalBytesRead() / keys.length;
            if (r > 0) {
                best = Math.min(best, micros);
            }
        }
        return new double[] {reads, bytes, best};
    }
}
