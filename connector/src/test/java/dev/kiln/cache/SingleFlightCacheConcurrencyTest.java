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

package dev.kiln.cache;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static dev.kiln.Latches.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Many threads issue overlapping batches and single gets at once; every distinct key must be loaded
 * exactly once, by exactly one caller, and every caller must see the loaded value.
 *
 * <p>Runs over a matrix of cache configurations (unbounded or byte-bounded, maintenance inline or
 * on the common pool) and of load timings: {@link Completion#HELD} keeps every load in flight until
 * all callers have issued all their requests (maximal overlap; every repeated request is a join),
 * {@link Completion#ASYNC} completes loads on another pool as soon as possible (loads finish while
 * other callers are still issuing).
 */
class SingleFlightCacheConcurrencyTest {

    private static final int ITERATIONS = 150;
    private static final int CALLERS = 8;
    private static final int REQUESTS_PER_CALLER = 24;
    private static final int KEY_SPACE = 48;
    private static final int MAX_BATCH = 12;

    enum Completion {
        HELD,
        ASYNC
    }

    private static ExecutorService callers;
    private static ExecutorService loadPool;
    private static ExecutorService callers16;

    @BeforeAll
    static void startPools() {
        callers = Executors.newFixedThreadPool(CALLERS);
        loadPool = Executors.newFixedThreadPool(4);
        callers16 = Executors.newFixedThreadPool(16);
    }

    @AfterAll
    static void stopPools() throws InterruptedException {
        callers.shutdownNow();
        loadPool.shutdownNow();
        callers16.shutdownNow();
        assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(loadPool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    static Stream<Arguments> matrix() {
        Map<String, Supplier<SingleFlightCache<Integer, String>>> caches = new HashMap<>();
        caches.put(
                "unbounded, inline maintenance",
                () -> SingleFlightCache.<Integer, String>builder().executor(Runnable::run).build());
        caches.put(
                "bounded, common-pool maintenance",
                () ->
                        SingleFlightCache.<Integer, String>builder()
                                .maximumBytes(1 << 20)
                                .weigher((k, v) -> v.length())
                                .executor(ForkJoinPool.commonPool())
                                .build());
        caches.put(
                "bounded, inline maintenance",
                () ->
                        SingleFlightCache.<Integer, String>builder()
                                .maximumBytes(1 << 20)
                                .weigher((k, v) -> v.length())
                                .executor(Runnable::run)
                                .build());
        List<Arguments> rows = new ArrayList<>();
        caches.forEach(
                (name, cache) -> {
                    for (Completion completion : Completion.values()) {
                        rows.add(Arguments.of(name, cache, completion));
                    }
                });
        return rows.stream();
    }

    @ParameterizedTest(name = "{0}, loads {2}")
    @MethodSource("matrix")
    void everyDistinctKeyIsLoadedExactlyOnce(
            String name,
            Supplier<SingleFlightCache<Integer, String>> newCache,
            Completion completion)
            throws Exception {
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            runRound(newCache.get(), completion, new Random(iteration));
        }
    }

    private void runRound(
            SingleFlightCache<Integer, String> cache, Completion completion, Random random)
            throws Exception {
        List<List<List<Integer>>> plans = new ArrayList<>();
        Set<Integer> distinct = new HashSet<>();
        int requested = 0;
        for (int c = 0; c < CALLERS; c++) {
            List<List<Integer>> plan = new ArrayList<>();
            for (int r = 0; r < REQUESTS_PER_CALLER; r++) {
                List<Integer> keys = randomKeys(random);
                plan.add(keys);
                distinct.addAll(keys);
                requested += keys.size();
            }
            plans.add(plan);
        }

        Map<Integer, AtomicInteger> loadsPerKey = new ConcurrentHashMap<>();
        AtomicInteger loaderCalls = new AtomicInteger();
        CompletableFuture<Void> release = new CompletableFuture<>();
        BatchLoader<Integer, String> batchLoader =
                keys -> {
                    loaderCalls.incrementAndGet();
                    keys.forEach(
                            k ->
                                    loadsPerKey
                                            .computeIfAbsent(k, x -> new AtomicInteger())
                                            .incrementAndGet());
                    return completion == Completion.HELD
                            ? release.thenApply(x -> SingleFlightCacheTest.values(keys))
                            : CompletableFuture.supplyAsync(
                                    () -> SingleFlightCacheTest.values(keys), loadPool);
                };
        Loader<Integer, String> loader =
                key -> batchLoader.loadAll(Set.of(key)).thenApply(values -> values.get(key));

        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch issued = new CountDownLatch(CALLERS);
        List<CompletableFuture<List<List<CachedValue<Integer, String>>>>> callersDone =
                new ArrayList<>();
        for (List<List<Integer>> plan : plans) {
            callersDone.add(
                    CompletableFuture.supplyAsync(
                                    () -> issue(cache, plan, batchLoader, loader, start, issued),
                                    callers)
                            .thenCompose(SingleFlightCacheConcurrencyTest::allOf));
        }
        start.countDown();
        assertThat(issued.await(30, TimeUnit.SECONDS)).isTrue();
        release.complete(null);

        Map<Integer, Integer> ownersPerKey = new HashMap<>();
        for (CompletableFuture<List<List<CachedValue<Integer, String>>>> done : callersDone) {
            for (List<CachedValue<Integer, String>> values : done.get(30, TimeUnit.SECONDS)) {
                for (CachedValue<Integer, String> value : values) {
                    assertThat(value.value()).isEqualTo(SingleFlightCacheTest.value(value.key()));
                    ownersPerKey.merge(value.key(), value.loaded() ? 1 : 0, Integer::sum);
                }
            }
        }

        assertThat(loadsPerKey.keySet()).isEqualTo(distinct);
        assertThat(loadsPerKey.values()).allSatisfy(n -> assertThat(n).hasValue(1));
        assertThat(ownersPerKey.keySet()).isEqualTo(distinct);
        assertThat(ownersPerKey.values()).containsOnly(1);

        CacheStats stats = cache.stats();
        assertThat(stats.missCount()).isEqualTo(distinct.size());
        assertThat(stats.requestCount()).isEqualTo(requested);
        assertThat(stats.loadCount()).isEqualTo(loaderCalls.get());
        assertThat(stats.loadFailureCount()).isZero();
        assertThat(stats.evictionCount()).isZero();
        if (completion == Completion.HELD) {
            assertThat(stats.hitCount()).isZero();
            assertThat(stats.joinCount()).isEqualTo(requested - distinct.size());
        }
    }

    /**
     * Issue 7, item 3: a loader that calls the cache for another key, from 16 threads asking for
     * the same 500 keys in different orders while Caffeine's table grows. Every call completes
     * (none hangs, none fails with "Recursive update"), and every key is loaded once.
     */
    @Test
    void loadersThatCallTheCacheForOtherKeysNeverHangOrFail() throws Exception {
        int threads = 16;
        int keys = 500;
        for (int iteration = 0; iteration < 20; iteration++) {
            SingleFlightCache<Integer, String> cache =
                    SingleFlightCache.<Integer, String>builder()
                            .maximumBytes(1 << 20)
                            .weigher((k, v) -> v.length())
                            .executor(ForkJoinPool.commonPool())
                            .build();
            Map<Integer, AtomicInteger> loadsPerKey = new ConcurrentHashMap<>();
            Loader<Integer, String> dependency =
                    key -> {
                        loadsPerKey
                                .computeIfAbsent(key, x -> new AtomicInteger())
                                .incrementAndGet();
                        return key % 2 == 0
                                ? CompletableFuture.completedFuture(
                                        SingleFlightCacheTest.value(key))
                                : CompletableFuture.supplyAsync(
                                        () -> SingleFlightCacheTest.value(key), loadPool);
                    };
            Loader<Integer, String> dependent =
                    key -> {
                        loadsPerKey
                                .computeIfAbsent(key, x -> new AtomicInteger())
                                .incrementAndGet();
                        return cache.getOrLoad(key + keys, dependency)
                                .thenApply(d -> "via " + d.value());
                    };
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<List<CachedValue<Integer, String>>>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Integer> order = new ArrayList<>();
                for (int k = 0; k < keys; k++) {
                    order.add(k);
                }
                Collections.shuffle(order, new Random(iteration * 31L + t));
                done.add(
                        CompletableFuture.supplyAsync(
                                        () -> {
                                            await(start);
                                            List<CompletableFuture<CachedValue<Integer, String>>>
                                                    requests = new ArrayList<>();
                                            for (int key : order) {
                                                requests.add(cache.getOrLoad(key, dependent));
                                            }
                                            return requests;
                                        },
                                        callers16)
                                .thenCompose(SingleFlightCacheConcurrencyTest::allOf));
            }
            start.countDown();
            for (CompletableFuture<List<CachedValue<Integer, String>>> caller : done) {
                for (CachedValue<Integer, String> value : caller.get(60, TimeUnit.SECONDS)) {
                    assertThat(value.value())
                            .isEqualTo("via " + SingleFlightCacheTest.value(value.key() + keys));
                }
            }
            assertThat(loadsPerKey).hasSize(2 * keys);
            assertThat(loadsPerKey.values()).allSatisfy(n -> assertThat(n).hasValue(1));
            assertThat(cache.stats().loadFailureCount()).isZero();
        }
    }

    private static List<CompletableFuture<List<CachedValue<Integer, String>>>> issue(
            SingleFlightCache<Integer, String> cache,
            List<List<Integer>> plan,
            BatchLoader<Integer, String> batchLoader,
            Loader<Integer, String> loader,
            CountDownLatch start,
            CountDownLatch issued) {
        await(start);
        List<CompletableFuture<List<CachedValue<Integer, String>>>> requests = new ArrayList<>();
        for (List<Integer> keys : plan) {
            requests.add(
                    keys.size() == 1
                            ? cache.getOrLoad(keys.get(0), loader).thenApply(List::of)
                            : cache.getOrLoadAll(keys, batchLoader));
        }
        issued.countDown();
        return requests;
    }

    private static <T> CompletableFuture<List<T>> allOf(List<CompletableFuture<T>> futures) {
        return CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]))
                .thenApply(x -> futures.stream().map(CompletableFuture::join).toList());
    }

    /** A third of the requests are single gets; the rest are batches of distinct keys. */
    private static List<Integer> randomKeys(Random random) {
        int size = random.nextInt(3) == 0 ? 1 : 2 + random.nextInt(MAX_BATCH - 1);
        Set<Integer> keys = new LinkedHashSet<>();
        while (keys.size() < size) {
            keys.add(random.nextInt(KEY_SPACE));
        }
        return new ArrayList<>(keys);
    }
}
