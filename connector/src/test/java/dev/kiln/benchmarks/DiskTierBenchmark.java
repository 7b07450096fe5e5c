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
import dev.kiln.io.KilnThreads;
import dev.kiln.io.RangeReader;
import dev.kiln.s3.FaultProxy;
import dev.kiln.s3.S3Loopback;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.DiskTierStats;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A table ten times the page-cache bound on {@code s3://} (Flink's S3 file system against S3Proxy
 * on loopback, every GET and HEAD delayed by {@link #LATENCY} in {@link FaultProxy}), looked up
 * with skewed keys, with and without the local-disk tier: storage requests per 1,000 lookups and
 * lookup p50/p99, right after a warm (as after a commit) and in steady state. One run, printed; not
 * JMH (the counts are exact, the times single-shot). See docs/benchmarks.md.
 */
public final class DiskTierBenchmark {

    private static final int ROWS = 560_000;
    private static final long PAGE_BYTES = 4L << 20;

    /** The disk tier's bounds: 0 (none), one that holds the table, one of 40% of it. */
    private static final long[] DISK_BYTES = {0, 128L << 20, 16L << 20};

    private static final Duration LATENCY = Duration.ofMillis(20);

    /** Lookups in flight at once (each one key). */
    private static final int CONCURRENCY = 16;

    private static final int AFTER_WARM = 1_000;
    private static final int STEADY = 3_000;

    public static void main(String[] args) throws Exception {
        S3Loopback s3 = new S3Loopback(32);
        s3.beforeAll(null);
        try {
            run(s3);
        } finally {
            s3.afterAll(null);
            System.exit(0);
        }
    }

    private static void run(S3Loopback s3) throws Exception {
        FaultProxy proxy = s3.proxy();
        ExecutorService io = Executors.newFixedThreadPool(32, KilnThreads.factory("bench-io"));
        KeyCodec codec = GenerationFixture.codec();
        java.nio.file.Path disk = Files.createTempDirectory("kiln-disk-bench");
        try (BufferAllocator allocator = new RootAllocator()) {
            KilnTable table =
                    KilnTable.create(
                            s3.root("bench"),
                            TableOptions.builder(GenerationFixture.SCHEMA, List.of("id")).build());
            String relative = table.newGenerationPath(0);
            GenerationStats stats =
                    GenerationFixture.write(table.resolve(relative), ROWS, allocator);
            GenerationRef ref = GenerationRef.of(relative, 0, stats);
            table.commit(new Commit("bench", 1, List.of(ref), List.of()));
            Path path = table.resolve(ref.path());
            System.out.printf(
                    "table: %d rows, %d bytes (%.1fx cache.page-bytes %d); %d ms per GET/HEAD;"
                            + " %d lookups in flight, keys skewed (id = rows * u^3)%n",
                    ROWS,
                    ref.sizeBytes(),
                    (double) ref.sizeBytes() / PAGE_BYTES,
                    PAGE_BYTES,
                    LATENCY.toMillis(),
                    CONCURRENCY);
            proxy.delay(r -> r.isGet() || r.isHead(), Integer.MAX_VALUE, LATENCY);

            for (long diskBytes : DISK_BYTES) {
                boolean tiered = diskBytes > 0;
                GenerationCache.Builder builder =
                        GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                                .maximumPageBytes(PAGE_BYTES)
                                .warmOnOpen(false);
                if (tiered) {
                    builder.diskTier(disk, diskBytes, io);
                }
                try (GenerationCache cache = builder.build()) {
                    Random random = new Random(42);
                    long start = System.nanoTime();
                    proxy.clear();
                    cache.warmGate().warm(new GenerationFile(path, ref.sizeBytes())).join();
                    System.out.printf(
                            "%n%s: warm %.0f ms, %d requests%n",
                            tiered ? "memory + disk tier (" + diskBytes + " bytes)" : "memory only",
                            (System.nanoTime() - start) / 1e6,
                            proxy.requests().size());
                    measure(
                            "first lookups after the warm",
                            cache,
                            path,
                            ref,
                            codec,
                            random,
                            proxy,
                            AFTER_WARM);
                    measure("steady state", cache, path, ref, codec, random, proxy, STEADY);
                    if (tiered) {
                        DiskTierStats disk1 = cache.diskStats();
                        System.out.println("  disk tier: " + disk1);
                    }
                }
            }
            proxy.clearFaults();
        } finally {
            io.shutdownNow();
            GenerationFixture.deleteRecursively(disk);
        }
    }

    private static void measure(
            String phase,
            GenerationCache cache,
            Path path,
            GenerationRef ref,
            KeyCodec codec,
            Random random,
            FaultProxy proxy,
            int lookups) {
        proxy.clear();
        long[] micros = new long[lookups];
        for (int done = 0; done < lookups; done += CONCURRENCY) {
            int wave = Math.min(CONCURRENCY, lookups - done);
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (int i = 0; i < wave; i++) {
                long id = (long) (ROWS * Math.pow(random.nextDouble(), 3));
                int slot = done + i;
                long start = System.nanoTime();
                inFlight.add(
                        cache.lookupAll(path, ref.sizeBytes(), List.of(codec.encode(id)))
                                .thenAccept(
                                        result -> {
                                            if (result.get(0).values().get(0).equals(id)) {
                                                micros[slot] = (System.nanoTime() - start) / 1_000;
                                            } else {
                                                throw new IllegalStateException("wrong answer");
                                            }
                                        }));
            }
            CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
        }
        Arrays.sort(micros);
        System.out.printf(
                "  %s: %d lookups, %.1f storage requests per 1,000 lookups, p50 %.2f ms,"
                        + " p99 %.2f ms%n",
                phase,
                lookups,
                proxy.requests().size() * 1000.0 / lookups,
                micros[lookups / 2] / 1000.0,
                micros[lookups * 99 / 100] / 1000.0);
    }
}
