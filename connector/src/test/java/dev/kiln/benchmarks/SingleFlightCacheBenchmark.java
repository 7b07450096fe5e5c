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

import dev.kiln.cache.BatchLoader;
import dev.kiln.cache.CachedValue;
import dev.kiln.cache.Loader;
import dev.kiln.cache.SingleFlightCache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The seed reviewer's question on one workload: is a batch get-or-load worth it over concurrent
 * single-key gets, and what does a cache without single-flight cost?
 *
 * <p>16 callers each ask for a window of {@code batchSize} consecutive keys; a shared cursor moves
 * each new window {@code stride} keys ahead, so every key is asked for by about {@code batchSize /
 * stride} callers, mostly at the same time, and most windows start cold. The store costs a fixed
 * latency per call plus a small CPU cost per key, served by {@code connections} threads (a storage
 * client's connection pool). Strategies:
 *
 * <ul>
 *   <li>{@code batch}: {@link SingleFlightCache#getOrLoadAll}, one store call per window;
 *   <li>{@code perKey}: {@link SingleFlightCache#getOrLoad} for every key of the window
 *       concurrently, one store call per missing key;
 *   <li>{@code naive}: a Caffeine cache used as get-present, load the missing keys in one store
 *       call, put (no single-flight).
 * </ul>
 *
 * <p>Throughput is windows per second. After each iteration the benchmark prints the loads per
 * distinct key (1.0 means no key was loaded twice) and the store calls per window.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(16)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SingleFlightCacheBenchmark {

    private static final int PAGE_BYTES = 64;

    @Param({"batch", "perKey", "naive"})
    public String strategy;

    @Param("32")
    public int batchSize;

    @Param("8")
    public int stride;

    @Param("1000")
    public long callLatencyMicros;

    @Param({"100", "2000"})
    public int perKeyCostTokens;

    @Param({"8", "64"})
    public int connections;

    private ExecutorService store;
    private final AtomicLong cursor = new AtomicLong();
    private final AtomicLong windows = new AtomicLong();
    private final LongAdder keysLoaded = new LongAdder();
    private final LongAdder storeCalls = new LongAdder();

    private SingleFlightCache<Long, byte[]> cache;
    private Cache<Long, byte[]> naive;
    private BatchLoader<Long, byte[]> batchLoader;
    private Loader<Long, byte[]> loader;

    @Setup(Level.Trial)
    public void startStore() {
        store = Executors.newFixedThreadPool(connections);
        batchLoader = this::read;
        loader = key -> read(Set.of(key)).thenApply(pages -> pages.get(key));
    }

    @Setup(Level.Iteration)
    public void newCaches() {
        cache =
                SingleFlightCache.<Long, byte[]>builder()
                        .maximumBytes(256L << 20)
                        .weigher((key, page) -> page.length)
                        .build();
        naive =
                Caffeine.newBuilder()
                        .maximumWeight(256L << 20)
                        .<Long, byte[]>weigher((key, page) -> page.length)
                        .build();
        cursor.set(0);
        windows.set(0);
        keysLoaded.reset();
        storeCalls.reset();
    }

    @TearDown(Level.Iteration)
    public void report() {
        long distinct = cursor.get() - stride + batchSize;
        System.out.printf(
                "%n# %s: loads per distinct key %.3f, store calls per window %.2f%n",
                strategy,
                (double) keysLoaded.sum() / distinct,
                (double) storeCalls.sum() / windows.get());
    }

    @TearDown(Level.Trial)
    public void stopStore() {
        store.shutdownNow();
    }

    @Benchmark
    public void lookupWindow(Blackhole bh) {
        long first = cursor.getAndAdd(stride);
        windows.incrementAndGet();
        List<Long> keys = new ArrayList<>(batchSize);
        for (long k = first; k < first + batchSize; k++) {
            keys.add(k);
        }
        switch (strategy) {
            case "batch":
                bh.consume(cache.getOrLoadAll(keys, batchLoader).join());
                break;
            case "perKey":
                List<CompletableFuture<CachedValue<Long, byte[]>>> each =
                        new ArrayList<>(batchSize);
                for (Long key : keys) {
                    each.add(cache.getOrLoad(key, loader));
                }
                CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).join();
                bh.consume(each);
                break;
            case "naive":
                Map<Long, byte[]> present = naive.getAllPresent(keys);
                if (present.size() < keys.size()) {
                    Set<Long> missing = new HashSet<>(keys);
                    missing.removeAll(present.keySet());
                    naive.putAll(read(missing).join());
                }
                bh.consume(present);
                break;
            default:
                throw new IllegalArgumentException("unknown strategy " + strategy);
        }
    }

    private CompletableFuture<Map<Long, byte[]>> read(Set<Long> keys) {
        storeCalls.increment();
        keysLoaded.add(keys.size());
        return CompletableFuture.supplyAsync(
                () -> {
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(callLatencyMicros));
                    Map<Long, byte[]> pages = new HashMap<>();
                    for (Long key : keys) {
                        Blackhole.consumeCPU(perKeyCostTokens);
                        pages.put(key, new byte[PAGE_BYTES]);
                    }
                    return pages;
                },
                store);
    }
}
