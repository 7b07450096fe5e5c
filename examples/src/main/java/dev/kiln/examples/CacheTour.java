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

package dev.kiln.examples;

import dev.kiln.cache.CacheStats;
import dev.kiln.cache.SingleFlightCache;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import java.util.stream.LongStream;

/**
 * A tour of what Kiln has so far: many concurrent callers look up overlapping batches of page keys
 * through a {@link SingleFlightCache} backed by a slow "store", and the program reports how many
 * times each key was loaded (always once) next to the cache's counters.
 *
 * <p>Run it with {@code mvn -q -pl examples -am -DskipTests compile exec:exec
 * -Dexec.mainClass=dev.kiln.examples.CacheTour}. The end-to-end Flink job is {@link KilnJob}.
 */
public final class CacheTour {

    private static final int CALLERS = 16;
    private static final int BATCHES_PER_CALLER = 50;
    private static final int BATCH_SIZE = 32;
    private static final int STRIDE = 8;
    private static final long STORE_LATENCY_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private CacheTour() {}

    public static void main(String[] args) throws Exception {
        ExecutorService store = Executors.newFixedThreadPool(8);
        ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
        AtomicLong storeRequests = new AtomicLong();
        AtomicLong keysLoaded = new AtomicLong();
        AtomicLong cursor = new AtomicLong();
        SingleFlightCache<Long, byte[]> cache =
                SingleFlightCache.<Long, byte[]>builder()
                        .maximumBytes(64L << 20)
                        .weigher((key, page) -> page.length)
                        .build();
        try {
            long start = System.nanoTime();
            List<CompletableFuture<Void>> work = new ArrayList<>();
            for (int c = 0; c < CALLERS; c++) {
                work.add(
                        CompletableFuture.runAsync(
                                () -> {
                                    for (int i = 0; i < BATCHES_PER_CALLER; i++) {
                                        long first = cursor.getAndAdd(STRIDE);
                                        List<Long> keys =
                                                LongStream.range(first, first + BATCH_SIZE)
                                                        .boxed()
                                                        .collect(Collectors.toList());
                                        cache.getOrLoadAll(
                                                        keys,
                                                        missing -> {
                                                            storeRequests.incrementAndGet();
                                                            keysLoaded.addAndGet(missing.size());
                                                            return CompletableFuture.supplyAsync(
                                                                    () -> readPages(missing),
                                                                    store);
                                                        })
                                                .join();
                                    }
                                },
                                callers));
            }
            CompletableFuture.allOf(work.toArray(new CompletableFuture<?>[0])).join();
            long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            long distinctKeys = cursor.get() - STRIDE + BATCH_SIZE;
            CacheStats stats = cache.stats();
            byte[] sample = cache.getIfPresent(0L);
            System.out.printf(
                    "callers=%d batches=%d batchSize=%d elapsed=%dms%n",
                    CALLERS, CALLERS * BATCHES_PER_CALLER, BATCH_SIZE, elapsedMillis);
            System.out.printf(
                    "distinct keys=%d, keys loaded=%d (%.3f loads per key), store requests=%d%n",
                    distinctKeys,
                    keysLoaded.get(),
                    (double) keysLoaded.get() / distinctKeys,
                    storeRequests.get());
            System.out.printf(
                    "cache: hits=%d joins=%d misses=%d loads=%d failures=%d weight=%d bytes%n",
                    stats.hitCount(),
                    stats.joinCount(),
                    stats.missCount(),
                    stats.loadCount(),
                    stats.loadFailureCount(),
                    cache.weightedSizeBytes());
            System.out.printf(
                    "key 0 is %s%n",
                    sample == null ? "evicted" : "cached, " + sample.length + " bytes");
            if (keysLoaded.get() != distinctKeys) {
                throw new IllegalStateException("a key was loaded more than once");
            }
        } finally {
            callers.shutdownNow();
            store.shutdownNow();
        }
    }

    private static Map<Long, byte[]> readPages(Set<Long> keys) {
        LockSupport.parkNanos(STORE_LATENCY_NANOS);
        Map<Long, byte[]> pages = new HashMap<>();
        for (Long key : keys) {
            pages.put(key, new byte[1024]);
        }
        return pages;
    }
}
