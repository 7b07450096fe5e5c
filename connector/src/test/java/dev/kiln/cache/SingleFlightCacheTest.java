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

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Semantics of {@link SingleFlightCache} that one thread can drive: order, flags, errors, stats.
 */
class SingleFlightCacheTest {

    private final List<Set<Integer>> batchCalls = new CopyOnWriteArrayList<>();
    private final AtomicInteger singleCalls = new AtomicInteger();

    private final SingleFlightCache<Integer, String> cache =
            SingleFlightCache.<Integer, String>builder().executor(Runnable::run).build();

    private final BatchLoader<Integer, String> batchLoader =
            keys -> {
                batchCalls.add(keys);
                return CompletableFuture.completedFuture(values(keys));
            };

    private final Loader<Integer, String> loader =
            key -> {
                singleCalls.incrementAndGet();
                return CompletableFuture.completedFuture(value(key));
            };

    @Test
    void batchKeepsInputOrderAndFlagsTheKeysItLoaded() {
        cache.getOrLoad(3, loader).join();

        List<CachedValue<Integer, String>> result =
                cache.getOrLoadAll(List.of(5, 3, 9, 1), batchLoader).join();

        assertThat(result).extracting(CachedValue::key).containsExactly(5, 3, 9, 1);
        assertThat(result).extracting(CachedValue::value).containsExactly("v5", "v3", "v9", "v1");
        assertThat(result).extracting(CachedValue::loaded).containsExactly(true, false, true, true);
        assertThat(batchCalls).containsExactly(Set.of(5, 9, 1));
    }

    @Test
    void batchOfCachedKeysRunsNoLoader() {
        cache.getOrLoadAll(List.of(1, 2), batchLoader).join();

        List<CachedValue<Integer, String>> again =
                cache.getOrLoadAll(List.of(2, 1), batchLoader).join();

        assertThat(again).extracting(CachedValue::loaded).containsExactly(false, false);
        assertThat(batchCalls).hasSize(1);
        assertThat(cache.stats().hitCount()).isEqualTo(2);
        assertThat(cache.stats().missCount()).isEqualTo(2);
    }

    @Test
    void singleGetFlagsWhetherItLoaded() {
        CachedValue<Integer, String> first = cache.getOrLoad(7, loader).join();
        CachedValue<Integer, String> second = cache.getOrLoad(7, loader).join();

        assertThat(first).isEqualTo(new CachedValue<>(7, "v7", true));
        assertThat(second).isEqualTo(new CachedValue<>(7, "v7", false));
        assertThat(singleCalls).hasValue(1);
    }

    @Test
    void emptyBatchCompletesWithoutLoading() {
        assertThat(cache.getOrLoadAll(List.of(), batchLoader).join()).isEmpty();
        assertThat(batchCalls).isEmpty();
    }

    @Test
    void duplicateKeysAreRejectedBeforeAnythingIsLoaded() {
        assertThatThrownBy(() -> cache.getOrLoadAll(List.of(1, 2, 1), batchLoader))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate key in batch: 1");

        assertThat(batchCalls).isEmpty();
        assertThat(cache.estimatedSize()).isZero();
        assertThat(cache.stats().requestCount()).isZero();
    }

    @Test
    void nullArgumentsAreRejected() {
        assertThatThrownBy(() -> cache.getOrLoadAll(Arrays.asList(1, null), batchLoader))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.getOrLoadAll(null, batchLoader))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.getOrLoadAll(List.of(1), null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.getOrLoad(null, loader))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> cache.getOrLoad(1, null)).isInstanceOf(NullPointerException.class);
        assertThat(batchCalls).isEmpty();
        assertThat(singleCalls).hasValue(0);
        assertThat(cache.estimatedSize()).isZero();
    }

    @Test
    void resultMissingAnOwnedKeyFailsTheOwnedKeysAndCachesNothing() {
        CompletableFuture<List<CachedValue<Integer, String>>> result =
                cache.getOrLoadAll(
                        List.of(1, 2, 3),
                        keys -> CompletableFuture.completedFuture(Map.of(1, "v1", 2, "v2")));

        assertFailsWith(result, InvalidLoadResultException.class, "missing or null [3]");
        assertNothingCached(1, 2, 3);
        assertThat(cache.stats().loadFailureCount()).isEqualTo(1);
    }

    @Test
    void resultWithAnExtraKeyFailsTheOwnedKeysAndCachesNothing() {
        cache.getOrLoad(2, loader).join();

        CompletableFuture<List<CachedValue<Integer, String>>> result =
                cache.getOrLoadAll(
                        List.of(1, 2),
                        keys ->
                                CompletableFuture.completedFuture(
                                        Map.of(1, "v1", 2, "other", 99, "v99")));

        assertFailsWith(result, InvalidLoadResultException.class, "not requested [");
        assertThatThrownBy(result::join).hasMessageContaining("99").hasMessageContaining("2");
        assertNothingCached(1, 99);
        assertThat(cache.getIfPresent(2)).isEqualTo("v2");
    }

    @Test
    void resultWithANullValueCountsAsMissing() {
        Map<Integer, String> withNull = new HashMap<>();
        withNull.put(1, "v1");
        withNull.put(2, null);

        CompletableFuture<List<CachedValue<Integer, String>>> result =
                cache.getOrLoadAll(
                        List.of(1, 2), keys -> CompletableFuture.completedFuture(withNull));

        assertFailsWith(result, InvalidLoadResultException.class, "missing or null [2]");
        assertNothingCached(1, 2);
    }

    @Test
    void nullFuturesAndNullValuesBreakTheLoaderContract() {
        assertFailsWith(
                cache.getOrLoadAll(List.of(1), keys -> null),
                InvalidLoadResultException.class,
                "null future");
        assertFailsWith(
                cache.getOrLoadAll(List.of(1), keys -> CompletableFuture.completedFuture(null)),
                InvalidLoadResultException.class,
                "null map");
        assertFailsWith(cache.getOrLoad(1, key -> null), InvalidLoadResultException.class, "null");
        assertFailsWith(
                cache.getOrLoad(1, key -> CompletableFuture.completedFuture(null)),
                InvalidLoadResultException.class,
                "null value for key 1");
        assertNothingCached(1);
        assertThat(cache.getOrLoad(1, loader).join().loaded()).isTrue();
    }

    @Test
    void loaderThatThrowsFailsTheFutureAndALaterCallLoadsAgain() {
        IllegalStateException boom = new IllegalStateException("storage is down");

        assertFailsWith(
                cache.getOrLoadAll(
                        List.of(1, 2),
                        keys -> {
                            throw boom;
                        }),
                IllegalStateException.class,
                "storage is down");
        assertFailsWith(
                cache.getOrLoad(
                        3,
                        key -> {
                            throw boom;
                        }),
                IllegalStateException.class,
                "storage is down");
        assertNothingCached(1, 2, 3);

        assertThat(cache.getOrLoadAll(List.of(1, 2, 3), batchLoader).join())
                .extracting(CachedValue::loaded)
                .containsExactly(true, true, true);
        assertThat(batchCalls).containsExactly(Set.of(1, 2, 3));
    }

    @Test
    void ownerFailureFailsItsWaitersCachesNothingAndALaterCallRetries() {
        CompletableFuture<Map<Integer, String>> ownerLoad = new CompletableFuture<>();
        CompletableFuture<List<CachedValue<Integer, String>>> owner =
                cache.getOrLoadAll(List.of(1, 2, 3), keys -> ownerLoad);
        CompletableFuture<CachedValue<Integer, String>> singleWaiter = cache.getOrLoad(2, loader);
        CompletableFuture<List<CachedValue<Integer, String>>> batchWaiter =
                cache.getOrLoadAll(List.of(3, 4), batchLoader);

        assertThat(batchCalls).containsExactly(Set.of(4));
        assertThat(singleCalls).hasValue(0);
        assertThat(cache.stats().joinCount()).isEqualTo(2);

        RuntimeException failure = new RuntimeException("page read failed");
        ownerLoad.completeExceptionally(failure);

        for (CompletableFuture<?> f : List.of(owner, singleWaiter, batchWaiter)) {
            assertThatThrownBy(f::join)
                    .isInstanceOf(CompletionException.class)
                    .hasRootCause(failure);
        }
        assertNothingCached(1, 2, 3);
        assertThat(cache.getIfPresent(4)).isEqualTo("v4");

        assertThat(cache.getOrLoad(2, loader).join().loaded()).isTrue();
        assertThat(cache.getOrLoadAll(List.of(1, 2, 3), batchLoader).join())
                .extracting(CachedValue::loaded)
                .containsExactly(true, false, true);
        assertThat(batchCalls).containsExactly(Set.of(4), Set.of(1, 3));
        assertThat(singleCalls).hasValue(1);
    }

    @Test
    void statsCountHitsJoinsMissesLoadsAndFailures() {
        CompletableFuture<Map<Integer, String>> slow = new CompletableFuture<>();
        cache.getOrLoadAll(List.of(1, 2), keys -> slow);
        cache.getOrLoad(1, loader);
        cache.getOrLoadAll(List.of(2, 3), batchLoader);
        slow.complete(Map.of(1, "v1", 2, "v2"));
        cache.getOrLoad(3, loader).join();
        cache.getOrLoad(4, key -> CompletableFuture.failedFuture(new RuntimeException("x")));

        CacheStats stats = cache.stats();
        assertThat(stats.missCount()).isEqualTo(4);
        assertThat(stats.joinCount()).isEqualTo(2);
        assertThat(stats.hitCount()).isEqualTo(1);
        assertThat(stats.requestCount()).isEqualTo(7);
        assertThat(stats.loadCount()).isEqualTo(3);
        assertThat(stats.loadFailureCount()).isEqualTo(1);
        assertThat(stats.totalLoadTimeNanos()).isPositive();
    }

    @Test
    void putIfAbsentCachesOnlyWhenNeitherCachedNorInFlightAndIsWeighed() {
        CompletableFuture<String> slow = new CompletableFuture<>();
        CompletableFuture<CachedValue<Integer, String>> inFlight = cache.getOrLoad(1, k -> slow);

        assertThat(cache.putIfAbsent(1, "put")).as("key in flight").isFalse();
        assertThat(cache.putIfAbsent(2, "put")).isTrue();
        assertThat(cache.putIfAbsent(2, "again")).as("key cached").isFalse();
        slow.complete("loaded");

        assertThat(inFlight.join().value()).isEqualTo("loaded");
        assertThat(cache.getIfPresent(1)).isEqualTo("loaded");
        assertThat(cache.getIfPresent(2)).isEqualTo("put");
        CachedValue<Integer, String> hit = cache.getOrLoad(2, loader).join();
        assertThat(hit.loaded()).isFalse();
        assertThat(singleCalls).hasValue(0);
        assertThat(cache.stats().missCount()).isEqualTo(2);
        assertThat(cache.stats().loadCount()).isEqualTo(2);
        assertThat(cache.stats().hitCount()).isEqualTo(1);

        SingleFlightCache<Integer, byte[]> bounded = byteBoundedCache(100);
        assertThat(bounded.putIfAbsent(1, new byte[60])).isTrue();
        assertThat(bounded.putIfAbsent(2, new byte[60])).isTrue();
        assertThat(bounded.weightedSizeBytes()).isEqualTo(60);
        assertThat(bounded.stats().evictionCount()).isEqualTo(1);
        SingleFlightCache<Integer, byte[]> broken =
                SingleFlightCache.<Integer, byte[]>builder()
                        .maximumBytes(100)
                        .weigher((key, value) -> -1)
                        .executor(Runnable::run)
                        .build();
        assertThatThrownBy(() -> broken.putIfAbsent(1, new byte[1]))
                .isInstanceOf(InvalidLoadResultException.class);
        assertThat(broken.estimatedSize()).isZero();
    }

    @Test
    void evictsByWeightToStayUnderTheByteBound() {
        SingleFlightCache<Integer, byte[]> bounded = byteBoundedCache(100);
        List<Integer> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(i);
        }

        bounded.getOrLoadAll(
                        keys,
                        missing ->
                                CompletableFuture.completedFuture(
                                        missing.stream()
                                                .collect(
                                                        Collectors.toMap(
                                                                k -> k, k -> new byte[30]))))
                .join();

        assertThat(bounded.weightedSizeBytes()).isEqualTo(90);
        assertThat(bounded.estimatedSize()).isEqualTo(3);
        assertThat(bounded.stats().evictionCount()).isEqualTo(7);
        assertThat(bounded.stats().evictionWeightBytes()).isEqualTo(210);
    }

    @Test
    void valueHeavierThanTheBoundIsNotKept() {
        SingleFlightCache<Integer, byte[]> bounded = byteBoundedCache(100);

        CachedValue<Integer, byte[]> big =
                bounded.getOrLoad(1, key -> CompletableFuture.completedFuture(new byte[101]))
                        .join();

        assertThat(big.value()).hasSize(101);
        assertThat(bounded.weightedSizeBytes()).isZero();
        assertThat(bounded.getIfPresent(1)).isNull();
        assertThat(bounded.stats().evictionCount()).isEqualTo(1);
    }

    @Test
    void invalidateDiscardsACachedValue() {
        cache.getOrLoad(1, loader).join();
        cache.invalidate(1);

        assertThat(cache.getIfPresent(1)).isNull();
        assertThat(cache.getOrLoad(1, loader).join().loaded()).isTrue();
        assertThat(singleCalls).hasValue(2);
    }

    @Test
    void invalidateAllDiscardsMatchingEntriesAndLeavesInFlightMatchesUncached() {
        cache.getOrLoadAll(List.of(1, 2, 3, 4), batchLoader).join();
        CompletableFuture<String> slow = new CompletableFuture<>();
        CompletableFuture<CachedValue<Integer, String>> inFlight = cache.getOrLoad(6, key -> slow);

        cache.invalidateAll(key -> key % 2 == 0);
        slow.complete("v6");

        assertThat(inFlight.join()).isEqualTo(new CachedValue<>(6, "v6", true));
        assertThat(cache.getIfPresent(1)).isEqualTo("v1");
        assertThat(cache.getIfPresent(3)).isEqualTo("v3");
        assertNothingCached(2, 4, 6);
        assertThat(cache.estimatedSize()).isEqualTo(2);
    }

    @Test
    void removalListenerHearsOfEvictedInvalidatedAndInFlightInvalidatedValues() {
        List<String> removed = new CopyOnWriteArrayList<>();
        SingleFlightCache<Integer, String> listened =
                SingleFlightCache.<Integer, String>builder()
                        .maximumBytes(2)
                        .weigher((k, v) -> 1)
                        .executor(Runnable::run)
                        .removalListener((k, v, cause) -> removed.add(v + ":" + cause))
                        .build();
        listened.getOrLoadAll(List.of(1, 2), batchLoader).join();
        listened.invalidate(1);
        CompletableFuture<String> slow = new CompletableFuture<>();
        listened.getOrLoad(5, key -> slow);
        listened.invalidateAll(key -> key == 5);
        assertThat(removed).containsExactly("v1:INVALIDATED");

        slow.complete("v5");
        listened.getOrLoadAll(List.of(3, 4, 6), batchLoader).join();
        listened.cleanUp();

        assertThat(removed).hasSize(4).startsWith("v1:INVALIDATED", "v5:INVALIDATED");
        assertThat(removed.subList(2, 4)).allMatch(r -> r.endsWith(":EVICTED"));
        assertThat(listened.estimatedSize()).isEqualTo(2);
    }

    @Test
    void builderValidatesItsOptions() {
        assertThatThrownBy(() -> SingleFlightCache.builder().maximumBytes(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximumBytes must be positive, but was 0");
        assertThatThrownBy(() -> SingleFlightCache.builder().maximumBytes(-5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maximumBytes");
        assertThatThrownBy(() -> SingleFlightCache.builder().maximumBytes(10).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maximumBytes=10, weigher=unset");
        assertThatThrownBy(
                        () ->
                                SingleFlightCache.<Integer, String>builder()
                                        .weigher((k, v) -> 1)
                                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maximumBytes=unset, weigher=set");
        assertThatThrownBy(() -> SingleFlightCache.builder().weigher(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("weigher");
        assertThatThrownBy(() -> SingleFlightCache.builder().executor(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("executor");
        assertThatThrownBy(() -> SingleFlightCache.builder().removalListener(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("removalListener");
    }

    private static SingleFlightCache<Integer, byte[]> byteBoundedCache(long maximumBytes) {
        return SingleFlightCache.<Integer, byte[]>builder()
                .maximumBytes(maximumBytes)
                .weigher((key, value) -> value.length)
                .executor(Runnable::run)
                .build();
    }

    private void assertNothingCached(Integer... keys) {
        for (Integer key : keys) {
            assertThat(cache.getIfPresent(key)).as("cached value of key %s", key).isNull();
        }
        assertThat(cache.estimatedSize()).as("entries left behind").isEqualTo(countCached());
    }

    private long countCached() {
        long n = 0;
        for (int k = 0; k < 100; k++) {
            n += cache.getIfPresent(k) == null ? 0 : 1;
        }
        return n;
    }

    private static void assertFailsWith(
            CompletableFuture<?> future, Class<? extends Throwable> type, String message) {
        assertThatThrownBy(future::join)
                .isInstanceOf(CompletionException.class)
                .cause()
                .isInstanceOf(type)
                .hasMessageContaining(message);
    }

    static Map<Integer, String> values(Set<Integer> keys) {
        Map<Integer, String> values = new HashMap<>();
        keys.forEach(k -> values.put(k, value(k)));
        return values;
    }

    static String value(int key) {
        return "v" + key;
    }
}
