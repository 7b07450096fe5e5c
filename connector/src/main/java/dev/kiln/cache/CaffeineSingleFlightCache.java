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

import com.github.benmanes.caffeine.cache.AsyncCache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * {@link SingleFlightCache} on a Caffeine {@link AsyncCache}. Caffeine's map of futures is the one
 * in-flight registry: {@code get} inserts the caller's future under the key's lock, and {@code
 * getAll} inserts a placeholder future for each absent key and hands exactly those keys to the bulk
 * function. A failed future is removed by Caffeine, so a later call loads again.
 */
final class CaffeineSingleFlightCache<K, V> implements SingleFlightCache<K, V> {

    private static final int KEYS_NAMED_IN_ERRORS = 10;

    private final AsyncCache<K, V> cache;
    private final LongAdder joins = new LongAdder();

    CaffeineSingleFlightCache(AsyncCache<K, V> cache) {
        this.cache = cache;
    }

    @Override
    public CompletableFuture<CachedValue<K, V>> getOrLoad(K key, Loader<K, V> loader) {
        requireNonNull(key, "key");
        requireNonNull(loader, "loader");
        boolean[] owned = {false};
        CompletableFuture<V> value =
                cache.get(
                        key,
                        (k, executor) -> {
                            owned[0] = true;
                            return load(k, loader);
                        });
        boolean loaded = owned[0];
        if (!loaded && !value.isDone()) {
            joins.increment();
        }
        return value.thenApply(v -> new CachedValue<>(key, v, loaded));
    }

    @Override
    public CompletableFuture<List<CachedValue<K, V>>> getOrLoadAll(
            List<? extends K> keys, BatchLoader<K, V> loader) {
        requireNonNull(keys, "keys");
        requireNonNull(loader, "loader");
        Set<K> distinct = new HashSet<>((int) (keys.size() / 0.75f) + 1);
        for (K key : keys) {
            if (!distinct.add(requireNonNull(key, "keys must not contain null"))) {
                throw new IllegalArgumentException("duplicate key in batch: " + key);
            }
        }
        @SuppressWarnings("unchecked")
        Set<K>[] owned = new Set[] {Set.of()};
        CompletableFuture<Map<K, V>> values =
                cache.getAll(
                        keys,
                        (missing, executor) -> {
                            Set<K> mine = Set.copyOf(missing);
                            owned[0] = mine;
                            return loadAll(mine, loader);
                        });
        Set<K> loaded = owned[0];
        if (!values.isDone()) {
            countJoins(keys, loaded);
        }
        return values.thenApply(
                map -> {
                    List<CachedValue<K, V>> result = new ArrayList<>(keys.size());
                    for (K key : keys) {
                        result.add(new CachedValue<>(key, map.get(key), loaded.contains(key)));
                    }
                    return result;
                });
    }

    private void countJoins(List<? extends K> keys, Set<K> owned) {
        for (K key : keys) {
            if (!owned.contains(key)) {
                CompletableFuture<V> inFlight = peek(key);
                if (inFlight != null && !inFlight.isDone()) {
                    joins.increment();
                }
            }
        }
    }

    private CompletableFuture<V> peek(K key) {
        return cache.asMap().get(key);
    }

    private static <K, V> CompletableFuture<V> load(K key, Loader<K, V> loader) {
        CompletableFuture<V> future;
        try {
            future = loader.load(key);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (future == null) {
            return CompletableFuture.failedFuture(
                    new InvalidLoadResultException("loader returned a null future for key " + key));
        }
        return future.thenApply(
                value -> {
                    if (value == null) {
                        throw new InvalidLoadResultException(
                                "loader returned a null value for key " + key);
                    }
                    return value;
                });
    }

    private static <K, V> CompletableFuture<Map<K, V>> loadAll(
            Set<K> keys, BatchLoader<K, V> loader) {
        CompletableFuture<? extends Map<K, V>> future;
        try {
            future = loader.loadAll(keys);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (future == null) {
            return CompletableFuture.failedFuture(
                    new InvalidLoadResultException(
                            "batch loader returned a null future for " + describe(keys)));
        }
        return future.thenApply(result -> checkBatchResult(keys, result));
    }

    private static <K, V> Map<K, V> checkBatchResult(Set<K> keys, Map<K, V> result) {
        if (result == null) {
            throw new InvalidLoadResultException(
                    "batch loader returned a null map for " + describe(keys));
        }
        List<K> missing = null;
        for (K key : keys) {
            if (result.get(key) == null) {
                (missing == null ? missing = new ArrayList<>() : missing).add(key);
            }
        }
        int present = keys.size() - (missing == null ? 0 : missing.size());
        if (missing == null && result.size() == present) {
            return result;
        }
        List<K> extra =
                result.keySet().stream()
                        .filter(k -> !keys.contains(k))
                        .limit(KEYS_NAMED_IN_ERRORS)
                        .collect(Collectors.toList());
        throw new InvalidLoadResultException(
                "batch loader result does not match the "
                        + keys.size()
                        + " requested keys: missing or null "
                        + (missing == null ? List.of() : describe(missing))
                        + ", not requested "
                        + extra);
    }

    private static String describe(Collection<?> keys) {
        return keys.size() <= KEYS_NAMED_IN_ERRORS
                ? keys.toString()
                : keys.stream().limit(KEYS_NAMED_IN_ERRORS).collect(Collectors.toList())
                        + " and "
                        + (keys.size() - KEYS_NAMED_IN_ERRORS)
                        + " more";
    }

    @Override
    public V getIfPresent(K key) {
        CompletableFuture<V> future = peek(requireNonNull(key, "key"));
        return future != null && future.isDone() && !future.isCompletedExceptionally()
                ? future.join()
                : null;
    }

    @Override
    public void invalidate(K key) {
        cache.synchronous().invalidate(requireNonNull(key, "key"));
    }

    @Override
    public void invalidateAll(Predicate<? super K> predicate) {
        requireNonNull(predicate, "predicate");
        cache.asMap().keySet().removeIf(predicate);
    }

    @Override
    public long weightedSizeBytes() {
        cleanUp();
        return cache.synchronous()
                .policy()
                .eviction()
                .map(e -> e.weightedSize().orElse(0))
                .orElse(0L);
    }

    @Override
    public long estimatedSize() {
        cleanUp();
        return cache.synchronous().estimatedSize();
    }

    @Override
    public void cleanUp() {
        cache.synchronous().cleanUp();
    }

    @Override
    public CacheStats stats() {
        com.github.benmanes.caffeine.cache.stats.CacheStats s = cache.synchronous().stats();
        long joinCount = joins.sum();
        return new CacheStats(
                Math.max(0, s.hitCount() - joinCount),
                joinCount,
                s.missCount(),
                s.loadCount(),
                s.loadFailureCount(),
                s.totalLoadTime(),
                s.evictionCount(),
                s.evictionWeight());
    }
}
