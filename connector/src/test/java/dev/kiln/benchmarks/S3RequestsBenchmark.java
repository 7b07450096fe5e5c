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
import dev.kiln.io.RangeCoalescer;
import dev.kiln.io.RangeReader;
import dev.kiln.s3.FaultProxy;
import dev.kiln.s3.FaultProxy.Request;
import dev.kiln.s3.S3Loopback;
import dev.kiln.table.Commit;
import dev.kiln.table.GenerationRef;
import dev.kiln.table.KilnTable;
import dev.kiln.table.TableOptions;
import dev.kiln.warm.GenerationCache;
import dev.kiln.warm.GenerationFile;
import dev.kiln.warm.WarmOutcome;

import org.apache.flink.core.fs.Path;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Storage requests per commit and per lookup on {@code s3://} (Flink's S3 file system against
 * S3Proxy on loopback, counted by {@link FaultProxy}), coalesced vs not, and the first lookup after
 * a commit, warmed vs cold, with latency injected on every request. One run, printed; not JMH (the
 * counts are exact, the times are single-shot medians). See docs/benchmarks.md.
 */
public final class S3RequestsBenchmark {

    private static final int ROWS = 50_000;
    private static final int ROUNDS = 7;
    private static final int KEYS_PER_BATCH = 64;
    private static final Duration LATENCY = Duration.ofMillis(20);

    public static void main(String[] args) throws Exception {
        S3Loopback s3 = new S3Loopback(16);
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
        ExecutorService io = Executors.newFixedThreadPool(16);
        Random random = new Random(42);
        KeyCodec codec = GenerationFixture.codec();
        try (BufferAllocator allocator = new RootAllocator()) {
            KilnTable table =
                    KilnTable.create(
                            s3.root("bench"),
                            TableOptions.builder(GenerationFixture.SCHEMA, List.of("id")).build());

            // Requests per commit of one generation.
            long commitRequests = 0;
            List<GenerationRef> refs = new ArrayList<>();
            for (int round = 1; round <= ROUNDS; round++) {
                String relative = table.newGenerationPath(0);
                GenerationStats stats =
                        GenerationFixture.write(table.resolve(relative), ROWS, allocator);
                GenerationRef ref = GenerationRef.of(relative, 0, stats);
                refs.add(ref);
                proxy.clear();
                table.commit(new Commit("bench", round, List.of(ref), List.of()));
                commitRequests += proxy.requests().size();
            }
            System.out.printf(
                    "generation: %d rows, %d bytes%ncommit of 1 generation: %.1f requests%n",
                    ROWS, refs.get(0).sizeBytes(), (double) commitRequests / ROUNDS);

            // Requests per cold batch of 64 random keys, coalesced vs one request per page.
            for (String mode : List.of("coalesced", "per page")) {
                RangeCoalescer coalescer =
                        mode.equals("coalesced")
                                ? RangeCoalescer.defaults()
                                : RangeCoalescer.of(0, 1);
                long gets = 0;
                long heads = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    GenerationRef ref = refs.get(round);
                    try (GenerationCache cache =
                            GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                                    .coalescer(coalescer)
                                    .warmOnOpen(false)
                                    .build()) {
                        Path path = table.resolve(ref.path());
                        cache.open(path, ref.sizeBytes()).join();
                        proxy.clear();
                        cache.lookupAll(path, ref.sizeBytes(), keys(codec, random)).join();
                        gets += proxy.count(Request::isGet);
                        heads += proxy.count(Request::isHead);
                    }
                }
                System.out.printf(
                        "batch of %d keys in an open generation, %s: %.1f GET + %.1f HEAD%n",
                        KEYS_PER_BATCH, mode, (double) gets / ROUNDS, (double) heads / ROUNDS);
            }

            // First lookup after a commit, warmed before it vs cold, with injected latency.
            proxy.delay(r -> r.isGet() || r.isHead(), Integer.MAX_VALUE, LATENCY);
            for (String mode : List.of("cold", "warmed")) {
                long[] micros = new long[ROUNDS];
                long requests = 0;
                for (int round = 0; round < ROUNDS; round++) {
                    GenerationRef ref = refs.get(round);
                    Path path = table.resolve(ref.path());
                    try (GenerationCache cache =
                            GenerationCache.builder(RangeReader.onFileSystem(io), allocator)
                                    .warmOnOpen(false)
                                    .build()) {
                        if (mode.equals("warmed")) {
                            WarmOutcome outcome =
                                    cache.warmGate()
                                            .warm(new GenerationFile(path, ref.sizeBytes()))
                                            .join();
                            if (outcome != WarmOutcome.WARMED) {
                                throw new IllegalStateException("warm: " + outcome);
                            }
                        }
                        List<byte[]> keys = keys(codec, random);
                        proxy.clear();
                        long start = System.nanoTime();
                        cache.lookupAll(path, ref.sizeBytes(), keys).join();
                        micros[round] = (System.nanoTime() - start) / 1_000;
                        requests += proxy.requests().size();
                    }
                }
                Arrays.sort(micros);
                System.out.printf(
                        "first batch of %d keys after a commit, %s, %d ms per request: median"
                                + " %.1f ms, %.1f requests%n",
                        KEYS_PER_BATCH,
                        mode,
                        LATENCY.toMillis(),
                        micros[ROUNDS / 2] / 1000.0,
                        (double) requests / ROUNDS);
            }
            proxy.clearFaults();
        } finally {
            io.shutdownNow();
        }
    }

    private static List<byte[]> keys(KeyCodec codec, Random random) {
        List<byte[]> keys = new ArrayList<>();
        random.ints(0, ROWS)
                .distinct()
                .limit(KEYS_PER_BATCH)
                .forEach(k -> keys.add(codec.encode((long) k)));
        return keys;
    }
}
